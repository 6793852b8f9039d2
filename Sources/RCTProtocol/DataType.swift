/// How an object's value is laid out on the wire.
public enum DataType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// One byte, zero is false.
    case bool
    /// Unsigned 8-bit integer.
    case uint8
    /// Signed 8-bit integer.
    case int8
    /// Unsigned 16-bit integer, big-endian.
    case uint16
    /// Signed 16-bit integer, big-endian.
    case int16
    /// Unsigned 32-bit integer, big-endian.
    case uint32
    /// Signed 32-bit integer, big-endian.
    case int32
    /// One byte that selects one of the object's labels.
    case enumeration = "enum"
    /// IEEE-754 single precision, big-endian.
    case float
    /// Text, NUL-padded.
    case string
    /// Logged samples: the requested time, then (time, value) pairs.
    case timeseries
    /// The device's event log: the requested time, then rows of five words.
    case eventTable = "event_table"
    /// Temperature, voltage and status of the 24 cells of a battery module.
    case batteryCells = "battery_cells"
    /// Extremes of cell voltage and temperature of a battery module, with when they happened.
    case batteryStatistics = "battery_statistics"
    /// Internal resistance of the 24 cells of a battery module.
    case batteryResistance = "battery_resistance"
    /// Layout not known; shown as raw bytes.
    case unknown

    /// The exact payload size, for types that have one.
    public var fixedSize: Int? {
        switch self {
        case .bool, .uint8, .int8, .enumeration: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float: 4
        case .batteryCells, .batteryResistance: 96
        case .batteryStatistics: 48
        case .string, .timeseries, .eventTable, .unknown: nil
        }
    }

    /// The integer range a value of this type can hold; nil for non-integers.
    public var integerRange: ClosedRange<Int64>? {
        switch self {
        case .bool: 0...1
        case .uint8, .enumeration: 0...Int64(UInt8.max)
        case .int8: Int64(Int8.min)...Int64(Int8.max)
        case .uint16: 0...Int64(UInt16.max)
        case .int16: Int64(Int16.min)...Int64(Int16.max)
        case .uint32: 0...Int64(UInt32.max)
        case .int32: Int64(Int32.min)...Int64(Int32.max)
        default: nil
        }
    }

    /// The name used in the registry file and in JSON, e.g. `float`.
    public var description: String { rawValue }

    /// The type named by these UTF-8 bytes, as ``init(rawValue:)`` reads a name; for the
    /// object table, which is read as bytes.
    init?(utf8 name: ArraySlice<UInt8>) {
        guard let entry = Self.utf8Names.first(where: { $0.name.elementsEqual(name) }) else { return nil }
        self = entry.type
    }

    /// Each type with the UTF-8 bytes of its name.
    private static let utf8Names: [(name: [UInt8], type: DataType)] = allCases.map { (Array($0.rawValue.utf8), $0) }
}
