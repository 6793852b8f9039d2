import Testing
@testable import RCTProtocol

@Suite("Checksum")
struct ChecksumTests {
    /// CRC-16/CCITT-FALSE bit by bit, straight from its definition, with the odd-length padding.
    static func bitwise(_ bytes: [UInt8]) -> UInt16 {
        var crc: UInt16 = 0xFFFF
        for byte in bytes + (bytes.count.isMultiple(of: 2) ? [] : [0]) {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? crc << 1 ^ 0x1021 : crc << 1 }
        }
        return crc
    }

    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    @Test("The table-driven checksum agrees with the bitwise definition", arguments: 0..<48)
    func tableAgreesWithDefinition(length: Int) {
        let bytes = Self.randomBytes(length, seed: UInt64(length))
        #expect(CRC16.checksum(bytes) == Self.bitwise(bytes))
    }

    @Test("Eight bytes at a time agrees with one byte at a time", arguments: 0..<48)
    func slicedAgreesWithSingleSteps(length: Int) {
        let bytes = Self.randomBytes(length, seed: 1000 + UInt64(length))
        CRC16.table.withUnsafeBufferPointer { table in
            let single = bytes.reduce(UInt16(0xFFFF)) { CRC16.update($0, with: $1, table: table) }
            let sliced = bytes.withUnsafeBufferPointer { CRC16.update(0xFFFF, over: $0, table: table) }
            #expect(sliced == single)
            if length >= 2 {
                #expect(CRC16.update(0xFFFF, with: bytes[0], bytes[1], table: table)
                        == CRC16.update(CRC16.update(0xFFFF, with: bytes[0], table: table), with: bytes[1], table: table))
            }
        }
    }
}
