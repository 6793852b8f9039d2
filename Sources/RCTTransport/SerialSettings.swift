/// Line settings of a serial port.
public struct SerialSettings: Sendable, Hashable {
    /// Parity bit.
    public enum Parity: String, Sendable, CaseIterable {
        /// No parity bit.
        case none
        /// Even parity.
        case even
        /// Odd parity.
        case odd
    }

    /// Bits per second; the Wi-Fi module's UART defaults to 115200.
    public var baudRate: Int
    /// Data bits, 5 to 8.
    public var dataBits: Int
    /// Parity bit.
    public var parity: Parity
    /// Stop bits, 1 or 2.
    public var stopBits: Int
    /// Whether to switch the adapter into kernel RS-485 mode (driver-controlled direction).
    public var rs485: Bool

    /// 115200 8N1 without RS-485 mode unless told otherwise.
    public init(baudRate: Int = 115_200, dataBits: Int = 8, parity: Parity = .none, stopBits: Int = 1, rs485: Bool = false) {
        self.baudRate = baudRate
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
        self.rs485 = rs485
    }

    /// The usual short form, e.g. `115200 8N1`.
    public var summary: String {
        let parityLetter = switch parity { case .none: "N" case .even: "E" case .odd: "O" }
        return "\(baudRate) \(dataBits)\(parityLetter)\(stopBits)" + (rs485 ? " RS-485" : "")
    }

    /// Checks the settings before anything is opened.
    public func validate() throws(TransportError) {
        guard (50...12_000_000).contains(baudRate) else {
            throw .invalidSettings("baud rate must be between 50 and 12000000; got \(baudRate)")
        }
        guard (5...8).contains(dataBits) else { throw .invalidSettings("data bits must be 5 to 8; got \(dataBits)") }
        guard stopBits == 1 || stopBits == 2 else { throw .invalidSettings("stop bits must be 1 or 2; got \(stopBits)") }
    }
}
