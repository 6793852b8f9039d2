import RCTProtocol

/// The JSON the web page reads (`/api/values`, `/api/history`, the event stream); documented
/// in Documentation/Web.md. Encoded with FoundationEssentials' JSONEncoder.
enum WebAPI {
    /// `/api/values` and each `values` event: what the page shows now.
    struct Snapshot: Encodable {
        let time: Double
        let serial: String?
        let health: Health
        let settings: SettingsState
        let values: [Reading]
    }

    /// Whether the page may change settings, and why not.
    struct SettingsState: Encodable {
        let allowed: Bool
        let reason: String
    }

    /// One catalogue entry's latest value.
    struct Reading: Encodable {
        let key: String
        let name: String
        /// As `rct get` and Home Assistant show it: `55.0 %`, `-1210 W`, `4 (Internal)`.
        let text: String
        /// The raw number, where the value is one (a fraction stays a fraction).
        let number: Double?
        let unit: String?
        /// Seconds since 1970.
        let time: Double
        /// What a setting accepts (its write rule), for settings only.
        let accepts: String?
    }

    /// `/api/health`: the link as the gateway sees it.
    struct Health: Encodable {
        let link_up: Bool
        let exchanges: Int
        let answers: Int
        let timeouts: Int
        let crc_errors: Int
        let foreign_frames: Int
        let clients: Int
    }

    /// `/api/history` and each `sample` event: rows of [time, value of each key].
    struct History: Encodable {
        let keys: [String]
        let hours: Double
        let samples: [[Double?]]
    }

    static func history(_ samples: [LiveValues.Sample], hours: Double) -> History {
        History(keys: LiveValues.chartedKeys, hours: hours, samples: samples.map { [$0.time] + $0.values })
    }
}
