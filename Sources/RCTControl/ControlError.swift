import RCTProtocol
import RCTTransport

/// Why a control operation stopped.
public enum ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The device could not be asked or did not answer.
    case client(ClientError)
    /// The combination of values is refused; nothing was written.
    case refused(String)
    /// The value read back after a write differs from the value written.
    case verificationFailed(name: String, wrote: String, readBack: String)
    /// Someone else changed a setting while a scenario held it.
    case changedElsewhere(name: String, expected: String, found: String)
    /// A scenario could not hand control back; the device may be left in a forced state.
    case handBackFailed(state: String, cause: String)

    public var description: String {
        switch self {
        case let .client(error):
            error.description
        case let .refused(reason):
            "refused, nothing written: \(reason)"
        case let .verificationFailed(name, wrote, readBack):
            "verification failed: wrote \(name) = \(wrote) but read back \(readBack)"
        case let .changedElsewhere(name, expected, found):
            "\(name) was changed by someone else (expected \(expected), found \(found)); stopped"
        case let .handBackFailed(state, cause):
            "HAND-BACK FAILED (\(cause)). THE INVERTER MAY BE LEFT IN THIS STATE: \(state). Check it now with 'rct get power_mng.soc_strategy power_mng.battery_power_extern' and set it back by hand."
        }
    }
}
