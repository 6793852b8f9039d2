/// Converts values to and from their wire layout.
public enum ValueCodec {
    /// Decodes a frame's payload as `type`.
    public static func decode(_ payload: Payload, as type: DataType) throws(ValueDecodingError) -> Value {
        // Scalars, most of any stream, straight from the payload's bytes, without an array.
        if let size = type.fixedSize, size <= 4, payload.count == size { return scalar(payload, as: type) }
        return try decode(payload.bytes, as: type)
    }

    /// The value of a type of at most four bytes, whose size was checked: the bytes are one
    /// big-endian word. Any other type is given as its raw bytes.
    private static func scalar(_ bytes: some Collection<UInt8>, as type: DataType) -> Value {
        let word = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return switch type {
        case .bool: .bool(word != 0)
        case .uint8, .enumeration, .uint16, .uint32: .integer(Int64(word))
        case .int8: .integer(Int64(Int8(truncatingIfNeeded: word)))
        case .int16: .integer(Int64(Int16(truncatingIfNeeded: word)))
        case .int32: .integer(Int64(Int32(bitPattern: word)))
        case .float: .float(Float(bitPattern: word))
        default: .bytes(Array(bytes))
        }
    }

    /// Decodes `payload` as `type`; a payload whose size does not fit the type is an error, never a value.
    public static func decode(_ payload: [UInt8], as type: DataType) throws(ValueDecodingError) -> Value {
        if let size = type.fixedSize, payload.count != size {
            throw .sizeMismatch(type: type, expected: String(size), actual: payload.count)
        }
        var reader = ByteReader(payload)
        switch type {
        case .bool, .uint8, .int8, .enumeration, .uint16, .int16, .uint32, .int32, .float:
            return scalar(payload, as: type)
        case .string:
            let text = payload.prefix { $0 != 0 }
            return .string(String(decoding: text, as: UTF8.self))
        case .timeseries:
            guard payload.count >= 4, (payload.count - 4) % 8 == 0 else {
                throw .sizeMismatch(type: type, expected: "4 + 8n", actual: payload.count)
            }
            let requested = Int64(reader.uint32())
            var samples: [Timeseries.Sample] = []
            samples.reserveCapacity((payload.count - 4) / 8)
            while reader.remaining >= 8 {
                let time = Int64(reader.uint32())
                samples.append(.init(time: time, value: Float(bitPattern: reader.uint32())))
            }
            return .timeseries(Timeseries(requestedTime: requested, samples: samples))
        case .eventTable:
            guard payload.count >= 4, (payload.count - 4) % 20 == 0 else {
                throw .sizeMismatch(type: type, expected: "4 + 20n", actual: payload.count)
            }
            let requested = Int64(reader.uint32())
            var events: [EventTable.Event] = []
            while reader.remaining >= 20 {
                let kind = reader.uint32()
                let time = Int64(reader.uint32())
                events.append(.init(type: kind, time: time, elements: [reader.uint32(), reader.uint32(), reader.uint32()]))
            }
            return .eventTable(EventTable(requestedTime: requested, events: events))
        case .batteryCells:
            let cells = stride(from: 0, to: 96, by: 4).map { (base: Int) -> BatteryCell in
                let low = UInt16(payload[base + 1])
                let high = UInt16(payload[base + 2])
                return BatteryCell(temperature: payload[base], millivolts: low | high << 8, status: payload[base + 3])
            }
            return .batteryCells(cells)
        case .batteryStatistics:
            let words = stride(from: 0, to: 48, by: 4).map { (base: Int) -> UInt32 in
                let bytes = payload[base..<(base + 4)].map(UInt32.init)
                return bytes[0] | bytes[1] << 8 | bytes[2] << 16 | bytes[3] << 24
            }
            func extreme(_ index: Int) -> BatteryStatistics.Extreme {
                .init(cell: words[index], time: words[index + 1] == 0 ? nil : Int64(words[index + 1]),
                      value: Float(bitPattern: words[index + 2]))
            }
            return .batteryStatistics(BatteryStatistics(
                minimumVoltage: extreme(0), maximumVoltage: extreme(3),
                minimumTemperature: extreme(6), maximumTemperature: extreme(9)))
        case .batteryResistance:
            let cells = stride(from: 0, to: 96, by: 4).map { (base: Int) -> Double in
                let word = UInt16(payload[base]) << 8 | UInt16(payload[base + 1])
                return Double(word) / 256
            }
            return .batteryResistance(cells)
        case .unknown:
            return .bytes(payload)
        }
    }

