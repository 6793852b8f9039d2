import RCTProtocol

/// Why a request to the device failed.
public enum ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The link failed.
    case transport(TransportError)
    /// No matching answer arrived within the timeout, after all attempts.
    case noAnswer(object: String, attempts: Int, timeout: Double)
    /// Answers arrived but none could be decoded (for example always cut short).
    case malformedAnswer(object: String, reason: String)
    /// The device sends its bootloader signature: it is stuck after a failed update.
    case bootloader
    /// A request could not be built (a payload too large for its frame).
    case invalidRequest(String)
    /// A signal asked us to stop.
    case interrupted(signal: Int32)

    public var description: String {
        switch self {
        case let .transport(error):
            error.description
        case let .noAnswer(object, attempts, timeout):
            "no answer for \(object) after \(attempts) attempt\(attempts == 1 ? "" : "s") of \(formatSeconds(timeout)) each (is another app connected, or is the object unknown to this firmware?)"
        case let .malformedAnswer(object, reason):
            "malformed answer for \(object): \(reason)"
        case .bootloader:
            "the device is stuck in its bootloader (it sends 50 F7 05 AB); stopped sending. Power-cycle it or contact the installer"
        case let .invalidRequest(reason):
            "cannot build the request: \(reason)"
        case let .interrupted(signal):
            "interrupted by \(Interruption.name(of: signal))"
        }
    }
}

/// Seconds for messages: `2 s`, `0.5 s`.
func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
}
