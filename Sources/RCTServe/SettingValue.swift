import RCTProtocol

/// Values between the inverter and Home Assistant: the state text published for a value
/// read, and the value a command payload asks for. Pure, so every refusal is tested.
public enum SettingValue {
    /// The largest command payload looked at; anything longer is refused unread.
    public static let maximumPayload = 256

    /// The state payload for `value` of `entry`: the number in the shown unit, an enum's
    /// label, `ON`/`OFF`; nil when the value is not of a kind the entry can show.
    public static func state(_ value: Value, of entry: Catalogue.Entry, component: String) -> String? {
        switch (component, value) {
        case ("binary_sensor", .integer(let number)), ("switch", .integer(let number)):
            return number != 0 ? "ON" : "OFF"
        case ("binary_sensor", .bool(let flag)), ("switch", .bool(let flag)):
            return flag ? "ON" : "OFF"
        case (_, .integer(let number)) where !entry.object.labels.isEmpty:
            return entry.object.label(for: number) ?? "\(number)"
        case (_, .bool(let flag)):
            return flag ? "ON" : "OFF"
        case (_, .integer(let number)):
            return "\(number)"
        case (_, .float(let raw)):
            guard raw.isFinite else { return nil }
            return number(shown(Double(raw), entry.scale), entry: entry)
        default:
            return nil
        }
    }

    /// A raw number in the unit Home Assistant shows.
    public static func shown(_ raw: Double, _ scale: Catalogue.Entry.Scale) -> Double {
        switch scale {
        case .none: raw
        case .percent: raw * 100
        case .kilo: raw / 1000
        }
    }

    /// The value asked for by a command `payload` to setting `entry`, validated by its write
    /// rule exactly as `rct set` validates text; the refusal says why.
    public static func command(_ payload: [UInt8], for entry: Catalogue.Entry,
                               powerLimit: Double = WriteRules.defaultBatteryPowerLimit) -> Result<Value, Refusal> {
        guard let rule = entry.rule?.limitingPower(to: powerLimit) else { return .failure(Refusal("\(entry.object.name) is not a setting")) }
        let text: String
        switch payloadText(payload) {
        case let .success(decoded): text = decoded
        case let .failure(refusal): return .failure(refusal)
        }
        let asked: String
        switch rule.kind {
        case .number:
            // Home Assistant sends numbers as floats ("30.0"): a zero after the point adds no decimal.
            let trimmed = withoutTrailingZeros(text)
            asked = entry.scale == .percent && !trimmed.hasSuffix("%") ? trimmed + "%" : trimmed
        case .choice, .flag:
            asked = text
        }
        do {
            return .success(try rule.parse(asked))
        } catch {
            // Quoted as sent, without the % added for parsing.
            return .failure(Refusal(error.quoting(text).description))
        }
    }

    /// A payload as text: not empty, not too long, UTF-8, without surrounding spaces.
    public static func payloadText(_ payload: [UInt8]) -> Result<String, Refusal> {
        guard payload.count <= maximumPayload else {
            return .failure(Refusal("payload of \(payload.count) bytes refused; at most \(maximumPayload)"))
        }
        guard let text = String(validating: payload, as: UTF8.self) else {
            return .failure(Refusal("payload is not UTF-8 text"))
        }
        let trimmed = text.trimmingCharacters(in: " \t\r\n")
        guard !trimmed.isEmpty else { return .failure(Refusal("empty payload")) }
        return .success(trimmed)
    }

    /// Decimals shown for a rule's `decimals` after `scale` (a percentage has two fewer).
    static func shownDecimals(_ decimals: Int, _ scale: Catalogue.Entry.Scale) -> Int {
        scale == .percent ? max(0, decimals - 2) : decimals
    }

    /// 10^-decimals, the step of a number entity.
    static func step(decimals: Int) -> Double {
        var step = 1.0
        for _ in 0..<decimals { step /= 10 }
        return step
    }

    private static func number(_ value: Double, entry: Catalogue.Entry) -> String {
        switch entry.scale {
        case .percent: return NumberText.percent(value / 100)
        // Energy in kWh to the watt-hour, so the dashboard sees every step the counter makes.
        case .kilo: return WriteRule.format(value, decimals: 3)
        case .none: return NumberText.format(value)
        }
    }

    private static func withoutTrailingZeros(_ text: String) -> String {
        guard text.contains("."), text.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" }) else { return text }
        var result = Substring(text)
        while result.last == "0" { result = result.dropLast() }
        if result.last == "." { result = result.dropLast() }
        return String(result)
    }
}

/// Why a command was refused, for the result topic and the log.
public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reason, one line.
    public let description: String
    /// A refusal saying `reason`.
    public init(_ reason: String) { description = reason }
}
