import FoundationEssentials
import RCTControl
import RCTProtocol

/// A battery action asked for over MQTT, checked before anything is sent.
public enum ActionRequest: Sendable, Equatable {
    /// Lock discharge for `duration` seconds.
    case hold(duration: Double)
    /// Charge from the grid with `power` watts until `targetSOC` or `duration` seconds.
    case charge(power: Double, targetSOC: Double?, duration: Double)
    /// End the running action and hand back.
    case stop
    /// Set the emergency reserve preset.
    case reserve(Catalogue.ReservePreset)

    /// The time limit when none is given: 2 hours.
    public static let defaultDuration = 2.0 * 3600
    /// The longest time limit accepted: 12 hours.
    public static let maximumDuration = 12.0 * 3600

    /// The hold switch's payload: `ON` starts a hold of the default length, `OFF` stops; the
    /// web page sends a JSON object with `max_duration` (seconds, or a text like `"90m"`).
    public static func hold(_ payload: [UInt8]) -> Result<ActionRequest, Refusal> {
        switch SettingValue.payloadText(payload) {
        case let .failure(refusal):
            return .failure(refusal)
        case let .success(text) where text.hasPrefix("{"):
            let fields: [String: JSONScalar]
            switch options(text, known: ["max_duration"], example: "{\"max_duration\": \"2h\"}") {
            case let .failure(refusal): return .failure(refusal)
            case let .success(decoded): fields = decoded
            }
            return duration(fields["max_duration"]).map { .hold(duration: $0) }
        case let .success(text):
            switch text.uppercased() {
            case "ON": return .success(.hold(duration: defaultDuration))
            case "OFF": return .success(.stop)
            default: return .failure(Refusal("the hold switch takes ON or OFF, not '\(text.prefix(40))'"))
            }
        }
    }

    /// The charge topic's payload: `OFF` stops; otherwise one JSON object with `power` (watts,
    /// 1 to 6000, whole), and optionally `target_soc` (more than 0 up to 1, or a text like
    /// `"80%"`) and `max_duration` (seconds, or a text like `"90m"`; default 2 h, at most 12 h).
    public static func charge(_ payload: [UInt8]) -> Result<ActionRequest, Refusal> {
        let text: String
        switch SettingValue.payloadText(payload) {
        case let .failure(refusal): return .failure(refusal)
        case let .success(decoded): text = decoded
        }
        if text.uppercased() == "OFF" { return .success(.stop) }
        let fields: [String: JSONScalar]
        switch options(text, known: ["power", "target_soc", "max_duration"],
                       example: "{\"power\": 3000, \"target_soc\": 0.8, \"max_duration\": \"2h\"}") {
        case let .failure(refusal): return .failure(refusal)
        case let .success(decoded): fields = decoded
        }
        guard case let .number(power)? = fields["power"] else {
            return .failure(Refusal("power is missing or not a number (watts, 1 to 6000)"))
        }
        guard power >= 1 && power <= 6000 && power == power.rounded() else {
            return .failure(Refusal("power accepts whole watts from 1 to 6000; got \(NumberText.format(power))"))
        }
        var target: Double?
        switch fields["target_soc"] {
        case nil, .null?:
            target = nil
        case let .number(fraction)?:
            target = fraction
        case let .text(percent)? where percent.hasSuffix("%"):
            target = Double(String(percent.dropLast()).trimmingCharacters(in: " ")).map { $0 / 100 }
        default:
            return .failure(Refusal("target_soc is a fraction (0.8) or a percentage (\"80%\")"))
        }
        if let fraction = target, !(fraction > 0 && fraction <= 1) {
            return .failure(Refusal("target_soc accepts more than 0 up to 1 (or up to \"100%\")"))
        }
        return duration(fields["max_duration"]).map { .charge(power: power, targetSOC: target, duration: $0) }
    }

    /// An action's JSON options, each known by name.
    private static func options(_ text: String, known: Set<String>, example: String) -> Result<[String: JSONScalar], Refusal> {
        let fields: [String: JSONScalar]
        do {
            fields = try JSONDecoder().decode([String: JSONScalar].self, from: Data(text.utf8))
        } catch {
            return .failure(Refusal("the command is OFF or a JSON object such as \(example)"))
        }
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            return .failure(Refusal("unknown option '\(unknown.prefix(40))'; this command knows \(known.sorted().joined(separator: ", "))"))
        }
        return .success(fields)
    }

    /// The time limit `max_duration` gives: the default without one, at most 12 hours.
    private static func duration(_ field: JSONScalar?) -> Result<Double, Refusal> {
        let duration: Double?
        switch field {
        case nil, .null?: duration = defaultDuration
        case let .number(seconds)?: duration = seconds > 0 && seconds.isFinite ? seconds : nil
        case let .text(words)?: duration = DurationText.parse(words)
        default: duration = nil
        }
        guard let duration else { return .failure(Refusal("max_duration is seconds or a duration such as \"90m\"")) }
        guard duration <= maximumDuration else {
            return .failure(Refusal("max_duration is at most 12h; an action from MQTT or the page must end by itself"))
        }
        return .success(duration)
    }
}

/// A JSON value that is not an array or object: what an action's options may be.
enum JSONScalar: Decodable, Equatable {
    case number(Double)
    case text(String)
    case flag(Bool)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .flag(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .text(try container.decode(String.self))
        }
    }
}
