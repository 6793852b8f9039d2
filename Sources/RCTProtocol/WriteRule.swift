/// What a writable parameter accepts: the only gate between user text and a WRITE frame.
public struct WriteRule: Sendable, Hashable {
    /// The kinds of value a parameter takes.
    public enum Kind: Sendable, Hashable {
        /// A number between `range` bounds with at most `decimals` digits after the point.
        case number(range: ClosedRange<Double>, decimals: Int)
        /// One of the labelled values.
        case choice([EnumLabel])
        /// True or false.
        case flag
    }

    /// The parameter's name.
    public let name: String
    /// The parameter's id.
    public let id: ObjectID
    /// Its wire type.
    public let type: DataType
    /// What it accepts.
    public let kind: Kind
    /// The factory value, if known.
    public let defaultValue: Value?
    /// Unit symbol, if any.
    public let unit: String?
    /// A note shown with the rule (side effects, meaning of the sign).
    public let note: String?

    /// A rule; the built-in ones are in ``WriteRules``.
    public init(name: String, id: ObjectID, type: DataType, kind: Kind, defaultValue: Value?,
                unit: String? = nil, note: String? = nil) {
        self.name = name
        self.id = id
        self.type = type
        self.kind = kind
        self.defaultValue = defaultValue
        self.unit = unit
        self.note = note
    }

    /// Whether the parameter is a fraction from 0 to 1 (``ObjectInfo/isFraction``): shown as a
    /// percentage, and also accepted as one (`30%`).
    public var isFraction: Bool {
        Registry.standard.object(id: id)?.isFraction ?? false
    }

    /// What the parameter accepts, in words, e.g. `0.00..1.00 with at most 2 decimals (or 0..100 %)`.
    public var accepted: String {
        switch kind {
        case let .number(range, decimals):
            let bounds = "\(Self.format(range.lowerBound, decimals: decimals))..\(Self.format(range.upperBound, decimals: decimals))"
            let unitText = unit.map { " \($0)" } ?? ""
            let percent = isFraction
                ? " (or \(Self.format(range.lowerBound * 100, decimals: max(0, decimals - 2)))..\(Self.format(range.upperBound * 100, decimals: max(0, decimals - 2))) %)"
                : ""
            return decimals == 0 ? "whole numbers \(bounds)\(unitText)"
                : "\(bounds)\(unitText) with at most \(decimals) decimals\(percent)"
        case let .choice(labels):
            let first = labels.first?.value ?? 0
            let last = labels.last?.value ?? 0
            return "\(first)..\(last) (" + labels.map { "\($0.value) \($0.label)" }.joined(separator: ", ") + ")"
        case .flag:
            return "true or false (also 1/0, on/off, yes/no)"
        }
    }

    /// Reads user text into a value this parameter accepts, or says exactly what is wrong.
    ///
    /// Enum labels match case-insensitively, in full or by a unique prefix of at least three letters.
    public func parse(_ text: String) throws(WriteValidationError) -> Value {
        let trimmed = text.trimmingSpaces()
        switch kind {
        case let .number(range, decimals):
            let percent = isFraction && trimmed.hasSuffix("%")
            // A percentage: two decimals fewer, then as a fraction.
            let digits = percent ? String(trimmed.dropLast()).trimmingSpaces() : trimmed
            let scale = percent ? 0.01 : 1
            let typedDecimals = percent ? max(0, decimals - 2) : decimals
            let (number, tooFine) = try parseNumber(digits, decimals: typedDecimals, shown: trimmed)
            // A person typed it: refused, with the nearest value that would be taken.
            let nearest = describe(nearestAccepted(number * scale, range: range, decimals: decimals))
            if tooFine {
                throw reject(trimmed, reason: typedDecimals == 0 ? "a whole number is needed" : "too many decimals").suggesting(nearest)
            }
            guard range.contains(number * scale) else { throw reject(trimmed).suggesting(nearest) }
            return .float(Float(number * scale))
        case let .choice(labels):
            if let number = Int(trimmed) {
                guard labels.contains(where: { $0.value == number }) else { throw reject(trimmed) }
                return .integer(Int64(number))
            }
            let lowered = trimmed.lowercased()
            if let exact = labels.first(where: { $0.label.lowercased() == lowered }) {
                return .integer(Int64(exact.value))
            }
            let prefixed = labels.filter { $0.label.lowercased().hasPrefix(lowered) }
            guard lowered.count >= 3, prefixed.count == 1 else { throw reject(trimmed) }
            return .integer(Int64(prefixed[0].value))
        case .flag:
            switch trimmed.lowercased() {
            case "true", "1", "on", "yes": return .bool(true)
            case "false", "0", "off", "no": return .bool(false)
            default: throw reject(trimmed)
            }
        }
    }

