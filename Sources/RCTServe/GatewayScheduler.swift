import RCTProtocol

/// Which gateway client something belongs to.
public typealias GatewayClientID = Int

/// The scheduling of `rct serve`, without any I/O: which request goes upstream next, which
/// clients get its answer, and what is answered from the cache.
///
/// - **A window of exchanges.** ``nextWork(at:)`` hands out up to ``Configuration/window``
///   reads at once (one by default), never two for the same object (their answers could not
///   be told apart); more come as ``complete(_:answer:retried:lateAnswers:at:)`` ends them. A write goes out
///   only when nothing else is under way, and nothing else goes out until it has ended
///   (read back).
/// - **Fair.** Each client gets an equal share of the link's time: the next request comes
///   from the client that has used the least so far (round-robin among equals), so a client
///   that floods, or asks for objects that never answer and so costs a timeout each time,
///   waits behind its own requests only. A read of an object that has answered before and
///   now gets no answer is the link's fault (a stall, a fault on the line), not its client's,
///   and is not charged: otherwise the clients whose reads happened to be under way when the
///   inverter stalled would be shut out for as long as the stall lasted, after it ended.
/// - **Anticipating.** A client that polls one request at a time has nothing queued in the
///   moment between an answer and its next request. For ``Configuration/anticipation``
///   seconds after its answer, a client that has used more link time is not served instead:
///   otherwise a client whose requests each cost a timeout would take the link every time.
/// - **Coalescing.** A read answered upstream within ``Configuration/freshness`` seconds is
///   answered from that answer; identical reads waiting at the same time share one exchange.
/// - **Routing.** An answer goes to exactly the clients that asked for it, matched by the
///   request (command, object id, plant address and, for history, the timestamp).
/// - **No late answers.** After a read ended without an answer, or was sent more than once,
///   an answer to it may still come. For ``Configuration/lateAnswers`` seconds no new read of
///   that object goes out, so a late answer finds nothing to match and is dropped, never
///   handed to a later request as if it were that one's. (History pages need no such wait:
///   they are matched by their timestamp.)
/// - **Every write answered.** The protocol has no error frame, and a client that keeps
///   values by object id must not be left believing a write took. After a write ends, and
///   when one is refused, the object is read for the client that wrote, and the value the
///   inverter holds then is its answer: the new value when the write was applied, the
///   unchanged one when it was not.
/// - **Bounded.** Each client has at most ``Configuration/maximumPending`` requests waiting;
///   more are dropped. A client that leaves takes its waits along; a request it shared with
///   others stays queued for them.
public struct GatewayScheduler: Sendable {
    /// The policy knobs.
    public struct Configuration: Sendable, Equatable {
        /// Seconds an upstream answer stays good for answering the same read again.
        public var freshness: Double
        /// How many requests one client may have waiting.
        public var maximumPending: Int
        /// Whether verified writes are carried out (`--allow-writes`).
        public var allowsWrites: Bool
        /// Seconds the link is kept for a client just answered, if it has used less link time
        /// than the one that would be served instead.
        public var anticipation: Double
        /// How many reads may be under way upstream at once.
        public var window: Int
        /// Seconds after a read ended without an answer during which no new read of the same
        /// object goes out, so that its late answer cannot be taken for the new one's.
        public var lateAnswers: Double
        /// The battery power limit in W that `battery_power_extern` from clients is clamped to.
        public var batteryPowerLimit: Double

        /// One second of freshness, 32 waiting requests per client, read-only, 3 ms
        /// anticipation, one exchange at a time, 2 s for late answers.
        public init(freshness: Double = 1, maximumPending: Int = 32, allowsWrites: Bool = false, anticipation: Double = 0.003,
                    window: Int = 1, lateAnswers: Double = 2, batteryPowerLimit: Double = WriteRules.defaultBatteryPowerLimit) {
            self.freshness = freshness
            self.maximumPending = maximumPending
            self.allowsWrites = allowsWrites
            self.anticipation = anticipation
            self.window = max(1, window)
            self.lateAnswers = max(0, lateAnswers)
            self.batteryPowerLimit = batteryPowerLimit
        }
    }

    /// What identifies identical requests: the frame a read sends upstream.
    public typealias RequestKey = Frame

    /// One upstream job.
    public enum Work: Sendable, Equatable {
        /// Send this request and route its answer.
        case read(RequestKey)
        /// Carry out a verified write that `client` asked for.
        case write(WriteRule, Value, client: GatewayClientID)

