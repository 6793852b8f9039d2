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

    /// Two tables of 256 partial remainders: the first advances the checksum by one byte,
    /// the second (entries 256...511) by one byte followed by a zero byte, so two bytes can
    /// be folded in with two independent lookups (see ``update(_:with:_:table:)``).
    static let table: [UInt16] = {
        let single: [UInt16] = (0..<256).map { index in
            var crc = UInt16(index) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
            return crc
        }
        let double = single.map { ((($0 & 0xFF) << 8) ^ single[Int($0 >> 8)]) }
        return single + double
    }()

    /// Two steps of the table-driven CRC at once: bytes `first` then `second`.
    @inline(__always)
    static func update(_ crc: UInt16, with first: UInt8, _ second: UInt8, table: UnsafeBufferPointer<UInt16>) -> UInt16 {
        let folded = crc ^ (UInt16(first) << 8 | UInt16(second))
        return table[256 + Int(folded >> 8)] ^ table[Int(folded & 0xFF)]
    }
}