    /// Checks a value that did not come from text (a scenario's computed power, a stored setting).
    public func validate(_ value: Value) throws(WriteValidationError) {
        switch (kind, value) {
        case let (.number(range, decimals), .float(number)):
            let display = Self.format(Double(number), decimals: decimals + 3)
            guard number.isFinite else { throw WriteValidationError(name: name, accepted: accepted, got: display, reason: "not a finite number") }
            guard range.contains(Double(number)) else { throw reject(display) }
        case let (.choice(labels), .integer(number)):
            guard labels.contains(where: { Int64($0.value) == number }) else { throw reject("\(number)") }
        case (.flag, .bool):
            return
        default:
            throw WriteValidationError(name: name, accepted: accepted, got: "a value of another type", reason: nil)
        }
    }

    /// Checks a value that arrived in binary form (a WRITE frame from another program): what
    /// ``validate(_:)`` checks, and for numbers also the decimals, as ``parse(_:)`` checks them
    /// in text. A float counts as having `decimals` decimals when it is the nearest float to
    /// such a number.
    public func validateReceived(_ value: Value) throws(WriteValidationError) {
        try validate(value)
        guard case let .number(_, decimals) = kind, case let .float(number) = value else { return }
        var scale: Float = 1
        for _ in 0..<decimals { scale *= 10 }
        let nearest = (Double(number) * Double(scale)).rounded() / Double(scale)
        guard Float(nearest) == number else {
            throw reject(Self.format(Double(number), decimals: decimals + 3),
                         reason: decimals == 0 ? "a whole number is needed" : "too many decimals")
        }
    }

    /// What the gateway makes of a value that automation sent in a WRITE frame: a number
    /// inside the range but finer than the parameter's step is rounded to the nearest step,
    /// and `battery_power_extern` beyond its range (the battery power limit, see
    /// ``limitingPower(to:)``) is clamped to it. The value and, when it was changed, a note
    /// saying how. Anything else that ``validateReceived(_:)`` refuses stays refused: another
    /// type, another number out of range, an enumeration value that does not exist, NaN.
    public func adapt(_ value: Value) throws(WriteValidationError) -> (value: Value, change: String?) {
        guard case let .number(range, decimals) = kind, case let .float(number) = value, number.isFinite else {
            try validateReceived(value)
            return (value, nil)
        }
        let given = Double(number)
        var adapted = given
        var change: String?
        if !range.contains(given) {
            guard id == WriteRules.batteryPowerExternID else { throw reject(Self.format(given, decimals: decimals + 3)) }
            adapted = min(max(given, range.lowerBound), range.upperBound)
            change = "\(Self.format(given, decimals: decimals)) clamped to the battery power limit, \(describe(.float(Float(adapted))))"
        }
        let rounded = Self.round(adapted, decimals: decimals)
        if Float(rounded) != Float(adapted) {
            change = change ?? "\(Self.format(given, decimals: decimals + 3)) rounded to \(describe(.float(Float(rounded))))"
        }
        return (.float(Float(rounded)), change)
    }

    /// The rule with `battery_power_extern` taking -`limit` to `limit` W (`rct serve
    /// --battery-power-limit`) instead of the table's range; every other rule as it is.
    public func limitingPower(to limit: Double) -> WriteRule {
        guard id == WriteRules.batteryPowerExternID, case let .number(_, decimals) = kind else { return self }
        return WriteRule(name: name, id: id, type: type, kind: .number(range: -limit...limit, decimals: decimals),
                         defaultValue: defaultValue, unit: unit, note: note)
    }

