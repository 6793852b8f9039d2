/// One TCP segment taken out of a captured link-layer frame.
public struct TCPSegment: Sendable, Hashable {
    /// Sender address as text (`192.168.1.20`, `::1`) and port.
    public let source: SocketAddress
    /// Receiver address and port.
    public let destination: SocketAddress
    /// The sequence number of the first payload byte (of the SYN itself when `isSYN`).
    public let sequence: UInt32
    /// Whether the SYN flag is set.
    public let isSYN: Bool
    /// The TCP payload.
    public let payload: [UInt8]

    /// A segment; used by the parser and by tests.
    public init(source: SocketAddress, destination: SocketAddress, sequence: UInt32, isSYN: Bool, payload: [UInt8]) {
        self.source = source
        self.destination = destination
        self.sequence = sequence
        self.isSYN = isSYN
        self.payload = payload
    }
}

/// An IP address (as text) and a port.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address as text.
    public let host: String
    /// The port.
    public let port: UInt16

    /// An address and port.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with brackets around an IPv6 address.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
