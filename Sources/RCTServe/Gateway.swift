import Dispatch
import Logging
import NIOCore
import Prometheus
import RCTProtocol
import RCTTransport
import Synchronization

/// The shared core of `rct serve`: the clients' side (NIO event loop threads) hands requests
/// in, the upstream thread takes work out, and answers go back to the clients that asked.
///
/// All scheduling decisions are made by ``GatewayScheduler``, a plain value kept under a
/// mutex; this class only connects it to sockets, the log and the metrics.
public final class Gateway: Sendable {
    /// The knobs of the gateway side.
    public struct Configuration: Sendable {
        /// Scheduling: freshness, per-client bound, writes allowed.
        public var scheduling: GatewayScheduler.Configuration
        /// How many clients may be connected at once.
        public var maximumClients: Int
        /// Seconds a client may send nothing, with nothing waiting for it, before it is closed.
        public var idleTimeout: Double
        /// Seconds a client must have been idle before it is closed to make room for a new
        /// client at the maximum.
        public var evictableAfter: Double
        /// Seconds between the summary lines of the log: what the clients did meanwhile.
        public var summaryInterval: Double
        /// Whether the last minutes of the upstream link are kept for download (the web page).
        public var keepsRecentTraffic = false
        /// Seconds after which a client that has sent nothing since it connected may be
        /// closed to make room at the maximum.
        public static let silentAfterConnecting = 3.0

        /// Defaults: see ``GatewayScheduler/Configuration``; 16 clients, closed after 300 s of
        /// silence, or after 10 s when a new client needs the room.
        public init(scheduling: GatewayScheduler.Configuration = .init(), maximumClients: Int = 16,
                    idleTimeout: Double = 300, evictableAfter: Double = 10, summaryInterval: Double = 3600) {
            self.scheduling = scheduling
            self.maximumClients = maximumClients
            self.idleTimeout = idleTimeout
            self.evictableAfter = min(evictableAfter, idleTimeout)
            self.summaryInterval = summaryInterval
        }
    }

    private struct ClientState {
        let peer: GatewayPeer
        let name: String
        let requests: Prometheus.Counter
        /// A part of the daemon itself (poller, MQTT): not counted against `--max-clients`,
        /// never closed for being idle.
        let isInternal: Bool
        /// When it last sent a frame (or connected).
        var lastHeard: Double
        /// Whether it has sent anything since it connected.
        var hasSpoken = false
        /// When it connected.
        let connectedAt: Double
        /// Frames it sent.
        var frames = 0
        /// The objects it asked for last, newest last, each once.
        var asked: [ObjectID] = []
    }

    /// One client as the web page's health section shows it.
    public struct ClientReport: Sendable, Equatable, Encodable {
        /// Its address and port, or the part of the daemon it is (`poller`, `commands`).
        public let name: String
        /// Whether it is a part of the daemon itself.
        public let isInternal: Bool
        /// Seconds since it connected.
        public let connectedFor: Double
        /// Frames it sent.
        public let requests: Int
        /// The objects it asked for last, by name, newest last.
        public let asks: [String]
    }

    /// How many objects a client report names.
    static let reportedObjects = 6

    private struct State {
        var scheduler: GatewayScheduler
        var clients: [GatewayClientID: ClientState] = [:]
        var nextID: GatewayClientID = 1
        var linkUp = false
        var stopping = false
        /// The value adjustments logged already.
        var adjustmentsLogged: Set<String> = []
        /// What happened since the last summary line.
        var summary = Summary()
        var lastSummary = Gateway.now
    }

    /// What the clients did between two summary lines of the log.
    struct Summary: Equatable {
        var connections = 0
        var requests = 0
        var unanswered = 0
    }

    /// The knobs in force.
    public let configuration: Configuration
    /// Where log lines go.
    public let logger: Logger
    /// The metrics, for `/metrics`.
    public let metrics: GatewayMetrics
    /// The last minutes of the upstream link, when ``Configuration/keepsRecentTraffic``.
    public let recentTraffic: RecentTraffic?
    private let state: Mutex<State>
    private let workArrived = DispatchSemaphore(value: 0)

