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

    /// Eight tables of 256 partial remainders. Slice `k` (entries `256 * k ..< 256 * (k + 1)`)
    /// holds the remainder of a byte followed by `k` zero bytes, so several bytes can be folded
    /// in with independent lookups instead of one dependent step per byte.
    static let table: [UInt16] = {
        var slices: [UInt16] = (0..<256).map { index in
            var crc = UInt16(index) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
            return crc
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = slices[(slice - 1) * 256 + index]
                slices.append((previous << 8) ^ slices[Int(previous >> 8)])
            }
        }
        return slices
    }()

    /// One step of the table-driven CRC; `table` must be ``table``.
    @inline(__always)
    static func update(_ crc: UInt16, with byte: UInt8, table: UnsafeBufferPointer<UInt16>) -> UInt16 {
        (crc &<< 8) ^ table[Int(UInt8(truncatingIfNeeded: crc &>> 8) ^ byte)]
    }

    /// Two steps at once: bytes `first` then `second`.
    @inline(__always)
    static func update(_ crc: UInt16, with first: UInt8, _ second: UInt8, table: UnsafeBufferPointer<UInt16>) -> UInt16 {
        let folded = crc ^ (UInt16(first) << 8 | UInt16(second))
        return table[256 + Int(folded >> 8)] ^ table[Int(folded & 0xFF)]
    }

    /// Eight steps at once: the bytes of `word`, most significant first.
    @inline(__always)
    static func update(_ crc: UInt16, withEightBytes word: UInt64, table: UnsafeBufferPointer<UInt16>) -> UInt16 {
        let folded = word ^ UInt64(crc) << 48
        func lookup(_ slice: Int) -> UInt16 {
            table[slice << 8 | Int(truncatingIfNeeded: folded >> UInt64(slice * 8)) & 0xFF]
        }
        return lookup(7) ^ lookup(6) ^ lookup(5) ^ lookup(4) ^ lookup(3) ^ lookup(2) ^ lookup(1) ^ lookup(0)
    }

    /// The checksum continued over every byte of `bytes`; `table` must be ``table``.
    @inline(__always)
    static func update(_ crc: UInt16, over bytes: UnsafeBufferPointer<UInt8>, table: UnsafeBufferPointer<UInt16>) -> UInt16 {
        var crc = crc
        var index = 0
        let raw = UnsafeRawBufferPointer(bytes)
        while index + 8 <= bytes.count {
            crc = update(crc, withEightBytes: raw.bigEndianWord(at: index), table: table)
            index += 8
        }
        while index + 2 <= bytes.count {
            crc = update(crc, with: bytes[index], bytes[index + 1], table: table)
            index += 2
        }
        if index < bytes.count {
            crc = update(crc, with: bytes[index], table: table)
        }
        return crc
    }
}

extension UnsafeRawBufferPointer {
    /// The eight bytes at `offset`, the first in the most significant bits.
    @inline(__always)
    func bigEndianWord(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