    /// Encodes `value` as `type`, for a WRITE or for a simulated answer.
    public static func encode(_ value: Value, as type: DataType) throws(ValueEncodingError) -> [UInt8] {
        switch (type, value) {
        case let (.bool, .bool(flag)):
            return [flag ? 1 : 0]
        case let (_, .integer(number)) where type.integerRange != nil:
            guard let range = type.integerRange, range.contains(number) else {
                throw .outOfRange(type: type, value: "\(number)")
            }
            let width = type.fixedSize ?? 1
            let bits = UInt64(bitPattern: number)
            return (0..<width).reversed().map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) }
        case let (.float, .float(number)):
            return number.bitPattern.bigEndianBytes
        case let (.string, .string(text)):
            return Array(text.utf8)
        case let (.timeseries, .timeseries(series)):
            var out = UInt32(truncatingIfNeeded: series.requestedTime).bigEndianBytes
            for sample in series.samples {
                out += UInt32(truncatingIfNeeded: sample.time).bigEndianBytes + sample.value.bitPattern.bigEndianBytes
            }
            return out
        case let (.eventTable, .eventTable(table)):
            var out = UInt32(truncatingIfNeeded: table.requestedTime).bigEndianBytes
            for event in table.events {
                guard event.elements.count == 3 else { throw .malformed("an event row has exactly three elements") }
                out += event.type.bigEndianBytes + UInt32(truncatingIfNeeded: event.time).bigEndianBytes
                for element in event.elements { out += element.bigEndianBytes }
            }
            return out
        case let (.batteryCells, .batteryCells(cells)):
            guard cells.count == 24 else { throw .malformed("a battery module has 24 cells") }
            return cells.flatMap { [$0.temperature, UInt8(truncatingIfNeeded: $0.millivolts),
                                    UInt8(truncatingIfNeeded: $0.millivolts >> 8), $0.status] }
        case let (.batteryStatistics, .batteryStatistics(stats)):
            let extremes = [stats.minimumVoltage, stats.maximumVoltage, stats.minimumTemperature, stats.maximumTemperature]
            let words = extremes.flatMap { [$0.cell, UInt32(truncatingIfNeeded: $0.time ?? 0), $0.value.bitPattern] }
            return words.flatMap { Array($0.bigEndianBytes.reversed()) }
        case let (.batteryResistance, .batteryResistance(cells)):
            guard cells.count == 24 else { throw .malformed("a battery module has 24 cells") }
            var out: [UInt8] = []
            for milliohm in cells {
                let raw = (milliohm * 256).rounded()
                guard raw >= 0, raw <= Double(UInt16.max) else { throw .outOfRange(type: type, value: "\(milliohm)") }
                let word = UInt16(raw)
                out += [UInt8(word >> 8), UInt8(truncatingIfNeeded: word), 0, 0]
            }
            return out
        case let (.unknown, .bytes(bytes)):
            return bytes
        default:
            throw .typeMismatch(type: type)
        }
    }
}

/// Why a payload could not be decoded.
public enum ValueDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payload size does not fit the data type (for example a response cut short).
    case sizeMismatch(type: DataType, expected: String, actual: Int)

    public var description: String {
        TextBuffer.string(capacity: 64) { write(to: &$0) }
    }

    /// Writes the ``description``, e.g. into a dump line.
    public func write(to text: inout TextBuffer) {
        switch self {
        case let .sizeMismatch(type, expected, actual):
            text.append("a ")
            text.append(type.rawValue)
            text.append(" value takes ")
            text.append(expected)
            text.append(" bytes, but the answer carried ")
            text.appendDecimal(Int64(actual))
        }
    }
}

/// Why a value could not be encoded.
public enum ValueEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The value is of another kind than the data type.
    case typeMismatch(type: DataType)
    /// The number does not fit the data type.
    case outOfRange(type: DataType, value: String)
    /// A composite value is not shaped as the data type requires.
    case malformed(String)

    public var description: String {
        switch self {
        case let .typeMismatch(type): "the value is not a \(type)"
        case let .outOfRange(type, value): "\(value) does not fit a \(type)"
        case let .malformed(reason): reason
        }
    }
}

/// Reads big-endian words from a payload whose size was checked beforehand.
struct ByteReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - index }

    mutating func uint32() -> UInt32 {
        defer { index += 4 }
        return UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16
            | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }
}
