#if canImport(Glibc)
import Glibc
#endif
import CModbus
import RCTProtocol

/// A Modbus RTU link to the inverter's RS-485 terminal, through libmodbus. Read-only: it
/// offers no way to write a register.
///
/// libmodbus's context is not thread-safe: a link is used on the thread that opened it, and
/// closed there (it is neither `Sendable` nor shared).
public final class ModbusLink {
    /// The serial port, for messages.
    public let label: String
    /// The slave address asked.
    public let address: Int
    private let context: OpaquePointer

    /// The Modbus defaults of the terminal: 9600 baud, 8N1 (public register map; see
    /// Documentation/Wiring.md).
    public static let defaultSettings = SerialSettings(baudRate: 9600)

    /// Opens `path` with `settings` and asks slave `address` (1 to 247); each answer is
    /// waited for at most `timeout` seconds.
    public init(path: String, settings: SerialSettings, address: Int, timeout: Double) throws(ModbusError) {
        guard (1...247).contains(address) else { throw .invalidSettings("the Modbus address must be 1 to 247, not \(address)") }
        guard timeout > 0 && timeout <= 600 else { throw .invalidSettings("the timeout must be more than 0 and at most 600 seconds") }
        let parity: CChar = switch settings.parity {
        case .none: CChar(UInt8(ascii: "N"))
        case .even: CChar(UInt8(ascii: "E"))
        case .odd: CChar(UInt8(ascii: "O"))
        }
        guard let context = modbus_new_rtu(path, Int32(settings.baudRate), parity, Int32(settings.dataBits), Int32(settings.stopBits)) else {
            throw .invalidSettings("libmodbus refused \(path) at \(settings.baudRate) baud: \(Self.lastError())")
        }
        // Every step on the local context first: a throw after the stored properties are set
        // would run deinit as well, and free the context twice.
        modbus_set_slave(context, Int32(address))
        let seconds = timeout.rounded(.down)
        modbus_set_response_timeout(context, UInt32(seconds), UInt32((timeout - seconds) * 1_000_000))
        guard modbus_connect(context) == 0 else {
            let reason = Self.lastError()
            modbus_free(context)
            throw .cannotOpen(path: path, reason: reason)
        }
        if settings.rs485, modbus_rtu_set_serial_mode(context, MODBUS_RTU_RS485) != 0 {
            let reason = errno == ENOTTY
                ? "RS-485 mode is not supported by this adapter; leave out --rs485 for adapters that switch direction themselves"
                : "RS-485 mode: \(Self.lastError())"
            modbus_close(context)
            modbus_free(context)
            throw .cannotOpen(path: path, reason: reason)
        }
        self.context = context
        self.label = path
        self.address = address
    }

    deinit {
        modbus_close(context)
        modbus_free(context)
    }

    /// Reads `count` holding registers (function code 03) from PDU address `start`.
    public func readRegisters(from start: UInt16, count: Int) throws(ModbusError) -> [UInt16] {
        guard (1...125).contains(count), Int(start) + count <= 65536 else {
            throw .invalidSettings("cannot read \(count) registers from \(start)")
        }
        var words = [UInt16](repeating: 0, count: count)
        let got = words.withUnsafeMutableBufferPointer { buffer in
            modbus_read_registers(context, Int32(start), Int32(count), buffer.baseAddress)
        }
        guard got >= 0 else { throw ModbusError(errno: errno, start: start, slave: address) }
        guard Int(got) == count else { throw .malformed("asked \(count) registers from \(start), got \(got)") }
        return words
    }

    /// Reads one register of the map: the words as received (for traces) and their value.
    public func read(_ register: ModbusRegister) throws(ModbusError) -> (words: [UInt16], value: Value) {
        let words = try readRegisters(from: register.address, count: register.count)
        do {
            return (words, try register.value(of: words))
        } catch {
            throw .malformed(error.description)
        }
    }

    private static func lastError() -> String {
        String(cString: modbus_strerror(errno))
    }
}

/// Why a Modbus exchange failed.
public enum ModbusError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The options cannot work (address, timeout, rate).
    case invalidSettings(String)
    /// The serial port could not be opened.
    case cannotOpen(path: String, reason: String)
    /// The slave answered with an exception (code 1 to 11).
    case exception(code: Int, register: UInt16)
    /// An answer arrived with a checksum that does not match.
    case badChecksum
    /// An answer came from another slave address than the one asked.
    case wrongSlave(asked: Int)
    /// No answer within the timeout.
    case timeout(slave: Int)
    /// An answer that does not fit the request.
    case malformed(String)
    /// A signal interrupted the wait.
    case interrupted
    /// Any other system error.
    case system(String)

    /// The error libmodbus left in `errno` after reading from `start`.
    init(errno code: Int32, start: UInt16, slave: Int) {
        let base = Int32(MODBUS_ENOBASE)
        switch code {
        case (base + 1)...(base + 11): self = .exception(code: Int(code - base), register: start)
        case base + 12: self = .badChecksum
        case base + 17: self = .wrongSlave(asked: slave)
        case base + 13, base + 14, base + 15, base + 16: self = .malformed(String(cString: modbus_strerror(code)))
        case ETIMEDOUT: self = .timeout(slave: slave)
        case EINTR: self = .interrupted
        default: self = .system(String(cString: modbus_strerror(code)))
        }
    }

    /// The standard name of an exception code.
    public static func exceptionName(_ code: Int) -> String {
        switch code {
        case 1: "illegal function"
        case 2: "illegal data address"
        case 3: "illegal data value"
        case 4: "slave device failure"
        case 5: "acknowledge"
        case 6: "slave device busy"
        case 7: "negative acknowledge"
        case 8: "memory parity error"
        case 10: "gateway path unavailable"
        case 11: "gateway target device failed to respond"
        default: "exception \(code)"
        }
    }

    public var description: String {
        switch self {
        case let .invalidSettings(reason): reason
        case let .cannotOpen(path, reason): "cannot open \(path) for Modbus: \(reason)"
        case let .exception(code, register):
            "the inverter answered register \(register) with Modbus exception \(code) (\(Self.exceptionName(code)))"
        case .badChecksum: "the Modbus answer failed its CRC check (noise on the RS-485 line, or wrong baud rate or parity?)"
        case let .wrongSlave(asked): "a Modbus answer came from another slave than address \(asked) (is another device on the bus at that address?)"
        case let .timeout(slave):
            "no Modbus answer from slave \(slave) (is Modbus enabled on the inverter, with this address, baud rate and parity, and are A and B wired the right way round?)"
        case let .malformed(reason): "malformed Modbus answer: \(reason)"
        case .interrupted: "interrupted"
        case let .system(reason): "Modbus link failed: \(reason)"
        }
    }
}