    /// A gateway with no clients and the link down.
    public init(configuration: Configuration, logger: Logger, metrics: GatewayMetrics = GatewayMetrics()) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.recentTraffic = configuration.keepsRecentTraffic ? RecentTraffic() : nil
        self.state = Mutex(State(scheduler: GatewayScheduler(configuration: configuration.scheduling)))
        metrics.linkUp.set(to: 0)
        metrics.clients.set(to: 0)
    }

    // MARK: - The clients' side

    /// Admits a client reached through `peer`; nil when it is refused (the caller closes it):
    /// the gateway is stopping, the link is down, or the maximum is reached and no client has
    /// been idle long enough to make room. At the maximum, the client idle longest is closed
    /// for the new one if it may be (see `longestIdle`). The
    /// daemon's own clients (`isInternal`) do not count against the maximum and are admitted
    /// while the link is down, so a full house of TCP clients cannot stop the poller.
    func register(_ peer: GatewayPeer, name: String, host: String, isInternal: Bool = false) -> GatewayClientID? {
        let counter = metrics.requests(from: host)
        let now = Self.now
        let (admitted, evicted): ((GatewayClientID, Int)?, ClientState?) = state.withLock { state in
            guard !state.stopping, isInternal || state.linkUp else { return (nil, nil) }
            var evicted: ClientState?
            if !isInternal && Self.externalCount(state) >= configuration.maximumClients {
                guard let victim = longestIdle(state, at: now) else { return (nil, nil) }
                evicted = state.clients.removeValue(forKey: victim)
                state.scheduler.disconnect(victim)
            }
            let id = state.nextID
            state.nextID += 1
            state.clients[id] = ClientState(peer: peer, name: name, requests: counter, isInternal: isInternal, lastHeard: now,
                                            connectedAt: now)
            if !isInternal { state.summary.connections += 1 }
            // The daemon's own parts read afresh (see GatewayScheduler.connect).
            state.scheduler.connect(id, maximumAge: isInternal ? 0 : nil)
            return ((id, state.clients.count), evicted)
        }
        if let evicted {
            evicted.peer.close()
            metrics.evicted.increment()
            logger.notice("closed client \(evicted.name), idle for \(Int(now - evicted.lastHeard)) s, to make room for \(name) at the maximum of \(configuration.maximumClients)")
        }
        guard let (id, count) = admitted else {
            metrics.refusedClients.increment()
            logger.debug("refused client \(name): the link is down or \(configuration.maximumClients) clients are busy")
            return nil
        }
        metrics.clients.set(to: Double(count))
        logger.debug("client \(name) connected (\(count) now)")
        return id
    }

    private static func externalCount(_ state: State) -> Int {
        state.clients.values.reduce(0) { $0 + ($1.isInternal ? 0 : 1) }
    }

    /// The external client idle longest, if it may be closed for a new one: it has sent
    /// nothing for ``Configuration/evictableAfter`` seconds, or nothing at all in the
    /// ``Configuration/silentAfterConnecting`` seconds since it connected (a client that
    /// means to talk asks at once, or after the greeting).
    private func longestIdle(_ state: State, at now: Double) -> GatewayClientID? {
        let evictable = state.clients.filter { id, client in
            !client.isInternal && !state.scheduler.isWaiting(id)
                && now - client.lastHeard >= (client.hasSpoken ? configuration.evictableAfter
                                                                 : min(Configuration.silentAfterConnecting, configuration.evictableAfter))
        }
        return evictable.min { $0.value.lastHeard < $1.value.lastHeard }?.key
    }

    /// Whether a new client would be admitted now: the link is up and there is room, or an
    /// idle client to make room. While not, the gateway's listening socket stays closed, so
    /// clients are refused at connect time as by a module without power.
    public func acceptsNewClients() -> Bool {
        let now = Self.now
        return state.withLock { state in
            !state.stopping && state.linkUp
                && (Self.externalCount(state) < configuration.maximumClients || longestIdle(state, at: now) != nil)
        }
    }

    /// Logs one line about what the clients did since the last one, once per
    /// ``Configuration/summaryInterval``, and only if they did something: client arrivals and
    /// departures are debug lines, so that a day of polling does not fill the log.
    public func logSummaryIfDue() {
        guard let due = takeSummary(), due != Summary() else { return }
        logger.info("since the last summary (\(Int(configuration.summaryInterval)) s): \(due.connections) client connection(s), \(due.requests) request(s), \(due.unanswered) read(s) the inverter did not answer")
    }

    /// What happened since the last summary, if the interval is over; starts counting again.
    func takeSummary() -> Summary? {
        let now = Self.now
        return state.withLock { state in
            guard now - state.lastSummary >= configuration.summaryInterval else { return nil }
            defer {
                state.summary = Summary()
                state.lastSummary = now
            }
            return state.summary
        }
    }

    /// Closes the clients that have sent nothing, with nothing waiting for them, for the idle timeout.
    public func closeIdleClients() {
        let now = Self.now
        let idle: [ClientState] = state.withLock { state in
            let ids = state.clients.filter {
                !$0.value.isInternal && now - $0.value.lastHeard >= configuration.idleTimeout && !state.scheduler.isWaiting($0.key)
            }.keys
            return ids.compactMap { id in
                state.scheduler.disconnect(id)
                return state.clients.removeValue(forKey: id)
            }
        }
        for client in idle {
            client.peer.close()
            metrics.idleClosed.increment()
            logger.debug("closed client \(client.name): nothing sent for \(Int(configuration.idleTimeout)) s")
        }
        if !idle.isEmpty { metrics.clients.set(to: Double(state.withLock { $0.clients.count })) }
    }

    /// Forgets a client that disconnected; whatever it had waiting is dropped.
    func unregister(_ id: GatewayClientID) {
        let left: (String, Int)? = state.withLock { state in
            guard let client = state.clients.removeValue(forKey: id) else { return nil }
            state.scheduler.disconnect(id)
            return (client.name, state.clients.count)
        }
        guard let (name, count) = left else { return }
        metrics.clients.set(to: Double(count))
        logger.debug("client \(name) left (\(count) now)")
    }

    /// Takes a frame a client sent, and says what became of it.
    @discardableResult
    func received(_ frame: Frame, from id: GatewayClientID) -> GatewayScheduler.Outcome {
        let now = Self.now
        let result: (GatewayScheduler.Outcome, ClientState)? = state.withLock { state in
            guard let client = state.clients[id] else { return nil }
            state.clients[id]?.lastHeard = now
            state.clients[id]?.hasSpoken = true
            state.clients[id]?.frames += 1
            if client.asked.last != frame.objectID {
                var asked = client.asked.filter { $0 != frame.objectID }
                asked.append(frame.objectID)
                state.clients[id]?.asked = asked.suffix(Self.reportedObjects)
            }
            if !client.isInternal { state.summary.requests += 1 }
            // While the link is down, clients get silence: nothing is queued for later.
            guard state.linkUp else { return (.ignored, client) }
            return (state.scheduler.receive(frame, from: id, at: now), client)
        }
        guard let (outcome, client) = result else { return .ignored }
        client.requests.increment()
        switch outcome {
        case let .answeredFromCache(answer):
            metrics.cacheHits.increment()
            send(answer, to: client)
        case .coalesced:
            metrics.coalesced.increment()
        case .queued:
            workArrived.signal()
        case let .adjusted(change):
            metrics.adjustedWrites.increment()
            // Automation repeats its values: each distinct adjustment is logged once.
            if state.withLock({ $0.adjustmentsLogged.insert(change).inserted && $0.adjustmentsLogged.count <= 256 }) {
                logger.notice("client \(client.name): \(change) (logged once per value)")
            }
            workArrived.signal()
        case let .refused(reason):
            metrics.refusedWrites.increment()
            logger.warning("client \(client.name): \(reason); value sent: [\(HexText.format(frame.payload))]")
            // The client is answered with the value the inverter holds: a read is queued for it.
            workArrived.signal()
        case .overloaded:
            metrics.overloaded.increment()
            logger.debug("client \(client.name): request for \(frame.objectID) dropped, too many waiting")
        case .ignored:
            break
        }
        return outcome
    }

    private func send(_ answer: Frame, to client: ClientState) {
        if !client.peer.deliver(answer) {
            logger.debug("client \(client.name) is not reading; answer dropped")
        }
    }

    // MARK: - The upstream side

    /// The next job for the upstream link, waiting up to `seconds` for one.
    func nextWork(waitingUpTo seconds: Double) -> GatewayScheduler.Work? {
        let (work, heldUntil) = takeWork()
        if let work { return work }
        // Held back for a client about to ask again: look again when that moment is over.
        let wait = heldUntil.map { max(0, min(seconds, $0 - Self.now)) } ?? seconds
        _ = workArrived.wait(timeout: .now() + .nanoseconds(Int(wait * 1e9)))
        return takeWork().work
    }

    /// The next job if one may start now, without waiting; and when to ask again if the
    /// scheduler holds the link back for a moment.
    func takeWork() -> (work: GatewayScheduler.Work?, heldUntil: Double?) {
        let now = Self.now
        return state.withLock { state in
            let work = state.scheduler.nextWork(at: now)
            return (work, state.scheduler.heldUntil)
        }
    }

    /// Ends a job: routes the answer (nil when none came) to every client that waits for it;
    /// `retried` says the request went out more than once, `lateAnswers` how long an answer
    /// to another attempt may still take.
    func complete(_ work: GatewayScheduler.Work, answer: Frame?, retried: Bool = false, lateAnswers: Double? = nil) {
        let now = Self.now
        let (deliveries, writer): ([(Frame, ClientState)], ClientState?) = state.withLock { state in
            if answer == nil && !work.isWrite { state.summary.unanswered += 1 }
            let deliveries = state.scheduler.complete(work, answer: answer, retried: retried, lateAnswers: lateAnswers,
                                                      at: now).compactMap { delivery in
                state.clients[delivery.client].map { (delivery.frame, $0) }
            }
            guard case let .write(_, _, id) = work else { return (deliveries, nil) }
            return (deliveries, state.clients[id])
        }
        for (frame, client) in deliveries { send(frame, to: client) }
        writer?.peer.writeDone()
        if writer != nil { workArrived.signal() }
    }

    /// The name of a client, for the log.
    func name(of id: GatewayClientID) -> String {
        state.withLock { $0.clients[id]?.name } ?? "client #\(id) (gone)"
    }

    /// Records whether the upstream link is open. Going down drops every waiting request and
    /// the cache, so nobody is answered with a value from before the outage, and closes the
    /// TCP clients: what they wait for will not come, and no half answer reaches them.
    func setLink(up: Bool) {
        let peers: [GatewayPeer] = state.withLock { state in
            let wasUp = state.linkUp
            state.linkUp = up
            guard !up else { return [] }
            state.scheduler.linkLost()
            return wasUp ? state.clients.values.map(\.peer) : []
        }
        metrics.linkUp.set(to: up ? 1 : 0)
        for peer in peers { peer.linkLost() }
    }

    /// TCP clients connected now (the daemon's own not counted).
    public var externalClients: Int { state.withLock { Self.externalCount($0) } }

    /// Every client now, oldest first: who is connected and what each asks for.
    public func clientReports() -> [ClientReport] {
        let now = Self.now
        let clients = state.withLock { $0.clients.sorted { $0.key < $1.key }.map(\.value) }
        let registry = Registry.standard
        return clients.map { client in
            ClientReport(name: client.name, isInternal: client.isInternal, connectedFor: now - client.connectedAt,
                         requests: client.frames, asks: client.asked.map { registry.object(id: $0)?.name ?? "\($0)" })
        }
    }

    /// Whether the upstream link is open now.
    public var isLinkUp: Bool { state.withLock { $0.linkUp } }

    /// Whether ``stop()`` was called.
    public var isStopping: Bool { state.withLock { $0.stopping } }

    /// Asks the upstream loop to end and turns away new clients.
    public func stop() {
        state.withLock { $0.stopping = true }
        workArrived.signal()
    }

    /// Closes every client connection.
    func closeClients() {
        let peers = state.withLock { state in state.clients.values.map(\.peer) }
        for peer in peers { peer.close() }
    }

    /// Seconds on the monotonic clock.
    static var now: Double { Double(Deadline.now.nanoseconds) / 1e9 }
}
