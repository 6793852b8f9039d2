#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import NIOCore
import NIOHTTP1
import Prometheus
import RCTProtocol
import Synchronization

/// What the HTTP server of `rct serve --http` serves, apart from the sockets: the page's
/// files, `/metrics`, the JSON API, the event stream, and the rules for who may ask.
public final class WebSite: Sendable {
    /// Hours of history the chart keeps.
    public static let historyHours = 24.0

    private struct State {
        var live: LiveValues
        var serial: String?
    }

    let catalogue: Catalogue
    let gateway: Gateway
    /// The Prometheus registry behind `/metrics`.
    let registry: PrometheusCollectorRegistry
    /// Brings values that change by themselves (ages) up to date before a scrape.
    let beforeScrape: @Sendable () -> Void
    /// The token every request must carry (`--http-token-file`), if one is set.
    let token: String?
    /// The open event streams.
    let streams = EventStreams()
    private let state: Mutex<State>

    /// A site for `gateway`'s inverter; `fastInterval` sizes the history.
    public init(catalogue: Catalogue, gateway: Gateway, registry: PrometheusCollectorRegistry, token: String?,
                fastInterval: Double, beforeScrape: @escaping @Sendable () -> Void) {
        self.catalogue = catalogue
        self.gateway = gateway
        self.registry = registry
        self.token = token
        self.beforeScrape = beforeScrape
        state = Mutex(State(live: LiveValues(capacity: LiveValues.capacity(hours: Self.historyHours, interval: fastInterval))))
    }

    /// What the poller tells the site.
    public var listener: InverterPoller.Listener {
        var listener = InverterPoller.Listener()
        listener.identified = { [self] identity in state.withLock { $0.serial = identity.serialNumber } }
        listener.read = { [self] entry, value, _ in
            let now = Self.wallClock
            state.withLock { $0.live.record(value, of: entry, at: now) }
        }
        listener.roundEnded = { [self] _ in
            let now = Self.wallClock
            let sample: LiveValues.Sample? = state.withLock { state in
                state.live.sample(at: now)
                return state.live.lastSample
            }
            // Nobody watches: no snapshot to make and encode on the poller's thread.
            guard streams.count > 0 else { return }
            streams.send("values", json(snapshot()))
            if let sample { streams.send("sample", json(WebAPI.history([sample], hours: Self.historyHours))) }
        }
        return listener
    }

    /// Whether the page may change settings now, and why not. Changing settings from the
    /// page is not built yet: the reason says what to use instead.
    var settingsState: WebAPI.SettingsState {
        let reason = gateway.configuration.scheduling.allowsWrites
            ? "Changing settings from this page is not available in this version; use rct set, or Home Assistant over MQTT."
            : "rct serve is read-only: start it with --allow-writes to change settings."
        return WebAPI.SettingsState(allowed: false, reason: reason)
    }

    /// The link as the gateway sees it now.
    func health() -> WebAPI.Health {
        let metrics = gateway.metrics
        return WebAPI.Health(link_up: gateway.isLinkUp, exchanges: metrics.exchanges.value, answers: metrics.answers.value,
                             timeouts: metrics.timeouts.value, crc_errors: metrics.crcErrors.value,
                             foreign_frames: metrics.foreignFrames.value, clients: gateway.externalClients)
    }

    /// What the page shows now.
    func snapshot() -> WebAPI.Snapshot {
        let (live, serial) = state.withLock { ($0.live, $0.serial) }
        let readings = catalogue.entries.compactMap { entry -> WebAPI.Reading? in
            guard let reading = live.latest[entry.key] else { return nil }
            let shown = SettingValue.state(reading.value, of: entry, component: entry.isSetting ? "sensor" : entry.component)
            let text = shown.map { text in entry.unit.map { "\(text) \($0)" } ?? text } ?? "?"
            return WebAPI.Reading(key: entry.key, name: entry.name, text: text, number: reading.value.numericValue,
                                  unit: entry.unit, time: reading.time, accepts: entry.rule?.accepted)
        }
        return WebAPI.Snapshot(time: Self.wallClock, serial: serial, health: health(), settings: settingsState, values: readings)
    }

    /// The history the chart starts with.
    func history() -> WebAPI.History {
        let samples = state.withLock { $0.live.history() }
        return WebAPI.history(samples, hours: Self.historyHours)
    }

    /// `value` as JSON bytes.
    func json(_ value: some Encodable) -> [UInt8] {
        (try? Array(JSONEncoder().encode(value))) ?? Array("{}".utf8)
    }

    /// Seconds since 1970, for what the page shows.
    static var wallClock: Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// The open Server-Sent Event streams of the page: each gets every event while it reads; one
/// that does not read misses events (and is closed by its HTTP deadline), so none can make
/// the daemon hold more than its write buffer.
final class EventStreams: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Adds `channel` until it closes.
    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in _ = channels.withLock { $0.removeValue(forKey: id) } }
    }

    /// How many are open.
    var count: Int { channels.withLock { $0.count } }

    /// Sends an event named `name` with `data` (one line of JSON) to every stream.
    func send(_ name: String, _ data: [UInt8]) {
        let bytes = Array("event: \(name)\ndata: ".utf8) + data + Array("\n\n".utf8)
        for channel in channels.withLock({ Array($0.values) }) {
            channel.eventLoop.execute {
                guard channel.isWritable else { return }
                channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes))), promise: nil)
            }
        }
    }
}
