import Prometheus
import Synchronization

/// A Prometheus counter whose count the daemon can also read, for the web page's link health.
public final class Tally: Sendable {
    private let counter: Counter
    private let count = Atomic<Int>(0)

    init(_ counter: Counter) { self.counter = counter }

    /// Adds one.
    func increment() {
        counter.increment()
        count.add(1, ordering: .relaxed)
    }

    /// The count so far.
    public var value: Int { count.load(ordering: .relaxed) }
}

/// The gateway's Prometheus metrics, named after Prometheus' conventions: an `rct_` prefix,
/// base units, `_total` on counters.
public struct GatewayMetrics: Sendable {
    /// Where the metrics live; `/metrics` emits it.
    public let registry: PrometheusCollectorRegistry
    /// Requests sent upstream, retries included.
    public let exchanges: Tally
    /// Upstream requests that got their answer.
    public let answers: Tally
    /// Upstream requests that got no answer in time.
    public let timeouts: Tally
    /// Frames on the upstream link whose checksum failed.
    public let crcErrors: Tally
    /// 1 while the upstream link is open, else 0.
    let linkUp: Gauge
    /// Times the upstream link was opened again after it was lost.
    let reconnects: Counter
    /// Gateway clients connected now.
    let clients: Gauge
    /// Clients turned away because the maximum was reached.
    let refusedClients: Counter
    /// Clients closed after sending nothing for the idle timeout.
    let idleClosed: Counter
    /// Idle clients closed to make room for a new one at the maximum.
    let evicted: Counter
    /// HTTP connections open now.
    let httpConnections: Gauge
    /// HTTP connections turned away at their maximum.
    let httpRefused: Counter
    /// HTTP connections closed for sending no whole request, or not taking their response, in time.
    let httpTimedOut: Counter
    /// Reads answered from the freshness cache.
    let cacheHits: Counter
    /// Reads that joined an identical read already waiting.
    let coalesced: Counter
    /// Writes refused by the write policy.
    let refusedWrites: Counter
    /// Writes carried out (verified or not).
    let writes: Counter
    /// Writes whose value was rounded to the parameter's step or clamped to the power limit.
    let adjustedWrites: Counter
    /// Requests dropped because the client had too many waiting.
    let overloaded: Counter
    /// Frames on the upstream link that this gateway did not cause.
    public let foreignFrames: Tally
    /// Time from sending a request upstream to its answer.
    let answerTime: DurationHistogram
    /// The latest answer times, for percentiles on the web page.
    public let recentAnswerTimes = SharedAnswerTimes()
    /// Times the frame decoder dropped or passed over bytes to find the next frame.
    public let resyncs: Tally

    /// Fresh metrics in a new registry.
    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func counter(_ subsystem: String, _ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: Self.name(subsystem, name, "total", help))
        }
        func gauge(_ subsystem: String, _ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: Self.name(subsystem, name, unit, help))
        }
        exchanges = Tally(counter("upstream", "exchanges", "Requests sent to the inverter, retries included."))
        answers = Tally(counter("upstream", "answers", "Requests the inverter answered."))
        timeouts = Tally(counter("upstream", "timeouts", "Requests the inverter did not answer in time."))
        crcErrors = Tally(counter("upstream", "crc_errors", "Frames from the inverter link whose checksum failed."))
        linkUp = gauge("upstream", "link_up", "", "1 while the link to the inverter is open, else 0.")
        reconnects = counter("upstream", "reconnects", "Times the link was opened again after it was lost.")
        resyncs = Tally(counter("upstream", "resyncs", "Times the frame decoder dropped or passed over bytes to find the next frame."))
        foreignFrames = Tally(counter("upstream", "foreign_frames", "Frames on the inverter link this gateway did not cause."))
        clients = gauge("gateway", "clients", "", "Gateway clients connected now.")
        refusedClients = counter("gateway", "refused_clients", "Clients turned away at the maximum.")
        idleClosed = counter("gateway", "idle_closed_clients", "Clients closed after the idle timeout.")
        evicted = counter("gateway", "evicted_clients", "Idle clients closed to make room for a new one.")
        httpConnections = gauge("http", "connections", "", "HTTP connections open now.")
        httpRefused = counter("http", "refused_connections", "HTTP connections turned away at the maximum.")
        httpTimedOut = counter("http", "timed_out_connections", "HTTP connections closed for being idle or slow.")
        cacheHits = counter("gateway", "cache_hits", "Reads answered from a fresh upstream answer.")
        coalesced = counter("gateway", "coalesced_reads", "Reads that shared an identical waiting read.")
        refusedWrites = counter("gateway", "refused_writes", "Client writes refused by the write policy.")
        writes = counter("gateway", "writes", "Client writes carried out with read-back.")
        adjustedWrites = counter("gateway", "adjusted_writes", "Client writes rounded to the step or clamped to the power limit.")
        overloaded = counter("gateway", "dropped_requests", "Requests dropped: the client had too many waiting.")
        answerTime = registry.makeDurationHistogram(
            descriptor: Self.name("upstream", "answer", "seconds", "Time from a request to the inverter's answer."),
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                      .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5)])
    }

    /// `rct_<subsystem>_<name>[_<unit>]`.
    private static func name(_ subsystem: String, _ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "rct", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    /// The request counter of one client, labelled with its address (without the port, so a
    /// client that reconnects keeps its series).
    func requests(from host: String) -> Counter {
        registry.makeCounter(descriptor: Self.name("gateway", "requests", "total", "Requests received from each gateway client's address."),
                             labels: [("client", host)])
    }
}