        /// Whether this is a write.
        public var isWrite: Bool {
            if case .write = self { true } else { false }
        }

        /// The object it concerns.
        public var objectID: ObjectID {
            switch self {
            case let .read(key): key.objectID
            case let .write(rule, _, _): rule.id
            }
        }
    }

    /// What happened to a frame a client sent.
    public enum Outcome: Sendable, Equatable {
        /// Answered at once from a fresh upstream answer.
        case answeredFromCache(Frame)
        /// Joined a read that is already waiting or under way.
        case coalesced
        /// Queued for upstream.
        case queued
        /// A write queued for upstream with its value rounded or clamped, as the text says.
        case adjusted(String)
        /// Refused by the write policy; the reason is for the log.
        case refused(String)
        /// Dropped: the client already has the maximum of requests waiting.
        case overloaded
        /// Not a request (an answer frame from a client).
        case ignored
    }

    /// An answer to hand to a client.
    public struct Delivery: Sendable, Equatable {
        /// Who gets it.
        public var client: GatewayClientID
        /// The answer frame.
        public var frame: Frame
    }

    /// The knobs in force.
    public let configuration: Configuration

    private struct Cached: Sendable {
        var answer: Frame
        var time: Double
    }

    private struct Queued: Sendable, Equatable {
        var work: Work
        /// For reads: the key whose waiters this entry serves.
        var key: RequestKey? {
            if case let .read(key) = work { key } else { nil }
        }
    }

    /// Clients in the order they connected; the ring for round-robin.
    private var ring: [GatewayClientID] = []
    private var queues: [GatewayClientID: [Queued]] = [:]
    /// Who waits for the answer to each read, in order of asking.
    private var waiters: [RequestKey: [GatewayClientID]] = [:]
    private var cache: [RequestKey: Cached] = [:]
    private var lastServed: GatewayClientID?
    /// The exchanges under way, each with the client it is charged to and since when.
    private var inFlight: [(work: Work, client: GatewayClientID, since: Double)] = []
    /// Seconds of link time each client has used, measured from ``virtualTime``.
    private var usage: [GatewayClientID: Double] = [:]
    /// The usage of the client served last: a client that starts asking again starts here,
    /// so time it spent idle is not saved up against the others.
    private var virtualTime = 0.0
    /// When each client last got an upstream answer.
    private var answeredAt: [GatewayClientID: Double] = [:]
    /// Clients that take cached answers only up to this age, not the configured freshness.
    private var maximumAge: [GatewayClientID: Double] = [:]
    /// Plain reads that ended without an answer, until when their late answer may still come.
    private var awaitingLateAnswer: [RequestKey: Double] = [:]
    /// Objects that have answered: a read of one that then gets no answer is a fault of the link.
    private var answeringObjects: Set<ObjectID> = []
    /// How many objects ``answeringObjects`` remembers at most.
    private static let rememberedObjects = 4096

    /// When ``nextWork(at:)`` last held the link back for a client just answered: ask again then.
    public private(set) var heldUntil: Double?

    /// An empty scheduler.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The clients known now.
    public var clients: [GatewayClientID] { ring }

    /// Requests waiting to go upstream, over all clients.
    public var queuedCount: Int { queues.values.reduce(0) { $0 + $1.count } }

    /// Whether an exchange is under way.
    public var isBusy: Bool { !inFlight.isEmpty }

    /// How many exchanges are under way.
    public var inFlightCount: Int { inFlight.count }

    /// Answers held in the cache (fresh or not yet pruned).
    public var cachedCount: Int { cache.count }

    /// Registers a client.
    /// `maximumAge`, if given, bounds the age of the cached answers the client takes (0:
    /// none): the daemon's own poller reads afresh, so what it publishes is not a cached
    /// value up to a freshness window old, and its reads refresh the cache for the others.
    public mutating func connect(_ client: GatewayClientID, maximumAge age: Double? = nil) {
        guard queues[client] == nil else { return }
        maximumAge[client] = age
        ring.append(client)
        queues[client] = []
        usage[client] = virtualTime
    }

    /// Forgets a client: its waits end; a read it queued that others wait for stays queued
    /// for the next of them.
    public mutating func disconnect(_ client: GatewayClientID) {
        guard let queue = queues.removeValue(forKey: client) else { return }
        ring.removeAll { $0 == client }
        usage[client] = nil
        answeredAt[client] = nil
        maximumAge[client] = nil
        if lastServed == client { lastServed = nil }
        for key in waiters.keys {
            waiters[key]?.removeAll { $0 == client }
        }
        for entry in queue {
            guard let key = entry.key else { continue }
            if let heir = waiters[key]?.first {
                enqueue(entry.work, for: heir)
            } else if !isInFlight(key) {
                waiters[key] = nil
            }
        }
        waiters = waiters.filter { !$0.value.isEmpty || isInFlight($0.key) }
    }

