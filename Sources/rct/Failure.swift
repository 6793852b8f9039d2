import ArgumentParser
import RCTControl
import RCTProtocol
import RCTTransport

/// The documented exit codes (see README).
enum ExitStatus: Int32 {
    /// Success.
    case success = 0
    /// A write was not confirmed, or an answer was malformed.
    case verificationFailed = 65
    /// Bad input; nothing was sent.
    case badInput = 64
    /// The device or host is unavailable.
    case unavailable = 69
    /// No answer in time.
    case noAnswer = 75
    /// The device answered with a protocol error: a Modbus exception, a failed CRC, another slave.
    case protocolError = 76
    /// Stopped by Ctrl-C, SIGTERM or SIGHUP (128 + SIGINT, by convention).
    case interrupted = 130
}

/// An error the command reports as one line, with its exit status.
struct Failure: Error, CustomStringConvertible {
    let message: String
    let status: ExitStatus

    var description: String { message }

    init(_ message: String, status: ExitStatus) {
        self.message = message
        self.status = status
    }

    /// The failure for any error the library throws.
    init(_ error: any Error) {
        switch error {
        case let failure as Failure:
            self = failure
        case let error as LookupError:
            self.init(error.description, status: .badInput)
        case let error as WriteValidationError:
            self.init(error.description, status: .badInput)
        case let error as HexParseError:
            self.init(error.description, status: .badInput)
        case let error as ModbusError:
            self.init(error.description, status: Self.status(of: error))
        case let error as TransportError:
            self.init(error.description, status: Self.status(of: error))
        case let error as ClientError:
            self.init(error.description, status: Self.status(of: error))
        case let error as ControlError:
            switch error {
            case let .client(inner): self.init(inner.description, status: Self.status(of: inner))
            case .refused: self.init(error.description, status: .badInput)
            case .verificationFailed, .changedElsewhere:
                self.init(error.description, status: .verificationFailed)
            case .handBackFailed:
                self.init(error.description, status: .unavailable)
            }
        default:
            self.init("\(error)", status: .unavailable)
        }
    }

    static func status(of error: TransportError) -> ExitStatus {
        switch error {
        case .invalidSettings: .badInput
        default: .unavailable
        }
    }

    static func status(of error: ModbusError) -> ExitStatus {
        switch error {
        case .invalidSettings: .badInput
        case .cannotOpen, .system: .unavailable
        case .exception, .badChecksum, .wrongSlave, .malformed: .protocolError
        case .timeout: .noAnswer
        case .interrupted: .interrupted
        }
    }

    static func status(of error: ClientError) -> ExitStatus {
        switch error {
        case let .transport(inner): status(of: inner)
        case .noAnswer: .noAnswer
        case .malformedAnswer: .verificationFailed
        case .bootloader: .unavailable
        case .invalidRequest: .badInput
        case .interrupted: .interrupted
        }
    }
}

/// Runs a command body, turning any error into one line on stderr and the exit status.
func reportingFailures(_ body: () throws -> ExitStatus) throws {
    let status: ExitStatus
    do {
        status = try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        let failure = Failure(error)
        Console.error("rct: \(failure.message)")
        status = failure.status
    }
    if status != .success { throw ExitCode(status.rawValue) }
}
