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
        let actions: Actions
        let values: [Reading]
        /// The latest command results, oldest first (the `result` topic's messages); in
        /// `/api/values` only, events bring each new one.
        let results: [CommandResult]?
    }

    /// The battery actions the page offers.
    struct Actions: Encodable {
        /// The action running now (`hold`, `charge`), if any.
        let running: String?
        /// The reserve presets' buttons.
        let reserves: [Reserve]
    }

    /// One reserve preset's button.
    struct Reserve: Encodable {
        /// The action's key: `reserve_winter`.
        let key: String
        let name: String
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
        let resyncs: Int
        let foreign_frames: Int
        /// Answer times of the last ``AnswerTimes/capacity`` answers, milliseconds; nil before any.
        let latency_p50_ms: Double?
        let latency_p99_ms: Double?
        /// How many answers the percentiles are of.
        let latency_answers: Int
        /// Gateway clients connected now (the daemon's own parts not counted).
        let clients: Int
        /// Every client, the daemon's own parts included, and what each asks for.
        let client_list: [Client]
    }

    /// One gateway client in `/api/health`.
    struct Client: Encodable {
        /// Its address and port, or the daemon's part: `poller`, `commands`, `action`.
        let name: String
        /// Whether it is a part of `rct serve` itself.
        let daemon: Bool
        /// Seconds since it connected.
        let connected_s: Double
        /// Frames it sent.
        let requests: Int
        /// The objects it asked for last, newest last.
        let asks: [String]
    }

    /// Each `trace` event of `/api/trace`: one chunk of the link, as `--trace` prints it.
    struct TraceEntry: Encodable {
        /// Seconds since 1970.
        let time: Double
        /// The raw bytes, then each frame or diagnostic decoded from them.
        let lines: [String]
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