    /// Takes a frame a client sent, at `now` seconds.
    public mutating func receive(_ frame: Frame, from client: GatewayClientID, at now: Double) -> Outcome {
        guard queues[client] != nil else { return .ignored }
        switch RequestPolicy.decide(frame, allowsWrites: configuration.allowsWrites, powerLimit: configuration.batteryPowerLimit) {
        case .ignored:
            return .ignored
        case let .refused(reason):
            if frame.command.isWrite { readForAnswer(to: frame, for: client) }
            return .refused(reason)
        case let .write(rule, value, adjusted):
            guard pendingCount(of: client) < configuration.maximumPending else { return .overloaded }
            enqueue(.write(rule, value, client: client), for: client)
            // From now on the cached value may be out of date.
            forget(rule.id)
            return adjusted.map { .adjusted($0) } ?? .queued
        case let .read(key):
            // The gateway's own status is answered by the gateway, never asked upstream.
            if key.objectID == GatewayStatus.objectID, !key.command.isPlant {
                return .answeredFromCache(GatewayStatus(allowsWrites: configuration.allowsWrites).frame)
            }
            if let cached = cache[key], now - cached.time <= min(configuration.freshness, maximumAge[client] ?? .infinity),
               now >= cached.time {
                return .answeredFromCache(cached.answer)
            }
            if var waiting = waiters[key] {
                if waiting.contains(client) { return .coalesced }
                guard pendingCount(of: client) < configuration.maximumPending else { return .overloaded }
                waiting.append(client)
                waiters[key] = waiting
                return .coalesced
            }
            guard pendingCount(of: client) < configuration.maximumPending else { return .overloaded }
            waiters[key] = [client]
            enqueue(.read(key), for: client)
            return .queued
        }
    }

    /// The next upstream job: the oldest request of the client that has used the least link
    /// time, round-robin among equals; nil when nothing waits, the window is full, a write is
    /// under way, or that request must wait (a write, or a read of an object under way,
    /// waits for what is under way to end). Reads waiting out a late answer are passed over;
    /// when only they wait, ``heldUntil`` says when to ask again.
    public mutating func nextWork(at now: Double) -> Work? {
        heldUntil = nil
        guard inFlight.count < configuration.window, !inFlight.contains(where: { $0.work.isWrite }), !ring.isEmpty else { return nil }
        if !awaitingLateAnswer.isEmpty { awaitingLateAnswer = awaitingLateAnswer.filter { $0.value > now } }
        let start = lastServed.flatMap { ring.firstIndex(of: $0) }.map { $0 + 1 } ?? 0
        var chosen: (client: GatewayClientID, index: Int)?
        for step in 0..<ring.count {
            let client = ring[(start + step) % ring.count]
            guard let index = queues[client]?.firstIndex(where: { mayStart($0) }) else { continue }
            if chosen.map({ usage[client, default: 0] < usage[$0.client, default: 0] }) ?? true { chosen = (client, index) }
        }
        guard let (client, index) = chosen, var queue = queues[client] else {
            if queuedCount > 0 { heldUntil = awaitingLateAnswer.values.min() }
            return nil
        }
        if !inFlight.isEmpty {
            let head = queue[index]
            // The fairest client's request waits rather than letting others overtake it.
            if head.work.isWrite { return nil }
            if let key = head.key, inFlight.contains(where: { $0.work.objectID == key.objectID }) { return nil }
        }
        let cost = usage[client, default: 0]
        // Keep the link a moment for a thriftier client that was just answered and is about to ask again.
        let expected = answeredAt.compactMap { other, time -> Double? in
            guard other != client, queues[other]?.isEmpty ?? false, usage[other, default: 0] < cost,
                  now >= time, now - time < configuration.anticipation else { return nil }
            return time + configuration.anticipation
        }.min()
        if let expected {
            heldUntil = expected
            return nil
        }
        let entry = queue.remove(at: index)
        queues[client] = queue
        lastServed = client
        virtualTime = max(virtualTime, usage[client, default: 0])
        inFlight.append((entry.work, client, now))
        return entry.work
    }

