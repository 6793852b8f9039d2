/// The frame checksum of the RCT Power protocol: CRC-16/CCITT-FALSE
/// (polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR),
/// with the device's quirk that an odd-length input is padded with one 0x00.
public enum CRC16 {
    /// The checksum of `bytes`, the unescaped run from the command byte to the end of the data.
    public static func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt16 {
        table.withUnsafeBufferPointer { table in
            var crc: UInt16 = 0xFFFF
            var count = 0
            for byte in bytes {
                crc = update(crc, with: byte, table: table)
                count += 1
            }
            if count & 1 == 1 {
                crc = update(crc, with: 0, table: table)
            }
            return crc
        }
    }

    /// One step of the table-driven CRC; `table` must be ``table``.
    @inline(__always)
    static func update(_ crc: UInt16, with byte: UInt8, table: UnsafeBufferPointer<UInt16>) -> UInt16 {
        (crc &<< 8) ^ table[Int(UInt8(truncatingIfNeeded: crc &>> 8) ^ byte)]
    }

    /// The 256 partial remainders of the polynomial, so the checksum costs one lookup per byte.
    static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }
}
