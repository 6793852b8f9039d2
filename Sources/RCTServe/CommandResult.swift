import FoundationEssentials

/// One message on the result topic: what became of a command, or one step of an action.
/// Home Assistant automations and people read it; every refusal carries its reason.
public struct CommandResult: Codable, Sendable, Equatable {
    /// What was asked: `set soc_min`, `hold`, `charge`, `reserve_winter`.
    public var command: String
    /// The payload as received (cut to 256 characters), if any.
    public var payload: String?
    /// `written` (written and read back), `unchanged` (already so, nothing sent), `refused`
    /// (nothing sent), `failed` (stopped; see reason), `started`, `step`, `progress`, `ended`.
    public var outcome: String
    /// Why, for refused, failed and ended.
    public var reason: String?
    /// The parameter a step or write concerns.
    public var parameter: String?
    /// The value read back (or planned), as shown.
    public var value: String?
    /// For action steps: `enter`, `hand_back` or `apply`.
    public var phase: String?

    /// A result.
    public init(command: String, payload: String? = nil, outcome: String, reason: String? = nil,
                parameter: String? = nil, value: String? = nil, phase: String? = nil) {
        self.command = command
        self.payload = payload
        self.outcome = outcome
        self.reason = reason
        self.parameter = parameter
        self.value = value
        self.phase = phase
    }

    /// The JSON bytes, keys sorted.
    public var json: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map(Array.init) ?? Array("{\"outcome\":\"\(outcome)\"}".utf8)
    }

    /// A payload for the `payload` member: UTF-8 text cut short, or a note that it was not text.
    static func echo(_ payload: [UInt8]) -> String {
        guard let text = String(validating: payload, as: UTF8.self) else {
            return "(\(payload.count) bytes, not UTF-8 text)"
        }
        return text.count > 256 ? text.prefix(256) + "…" : text
    }
}