    /// Queues a read of the object a write from `client` was for, so that its answer, the
    /// value the inverter holds, goes to that client. Not for history requests, which are
    /// reads already, and not beyond the client's bound.
    private mutating func readForAnswer(to write: Frame, for client: GatewayClientID) {
        guard Registry.standard.object(id: write.objectID)?.isHistory != true,
              pendingCount(of: client) < configuration.maximumPending else { return }
        let key = Frame(command: write.command.isPlant ? .plantRead : .read, objectID: write.objectID, address: write.address)
        if var waiting = waiters[key] {
            if !waiting.contains(client) { waiting.append(client) }
            waiters[key] = waiting
        } else {
            waiters[key] = [client]
            enqueue(.read(key), for: client)
        }
    }

    /// Whether `entry` may go upstream now as far as late answers go: not a plain read whose
    /// previous exchange ended without an answer moments ago.
    private func mayStart(_ entry: Queued) -> Bool {
        guard let key = entry.key else { return true }
        return awaitingLateAnswer[key] == nil
    }

    /// Queues `work` for `client`; a client that had nothing waiting starts at the usage of
    /// the client served last.
    private mutating func enqueue(_ work: Work, for client: GatewayClientID) {
        if queues[client]?.isEmpty ?? true { usage[client] = max(usage[client, default: 0], virtualTime) }
        queues[client, default: []].append(Queued(work: work))
    }

    /// Ends the exchange under way: `answer` (nil when none came) goes to every client that
    /// waits for it, and into the cache. `retried` says the request was sent more than once,
    /// so that an answer to another attempt may still come; `lateAnswers` how long such an
    /// answer may take (``Configuration/lateAnswers`` when nil).
    public mutating func complete(_ work: Work, answer: Frame?, retried: Bool = false, lateAnswers: Double? = nil,
                                  at now: Double) -> [Delivery] {
        if let index = inFlight.firstIndex(where: { $0.work == work }) {
            let owner = inFlight.remove(at: index)
            let linkFault = !work.isWrite && answer == nil && answeringObjects.contains(work.objectID)
            if usage[owner.client] != nil && !linkFault {
                usage[owner.client, default: 0] += max(0, now - owner.since)
            }
        }
        pruneCache(at: now)
        guard case let .read(key) = work else {
            if case let .write(rule, _, writer) = work {
                // A read answered while the write was waiting may hold the old value.
                forget(rule.id)
                if queues[writer] != nil { readForAnswer(to: Frame(command: .write, objectID: rule.id), for: writer) }
            }
            return []
        }
        let waiting = waiters.removeValue(forKey: key) ?? []
        for client in waiting { answeredAt[client] = now }
        // History requests are WRITE frames, matched by their timestamp: no late answer can be mistaken.
        let late = lateAnswers ?? configuration.lateAnswers
        if answer == nil || retried, !key.command.isWrite, late > 0 {
            awaitingLateAnswer[key] = now + late
        }
        guard let answer else { return [] }
        if answeringObjects.count >= Self.rememberedObjects { answeringObjects.removeAll() }
        answeringObjects.insert(key.objectID)
        cache[key] = Cached(answer: answer, time: now)
        return waiting.map { Delivery(client: $0, frame: answer) }
    }

    /// The link went down: every waiting request and every cached answer is dropped, so no
    /// client is answered with a value from before the outage.
    public mutating func linkLost() {
        for client in ring { queues[client] = [] }
        waiters.removeAll()
        cache.removeAll()
        inFlight.removeAll()
        answeredAt.removeAll()
    }

    /// Whether `client` waits for anything: a read (queued by it or shared) or a write.
    public func isWaiting(_ client: GatewayClientID) -> Bool {
        queues[client]?.isEmpty == false || waiters.values.contains { $0.contains(client) }
    }

    /// The reads a client waits for (queued by it or shared) and the writes it has queued.
    private func pendingCount(of client: GatewayClientID) -> Int {
        let reads = waiters.values.reduce(0) { $0 + ($1.contains(client) ? 1 : 0) }
        let writes = queues[client]?.reduce(0) { $0 + ($1.key == nil ? 1 : 0) } ?? 0
        return reads + writes
    }

    /// Drops every cached answer about `id`.
    private mutating func forget(_ id: ObjectID) {
        cache = cache.filter { $0.key.objectID != id }
    }

    private func isInFlight(_ key: RequestKey) -> Bool {
        inFlight.contains { $0.work == .read(key) }
    }

    private mutating func pruneCache(at now: Double) {
        guard cache.count > 256 else { return }
        cache = cache.filter { now - $0.value.time <= configuration.freshness }
    }
}
