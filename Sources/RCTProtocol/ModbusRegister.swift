/// One value of the Modbus register map of the inverter's RS-485 terminal (X102).
///
/// A register whose name is an object of the registry means that object, in its unit and
/// scale (register 40075, the state of charge in 0.1 % steps, is `battery.soc`, a fraction);
/// the others are named `modbus.…`. Registers are read with function code 03 (holding
/// registers), big-endian, at the PDU addresses of the public map (Documentation/Registry.md).
public struct ModbusRegister: Sendable, Hashable {
    /// How the register words hold the value.
    public enum Layout: String, Sendable, Hashable, CaseIterable {
        /// A signed 16-bit number.
        case int16
        /// An unsigned 16-bit number.
        case uint16
        /// An unsigned 32-bit number, high word first.
        case uint32
        /// ASCII text, two characters a word, padded with NULs or spaces.
        case ascii
    }

    /// The first register's PDU address.
    public let address: UInt16
    /// How many registers the value takes.
    public let count: Int
    /// How the words hold the value.
    public let layout: Layout
    /// What one step of the raw number is worth, in ``unit``.
    public let scale: Double
    /// The unit of the scaled value, if any.
    public let unit: String?
    /// The name the value answers to.
    public let name: String
    /// The registry object the register means, when it means one.
    public let object: ObjectInfo?

    /// The value the register words hold: text for ASCII (trimmed), an integer for an
    /// unscaled number (states, bit fields, counters) unless the register means a float
    /// object, else the scaled number.
    public func value(of words: [UInt16]) throws(ModbusValueError) -> Value {
        guard words.count == count else { throw ModbusValueError(name: name, expected: count, got: words.count) }
        switch layout {
        case .ascii:
            let bytes = words.flatMap { [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)] }
            let text = String(decoding: bytes.filter { $0 != 0 }, as: UTF8.self)
            return .string(text.trimmingCharacters(in: " "))
        case .int16, .uint16, .uint32:
            let raw: Int64 = switch layout {
            case .int16: Int64(Int16(bitPattern: words[0]))
            case .uint32: Int64(words[0]) << 16 | Int64(words[1])
            default: Int64(words[0])
            }
            // Whole numbers stay integers (a 32-bit counter would lose digits as a float),
            // unless the register means an object whose values are floats.
            if scale == 1 && object?.responseType != .float { return .integer(raw) }
            return .float(Float(Double(raw) * scale))
        }
    }
}

/// Register words that do not fit a register's size.
public struct ModbusValueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The register's name.
    public let name: String
    /// Words expected.
    public let expected: Int
    /// Words received.
    public let got: Int

    public var description: String { "\(name): expected \(expected) register(s), got \(got)" }
}
