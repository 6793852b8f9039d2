/// Finds where a long frame really ends when its LEN field is wrong, by its checksum alone.
///
/// Some firmware sends most LONG_RESPONSE frames with a LEN that is too small or too
/// large while the CRC is right over the bytes actually sent. Every start byte after a
/// frame's start is escaped, so an unescaped start byte can only begin the next frame:
/// the true end lies at or before it. The candidates, in this order, are:
///
/// 1. right before that start byte (the `boundary`), or before any of the unescaped 0x00s
///    in front of it (some devices send one before every frame);
/// 2. only when `searchingNoise`: every other byte boundary within ``noiseWindow`` raw
///    bytes before it, for keep-alives or line noise between the frames.
///
/// The first candidate whose CRC holds over exactly the bytes up to it is taken; if it ends
/// in zeros, it is cut back to the shortest match among them, since a frame followed by
/// zeros checks out again with some of them. With a 16-bit CRC a wrong candidate passes by
/// chance once in 65,536 tries, so the search is kept to these few candidates rather than
/// every boundary in the frame.
enum WrongLengthRecovery {
    /// How many raw bytes of noise may stand between a long frame with a wrong LEN and the
    /// start byte after it, when the noise search is on.
    static let noiseWindow = 16

    /// A frame found by its checksum.
    struct Found {
        /// The unescaped bytes from the command byte to the end of the data, checksum excluded.
        var body: [UInt8]
        /// The raw index right after the frame's last byte.
        var wireEnd: Int
    }

    /// The long frame that starts at raw index `position` and ends at one of the candidates
    /// before raw index `boundary`, or nil when no candidate passes the checksum.
    /// `headerLength` is the address and object id size; `maximumLength` bounds the LEN.
    static func find(in raw: UnsafeBufferPointer<UInt8>, frameAt position: Int, boundary: Int, headerLength: Int,
                     maximumLength: Int, searchingNoise: Bool) -> Found? {
        // Unescape the bytes after the start byte; ends[k - 1] is the raw index after k bytes.
        var bytes: [UInt8] = []
        var ends: [Int] = []
        bytes.reserveCapacity(boundary - position)
        ends.reserveCapacity(boundary - position)
        var index = position + 1
        while index < boundary {
            var byte = raw[index]
            if byte == FrameByte.start { break }
            if byte == FrameByte.escape {
                guard index + 1 < boundary else { break }
                index += 1
                byte = raw[index]
            }
            index += 1
            bytes.append(byte)
            ends.append(index)
        }
        let shortest = 3 + headerLength + 2
        let longest = min(bytes.count, maximumLength + 5)
        guard longest >= shortest else { return nil }

        // Frame lengths (in unescaped bytes, checksum included) whose end is a candidate, in
        // the order they are tried. First the boundary and the 0x00s sent right before it,
        // shortest first (see below why zeros need care).
        var candidates: [Int] = []
        let count = bytes.count
        if ends.last == boundary {
            var length = count
            candidates.append(length)
            while length >= 2, bytes[length - 1] == 0, ends[length - 2] == ends[length - 1] - 1 {
                length -= 1
                candidates.insert(length, at: 0)
            }
        }
        // Then every other boundary in the noise window, shortest first for the same reason.
        if searchingNoise {
            var length = count
            var window: [Int] = []
            while length >= shortest, ends[length - 1] >= boundary - noiseWindow {
                if !candidates.contains(length) { window.insert(length, at: 0) }
                length -= 1
            }
            candidates += window
        }
        candidates.removeAll { $0 < shortest || $0 > longest }
        guard !candidates.isEmpty else { return nil }

        return CRC16.table.withUnsafeBufferPointer { table -> Found? in
            // checksums[n]: the running checksum over bytes[0 ..< n].
            var checksums: [UInt16] = [0xFFFF]
            checksums.reserveCapacity(longest - 1)
            for byte in bytes[..<(longest - 2)] { checksums.append(CRC16.update(checksums[checksums.count - 1], with: byte, table: table)) }
            func checksOut(_ length: Int) -> Bool {
                var crc = checksums[length - 2]
                if (length - 2) & 1 == 1 { crc = CRC16.update(crc, with: 0, table: table) }
                return crc == UInt16(bytes[length - 2]) << 8 | UInt16(bytes[length - 1])
            }
            guard var length = candidates.first(where: checksOut) else { return nil }
            // A frame followed by zeros checks out again with some of them (the CRC of a message
            // with its CRC appended is zero), so a match that ends in zeros is cut back to the
            // shortest match among them: zeros after a frame are never taken into it.
            var zeros = 0
            while zeros < length, bytes[length - 1 - zeros] == 0 { zeros += 1 }
            if let shorter = (max(shortest, length - zeros)..<length).first(where: checksOut) { length = shorter }
            return Found(body: Array(bytes[..<(length - 2)]), wireEnd: ends[length - 1])
        }
    }
}