    /// `number` to `decimals` decimals, then inside `range`: the value nearest to it that the
    /// parameter takes.
    private func nearestAccepted(_ number: Double, range: ClosedRange<Double>, decimals: Int) -> Value {
        .float(Float(min(max(Self.round(number, decimals: decimals), range.lowerBound), range.upperBound)))
    }

    /// `number` rounded to `decimals` decimals, half away from zero.
    private static func round(_ number: Double, decimals: Int) -> Double {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return (number * scale).rounded() / scale
    }

    /// Whether two values are the same setting: floats within 0.005, anything else exactly.
    public func matches(_ lhs: Value, _ rhs: Value) -> Bool {
        if case let .float(left) = lhs, case let .float(right) = rhs {
            return abs(Double(left) - Double(right)) <= WriteRules.floatTolerance
        }
        return lhs == rhs
    }

    /// The value as a user would type it, with its label for choices.
    public func describe(_ value: Value) -> String {
        switch (kind, value) {
        case let (.number(_, decimals), .float(number)):
            return isFraction ? Self.format(Double(number) * 100, decimals: max(0, decimals - 2)) + " %"
                : Self.format(Double(number), decimals: decimals)
        case let (.choice(labels), .integer(number)):
            let label = labels.first { Int64($0.value) == number }?.label
            return label.map { "\(number) (\($0))" } ?? "\(number)"
        case let (_, .bool(flag)):
            return flag ? "true" : "false"
        default:
            return ValueText.describe(value)
        }
    }

    private func reject(_ got: String, reason: String? = nil) -> WriteValidationError {
        WriteValidationError(name: name, accepted: accepted, got: got.isEmpty ? "nothing" : got, reason: reason)
    }

    /// Reads a plain decimal number, and whether it has more than `decimals` decimals;
    /// `shown` is the text as the user typed it, for the message.
    private func parseNumber(_ text: String, decimals: Int, shown: String) throws(WriteValidationError) -> (Double, tooFine: Bool) {
        let lowered = text.lowercased()
        if ["nan", "+nan", "-nan"].contains(lowered) {
            throw reject(shown, reason: "NaN is not a number it can take")
        }
        if ["inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"].contains(lowered) {
            throw reject(shown, reason: "infinity is not a number it can take")
        }
        var body = Substring(text)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digitsOnly = { (part: Substring) in part.allSatisfy { $0.isASCII && $0.isNumber } }
        guard !parts[0].isEmpty, parts.allSatisfy({ !$0.isEmpty && digitsOnly($0) }), let number = Double(text) else {
            throw reject(shown, reason: "not a number")
        }
        return (number, parts.count == 2 && parts[1].count > decimals)
    }

    /// `value` with exactly `decimals` digits after the point.
    public static func format(_ value: Double, decimals: Int) -> String {
        TextBuffer.string { $0.appendFixed(value, decimals: decimals) }
    }
}

/// A value that a writable parameter does not accept.
public struct WriteValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The parameter.
    public let name: String
    /// What it accepts, in words.
    public let accepted: String
    /// What was given.
    public private(set) var got: String
    /// Why, when the range alone does not say it (too many decimals, NaN, not a number).
    public let reason: String?
    /// The value nearest to what was given that the parameter takes, as a user would type it.
    public var nearest: String? = nil

    public var description: String {
        "\(name) accepts \(accepted); got \(got)" + (reason.map { " (\($0))" } ?? "")
            + (nearest.map { "; the nearest it takes is \($0)" } ?? "")
    }

    /// The same refusal, saying what was given as `given`: the input as its sender wrote it,
    /// when it was rewritten before parsing (a unit added).
    public func quoting(_ given: String) -> WriteValidationError {
        var error = self
        error.got = given.isEmpty ? "nothing" : given
        return error
    }

    /// The same refusal, naming the nearest value the parameter takes.
    func suggesting(_ value: String) -> WriteValidationError {
        var error = self
        error.nearest = value
        return error
    }
}

extension String {
    /// The text without leading and trailing spaces, tabs and newlines.
    func trimmingSpaces() -> String {
        trimmingCharacters(in: " \t\n\r")
    }
}
