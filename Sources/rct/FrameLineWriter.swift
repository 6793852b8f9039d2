import RCTProtocol

/// Writes frames as dump lines, e.g.
/// `00000178  RESPONSE      0x959930BF battery.soc = 62.0 %  crc ok`.
///
/// Apart from the offset, a plant address and the value, a line depends only on the frame's
/// command and object, and a capture holds a few kinds of frame over and over: those parts
/// are made once per kind and kept as bytes, so a dump of millions of lines copies them
/// instead of making them again (Documentation/Performance.md).
struct FrameLineWriter {
    /// Where one kind of frame's parts are in ``bytes``: its head (`  RESPONSE      0x959930BF`),
    /// then its name (` battery.soc`), then its unit (` %`, or nothing).
    private struct Parts {
        /// The command and object id; no kind has `UInt64.max`, a command being one byte.
        var key = UInt64.max
        var start = 0
        var headCount = 0
        var nameCount = 0
        var unitCount = 0

        var head: Range<Int> { start..<(start + headCount) }
        var name: Range<Int> { head.upperBound..<(head.upperBound + nameCount) }
        var unit: Range<Int> { name.upperBound..<(name.upperBound + unitCount) }
    }

    /// Kinds of frame by a hash of their key, each in one of the few slots from the one its
    /// key hashes to; when those are all taken by others, the last of them is taken over.
    private var slots = [Parts](repeating: Parts(), count: 1 << Self.slotBits)
    private var bytes: [UInt8] = []
    private static let slotBits = 8
    /// How many slots a kind may be in, from the one its key hashes to.
    private static let probes = 4
    /// When the parts made reach this, they are all dropped and made again as needed, so
    /// memory stays bounded on a stream of random object ids.
    private static let byteLimit = 64 << 10

    /// Writes `decoded` as a line without its line end; `object` is its registry object.
    mutating func write(_ decoded: DecodedFrame, object: ObjectInfo?, to text: inout TextBuffer) {
        let frame = decoded.frame
        let parts = self.parts(of: frame, object: object)
        text.appendHex(UInt64(decoded.offset), digits: 8)
        if frame.command.isPlant {
            append(parts.head, to: &text)
            text.append(literal: " @")
            text.appendDecimal(Int64(frame.address))
            append(parts.name, to: &text)
        } else {
            append(parts.head.lowerBound..<parts.name.upperBound, to: &text)
        }
        do {
            if let value = try FrameDump.value(of: frame, object: object) {
                text.append(literal: " = ")
                OutputText.appendWithoutUnit(value, of: object, to: &text)
                if OutputText.carriesUnit(value) { append(parts.unit, to: &text) }
            }
        } catch {
            text.append(" [")
            text.appendHex(frame.payload.bytes)
            text.append("] (")
            error.write(to: &text)
            text.append(ascii: UInt8(ascii: ")"))
        }
        text.append(literal: "  crc ok")
        if let declared = decoded.declaredLength {
            text.append(" (LEN said ")
            text.appendDecimal(Int64(declared))
            text.append(", actual ")
            text.appendDecimal(Int64(frame.length))
            text.append(ascii: UInt8(ascii: ")"))
        }
    }

    private func append(_ range: Range<Int>, to text: inout TextBuffer) {
        bytes.withUnsafeBufferPointer { text.append(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// The parts of `frame`'s kind, made now if they are not kept.
    private mutating func parts(of frame: Frame, object: ObjectInfo?) -> Parts {
        let key = UInt64(frame.command.rawValue) << 32 | UInt64(frame.objectID.rawValue)
        // Fibonacci hashing: the top bits of the key times 2^64 / φ; then the next slots in
        // turn, so kinds that hash alike do not take each other's place.
        let home = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> (64 - UInt64(Self.slotBits)))
        var slot = home
        for probe in 0..<Self.probes {
            slot = (home + probe) & (slots.count - 1)
            if slots[slot].key == key { return slots[slot] }
            if slots[slot].key == UInt64.max { break }
        }
        // Not kept: made in the first free slot, or when all are taken, in the last one tried.
        if bytes.count >= Self.byteLimit {
            bytes.removeAll(keepingCapacity: true)
            for index in slots.indices { slots[index] = Parts() }
            slot = home
        }
        var made = TextBuffer(capacity: 96)
        made.append("  ")
        made.append(frame.command.description, paddedTo: 13)
        made.append(" 0x")
        made.appendHex(UInt64(frame.objectID.rawValue), digits: 8)
        let headCount = made.count
        made.append(ascii: UInt8(ascii: " "))
        made.append(object?.name ?? "(unknown object)")
        let nameCount = made.count - headCount
        if let unit = object?.displayUnit, !unit.isEmpty {
            made.append(ascii: UInt8(ascii: " "))
            made.append(unit)
        }
        let parts = Parts(key: key, start: bytes.count, headCount: headCount, nameCount: nameCount,
                          unitCount: made.count - headCount - nameCount)
        made.withBytes { bytes.append(contentsOf: $0) }
        slots[slot] = parts
        return parts
    }
}
