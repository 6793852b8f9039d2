/// A byte link to an inverter: a serial port, a TCP connection, or a simulator.
///
/// Every wait ends by its deadline. Instances are used from one thread at a time.
public protocol Transport: AnyObject {
    /// What the link is, for messages, e.g. `/dev/ttyUSB0 (115200 8N1)`.
    var label: String { get }

    /// Sends all of `bytes`, or fails; never waits past `deadline`.
    func send(_ bytes: [UInt8], deadline: Deadline) throws(TransportError)

    /// Returns the bytes that arrive before `deadline`; empty when none did.
    ///
    /// Returns as soon as some bytes are there, without waiting for more.
    func receive(deadline: Deadline) throws(TransportError) -> [UInt8]

    /// Releases the link and restores whatever it changed. Safe to call twice.
    func close()
}

/// Why a link failed, with the one line a user needs.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The device or host cannot be reached at all (missing, refused, unreachable, unknown name).
    case unavailable(String)
    /// Another program holds the port.
    case busy(String)
    /// The user lacks the rights to open the port.
    case permissionDenied(String)
    /// The adapter cannot do what was asked (a baud rate, RS-485 mode).
    case unsupported(String)
    /// A wait ran out before the link was ready.
    case timedOut(String)
    /// The link went away while in use (adapter unplugged, connection closed).
    case disconnected(String)
    /// Bad settings given by the user.
    case invalidSettings(String)

    public var description: String {
        switch self {
        case let .unavailable(text), let .busy(text), let .permissionDenied(text), let .unsupported(text),
             let .timedOut(text), let .disconnected(text), let .invalidSettings(text):
            text
        }
    }
}
