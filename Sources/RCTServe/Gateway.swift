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

        /// Defaults: see ``GatewayScheduler/Configuration``; 16 clients.
        public init(scheduling: GatewayScheduler.Configuration = .init(), maximumClients: Int = 16) {
            self.scheduling = scheduling
            self.maximumClients = maximumClients
        }
    }

    private struct ClientState {
        let peer: GatewayPeer
        let name: String
        let requests: Prometheus.Counter
        /// A part of the daemon itself (poller, MQTT): not counted against `--max-clients`.
        let isInternal: Bool
    }

    private struct State {
        var scheduler: GatewayScheduler
        var clients: [GatewayClientID: ClientState] = [:]
        var nextID: GatewayClientID = 1
        var linkUp = false
        var stopping = false
    }

    /// The knobs in force.
    public let configuration: Configuration
    /// Where log lines go.
    public let logger: Logger
    /// The metrics, for `/metrics`.
    public let metrics: GatewayMetrics
    private let state: Mutex<State>
    private let workArrived = DispatchSemaphore(value: 0)

    /// A gateway with no clients and the link down.
    public init(configuration: Configuration, logger: Logger, metrics: GatewayMetrics = GatewayMetrics()) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.state = Mutex(State(scheduler: GatewayScheduler(configuration: configuration.scheduling)))
        metrics.linkUp.set(to: 0)
        metrics.clients.set(to: 0)
    }

    // MARK: - The clients' side

    /// Admits a client reached through `peer`; nil when the maximum is reached (the caller
    /// closes it) or the gateway is stopping. The daemon's own clients (`isInternal`) do not
    /// count against the maximum, so a full house of TCP clients cannot stop the poller.
    func register(_ peer: GatewayPeer, name: String, host: String, isInternal: Bool = false) -> GatewayClientID? {
        let counter = metrics.requests(from: host)
        let admitted: (GatewayClientID, Int)? = state.withLock { state in
            let external = state.clients.values.filter { !$0.isInternal }.count
            guard !state.stopping, isInternal || external < configuration.maximumClients else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.clients[id] = ClientState(peer: peer, name: name, requests: counter, isInternal: isInternal)
            state.scheduler.connect(id)
            return (id, state.clients.count)
        }
        guard let (id, count) = admitted else {
            metrics.refusedClients.increment()
            logger.warning("refused client \(name): \(configuration.maximumClients) clients are connected, the maximum")
            return nil
        }
        metrics.clients.set(to: Double(count))
        logger.info("client \(name) connected (\(count) now)")
        return id
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
        logger.info("client \(name) left (\(count) now)")
    }

    /// Takes a frame a client sent, and says what became of it.
    @discardableResult
    func received(_ frame: Frame, from id: GatewayClientID) -> GatewayScheduler.Outcome {
        let now = Self.now
        let result: (GatewayScheduler.Outcome, ClientState)? = state.withLock { state in
            guard let client = state.clients[id] else { return nil }
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
        case let .refused(reason):
            metrics.refusedWrites.increment()
            logger.warning("client \(client.name): \(reason); value sent: [\(HexText.format(frame.payload))]")
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
    /// `retried` says the request went out more than once.
    func complete(_ work: GatewayScheduler.Work, answer: Frame?, retried: Bool = false) {
        let now = Self.now
        let (deliveries, writer): ([(Frame, ClientState)], ClientState?) = state.withLock { state in
            let deliveries = state.scheduler.complete(work, answer: answer, retried: retried, at: now).compactMap { delivery in
                state.clients[delivery.client].map { (delivery.frame, $0) }
            }
            guard case let .write(_, _, id) = work else { return (deliveries, nil) }
            return (deliveries, state.clients[id])
        }
        for (frame, client) in deliveries { send(frame, to: client) }
        writer?.peer.writeDone()
    }

    /// The name of a client, for the log.
    func name(of id: GatewayClientID) -> String {
        state.withLock { $0.clients[id]?.name } ?? "client #\(id) (gone)"
    }

    /// Records whether the upstream link is open. Going down drops every waiting request and
    /// the cache, so nobody is answered with a value from before the outage.
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
