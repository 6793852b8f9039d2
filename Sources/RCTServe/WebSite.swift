#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import NIOCore
import NIOHTTP1
import Prometheus
import RCTProtocol
import RCTTransport
import Synchronization

/// What the HTTP server of `rct serve --http` serves, apart from the sockets: the page's
/// files, `/metrics`, the JSON API, the event stream, and the rules for who may ask.
public final class WebSite: Sendable {
    /// Hours of history the chart keeps.
    public static let historyHours = 24.0
    /// The least seconds between the chart's samples: 8 640 a day, however fast the poll.
    public static let chartSpacing = 10.0

    private struct State {
        var live: LiveValues
        var serial: String?
        var results: [CommandResult] = []
    }

    /// How many command results the page gets when it opens.
    static let keptResults = 20

    let catalogue: Catalogue
    let gateway: Gateway
    /// Carries out the page's commands; nil when the daemon takes none.
    let desk: CommandDesk?
    /// The Prometheus registry behind `/metrics`.
    let registry: PrometheusCollectorRegistry
    /// Brings values that change by themselves (ages) up to date before a scrape.
    let beforeScrape: @Sendable () -> Void
    /// The token every request must carry (`--http-token-file`), if one is set.
    let token: String?
    /// The open event streams.
    let streams = EventStreams()
    /// The open streams of the live frame trace.
    let traces = EventStreams()
    private let state: Mutex<State>

    /// A site for `gateway`'s inverter whose changes `desk` carries out; `fastInterval`
    /// sizes the history.
    public init(catalogue: Catalogue, gateway: Gateway, desk: CommandDesk?, registry: PrometheusCollectorRegistry, token: String?,
                fastInterval: Double, beforeScrape: @escaping @Sendable () -> Void) {
        self.catalogue = catalogue
        self.gateway = gateway
        self.desk = desk
        self.registry = registry
        self.token = token
        self.beforeScrape = beforeScrape
        let spacing = max(fastInterval, Self.chartSpacing)
        state = Mutex(State(live: LiveValues(capacity: LiveValues.capacity(hours: Self.historyHours, interval: spacing), spacing: spacing)))
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
                return state.live.sample(at: now) ? state.live.lastSample : nil
            }
            // Nobody watches: no snapshot to make and encode on the poller's thread.
            guard streams.count > 0 else { return }
            streams.send("values", json(snapshot()))
            if let sample { streams.send("sample", json(WebAPI.history([sample], hours: Self.historyHours))) }
        }
        return listener
    }

    /// What the site hears from the command desk: every result, whoever asked (the page
    /// shows them as they come), and a setting's value read back after a write.
    public var observer: CommandDesk.Observer {
        var observer = CommandDesk.Observer()
        observer.result = { [self] result in
            state.withLock { state in
                state.results.append(result)
                if state.results.count > Self.keptResults { state.results.removeFirst() }
            }
            guard streams.count > 0 else { return }
            streams.send("result", json(result))
            streams.send("actions", json(actions))
        }
        observer.read = { [self] entry, value in
            let now = Self.wallClock
            state.withLock { $0.live.record(value, of: entry, at: now) }
            if streams.count > 0 { streams.send("values", json(snapshot())) }
        }
        return observer
    }

    /// Sends a trace entry's lines to the open trace streams; describes it only while one is open.
    func trace(_ entry: TraceEntry, describedBy describe: (TraceEntry) -> [String]) {
        guard traces.count > 0 else { return }
        traces.send("trace", json(WebAPI.TraceEntry(time: Self.wallClock, lines: describe(entry))))
    }

    /// Whether the page may change settings now, and why not.
    var settingsState: WebAPI.SettingsState {
        guard let desk, desk.allowsWrites else {
            return WebAPI.SettingsState(allowed: false, reason: "rct serve is read-only: start it with --allow-writes to change settings.")
        }
        return WebAPI.SettingsState(allowed: true, reason: "Each change is checked against its rule, written once and read back from the inverter.")
    }

    /// The actions the page offers, and the one running.
    var actions: WebAPI.Actions {
        WebAPI.Actions(running: desk?.runningAction,
                       reserves: catalogue.presets.map { WebAPI.Reserve(key: "reserve_\($0.key)", name: $0.name) })
    }

    /// The link as the gateway sees it now.
    func health() -> WebAPI.Health {
        let metrics = gateway.metrics
        let times = metrics.recentAnswerTimes.current
        let milliseconds = { (seconds: Double?) in seconds.map { ($0 * 10_000).rounded() / 10 } }
        let clients = gateway.clientReports().map {
            WebAPI.Client(name: $0.name, daemon: $0.isInternal, connected_s: $0.connectedFor.rounded(), requests: $0.requests, asks: $0.asks)
        }
        return WebAPI.Health(link_up: gateway.isLinkUp, exchanges: metrics.exchanges.value, answers: metrics.answers.value,
                             timeouts: metrics.timeouts.value, crc_errors: metrics.crcErrors.value, resyncs: metrics.resyncs.value,
                             foreign_frames: metrics.foreignFrames.value, latency_p50_ms: milliseconds(times.percentile(0.5)),
                             latency_p99_ms: milliseconds(times.percentile(0.99)), latency_answers: times.count,
                             clients: clients.count { !$0.daemon }, client_list: clients)
    }

    /// What the page shows now; with the latest command results for a page that opens.
    func snapshot(withResults: Bool = false) -> WebAPI.Snapshot {
        let (live, serial, results) = state.withLock { ($0.live, $0.serial, withResults ? $0.results : nil) }
        let readings = catalogue.entries.compactMap { entry -> WebAPI.Reading? in
            guard let reading = live.latest[entry.key] else { return nil }
            let shown = SettingValue.state(reading.value, of: entry, component: entry.isSetting ? "sensor" : entry.component)
            let text = shown.map { text in entry.unit.map { "\(text) \($0)" } ?? text } ?? "?"
            return WebAPI.Reading(key: entry.key, name: entry.name, text: text, number: reading.value.numericValue,
                                  unit: entry.unit, time: reading.time, accepts: entry.rule?.accepted)
        }
        return WebAPI.Snapshot(time: Self.wallClock, serial: serial, health: health(), settings: settingsState, actions: actions,
                               values: readings, results: results)
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

    /// An event named `name` with `data` (one line of JSON), as a stream carries it.
    static func event(_ name: String, _ data: [UInt8]) -> [UInt8] {
        Array("event: \(name)\ndata: ".utf8) + data + Array("\n\n".utf8)
    }

    /// Sends an event named `name` with `data` (one line of JSON) to every stream.
    func send(_ name: String, _ data: [UInt8]) {
        let bytes = Self.event(name, data)
        for channel in channels.withLock({ Array($0.values) }) {
            channel.eventLoop.execute {
                guard channel.isWritable else { return }
                channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes))), promise: nil)
            }
        }
    }
}
