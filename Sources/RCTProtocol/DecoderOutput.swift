/// A frame found by ``FrameDecoder``, with where it stood in the byte stream.
public struct DecodedFrame: Sendable, Hashable {
    /// The frame itself.
    public var frame: Frame
    /// Stream offset of the frame's start byte, counted from the first byte fed.
    public var offset: Int
    /// How many bytes the frame took on the wire, escapes included.
    public var wireLength: Int
    /// The LEN field as received, when it was wrong and the end was found by the checksum instead.
    public var declaredLength: Int?

    /// A frame seen at `offset`; `declaredLength` only when LEN was wrong.
    @inline(__always)
    public init(frame: Frame, offset: Int, wireLength: Int, declaredLength: Int? = nil) {
        self.frame = frame
        self.offset = offset
        self.wireLength = wireLength
        self.declaredLength = declaredLength
    }
}

/// Something the decoder noticed between or instead of frames: the raw material for frame dumps.
public enum DecoderEvent: Sendable, Hashable {
    /// Bytes outside any frame (noise, keep-alives, bridge chatter) were passed over.
    case skipped(offset: Int, count: Int)
    /// A frame was cut off by a new start byte; its `count` bytes were dropped.
    case interrupted(offset: Int, count: Int)
    /// The stream ended in the middle of a frame; its `count` bytes were dropped.
    case incomplete(offset: Int, count: Int)
    /// A frame's checksum did not match; scanning went on at the byte after its start byte.
    case crcMismatch(offset: Int, wireLength: Int, command: Command)
    /// A frame declared a length above the decoder's maximum; its start byte was passed over.
    case oversize(offset: Int, declaredLength: Int)
    /// The 3-byte EXTENSION frame (`2B 3C xx`) that the vendor app sends on connect.
    case extensionFrame(offset: Int)
    /// The signature of a device stuck in its bootloader (`50 F7 05 AB`): stop sending to it.
    case bootloader(offset: Int)

    /// Stream offset where the event starts.
    public var offset: Int {
        switch self {
        case let .skipped(offset, _), let .interrupted(offset, _), let .incomplete(offset, _),
             let .crcMismatch(offset, _, _), let .oversize(offset, _), let .extensionFrame(offset),
             let .bootloader(offset):
            offset
        }
    }
}

/// One result of ``FrameDecoder/next()``.
public enum DecoderOutput: Sendable, Hashable {
    /// A frame whose checksum matched.
    case frame(DecodedFrame)
    /// A diagnostic about the bytes around the frames.
    case event(DecoderEvent)
}

/// One result of ``FrameDecoder/nextSkimming()``: a run of frames as their number only, or a
/// diagnostic. For counting, where handing out each frame would be wasted work.
public enum SkimmedOutput: Sendable, Hashable {
    /// Consecutive frames that checked out, `count` of them (at least one).
    case frames(count: Int)
    /// Something noticed between or instead of frames.
    case event(DecoderEvent)
}
