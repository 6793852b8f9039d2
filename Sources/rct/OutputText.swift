import RCTProtocol

/// Values as people read them, and as JSON.
enum OutputText {
    /// A value with its enum label and unit, e.g. `2 (External)`, `230.5 V`, or for a
    /// fraction `55.0 %` (see ``NumberText`` for the precision).
    static func value(_ value: Value, of object: ObjectInfo?) -> String {
        TextBuffer.string { append(value, of: object, to: &$0) }
    }

    /// Appends what ``value(_:of:)`` says.
    static func append(_ value: Value, of object: ObjectInfo?, to text: inout TextBuffer) {
        appendWithoutUnit(value, of: object, to: &text)
        if let unit = object?.displayUnit, !unit.isEmpty, carriesUnit(value) {
            text.append(ascii: UInt8(ascii: " "))
            text.append(unit)
        }
    }

    /// Appends what ``value(_:of:)`` says up to its unit.
    static func appendWithoutUnit(_ value: Value, of object: ObjectInfo?, to text: inout TextBuffer) {
        let fraction = object?.isFraction ?? false
        func number(_ float: Float) {
            if fraction { text.appendPercent(Double(float)) } else { text.appendNumber(Double(float)) }
        }
        switch value {
        case let .float(float):
            number(float)
        case let .integer(integer):
            text.appendDecimal(integer)
            if let label = object?.label(for: integer) {
                text.append(literal: " (")
                text.append(label)
                text.append(ascii: UInt8(ascii: ")"))
            }
        case let .timeseries(series):
            if series.samples.isEmpty { text.append("(no samples)") }
            for (index, sample) in series.samples.enumerated() {
                if index > 0 { text.append(ascii: UInt8(ascii: " ")) }
                text.appendTimestamp(sample.time)
                text.append(ascii: UInt8(ascii: "="))
                number(sample.value)
            }
        case let .string(string):
            text.appendEscaped(string)
        default:
            text.append(ValueText.describe(value))
        }
    }

    /// Whether `value` is shown with its object's unit: numbers and timeseries are.
    static func carriesUnit(_ value: Value) -> Bool {
        if case .timeseries = value { return true }
        return value.numericValue != nil
    }

    /// A Modbus register's value: as its registry object's value when it means one, else
    /// the number (see ``NumberText``) or text with the register's unit.
    static func value(_ value: Value, of register: ModbusRegister) -> String {
        if let object = register.object { return self.value(value, of: object) }
        return TextBuffer.string { text in
            append(value, of: nil, to: &text)
            if let unit = register.unit, value.numericValue != nil {
                text.append(ascii: UInt8(ascii: " "))
                text.append(unit)
            }
        }
    }
}
