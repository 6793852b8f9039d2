import RCTProtocol

/// One entry of a raw-frame trace: bytes that crossed the link and what they decode to.
public struct TraceEntry: Sendable {
    /// Which way the bytes went.
    public enum Direction: String, Sendable {
        /// From us to the device.
        case sent
        /// From the device (or the bridge) to us.
        case received
    }

    /// Seconds since the client started.
    public let time: Double
    /// Which way the bytes went.
    public let direction: Direction
    /// The bytes exactly as they crossed the link; empty for what the decoder closed when
    /// the line went quiet (a long answer whose LEN promised more than was sent).
    public let bytes: [UInt8]
    /// The frames and diagnostics decoded from them, in stream order.
    public let decoded: [DecoderOutput]

    /// An entry; the client makes these, and tools that read a link themselves.
    public init(time: Double, direction: Direction, bytes: [UInt8], decoded: [DecoderOutput]) {
        self.time = time
        self.direction = direction
        self.bytes = bytes
        self.decoded = decoded
    }
}

/// Receives trace entries as they happen.
public typealias TraceHandler = (TraceEntry) -> Void
