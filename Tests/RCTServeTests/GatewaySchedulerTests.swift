import RCTProtocol
import RCTSimulator
import Testing
@testable import RCTServe

@Suite("Gateway scheduling")
struct GatewaySchedulerTests {
    static let soc = ObjectID(0x959930BF)
    static let strategy = WriteRules.socStrategyID
    static let voltage = ObjectID(0x65EED11B)

    static func read(_ id: ObjectID) -> Frame { Frame(command: .read, objectID: id) }
    static func answer(_ id: ObjectID, _ byte: UInt8 = 1) -> Frame {
        Frame(command: .response, objectID: id, payload: [0x3F, byte, 0, 0])
    }

    /// Runs the upstream side to the end, answering every read with `answer(id)`; returns the
    /// order in which clients were served and every delivery.
    static func drain(_ scheduler: inout GatewayScheduler, at now: Double = 0,
                      answering: (Frame) -> Frame? = { answer($0.objectID) }) -> (served: [Frame], deliveries: [GatewayScheduler.Delivery]) {
        var served: [Frame] = []
        var deliveries: [GatewayScheduler.Delivery] = []
        while let work = scheduler.nextWork(at: now) {
            guard case let .read(request) = work else {
                deliveries += scheduler.complete(work, answer: nil, at: now)
                continue
            }
            served.append(request)
            deliveries += scheduler.complete(work, answer: answering(request), at: now)
        }
        return (served, deliveries)
    }

    @Test("Each answer goes only to the client that asked")
    func routing() {
        var scheduler = GatewayScheduler()
        scheduler.connect(1)
        scheduler.connect(2)
        #expect(scheduler.receive(Self.read(Self.soc), from: 1, at: 0) == .queued)
        #expect(scheduler.receive(Self.read(Self.strategy), from: 2, at: 0) == .queued)
        let result = Self.drain(&scheduler)
        #expect(Set(result.deliveries.map { "\($0.client) \($0.frame.objectID)" })
            == ["1 \(Self.soc)", "2 \(Self.strategy)"])
    }

    @Test("Only one exchange at a time: no work while one is under way")
    func oneAtATime() {
        var scheduler = GatewayScheduler()
        scheduler.connect(1)
        _ = scheduler.receive(Self.read(Self.soc), from: 1, at: 0)
        _ = scheduler.receive(Self.read(Self.strategy), from: 1, at: 0)
        let first = scheduler.nextWork(at: 0)
        #expect(first != nil)
        #expect(scheduler.nextWork(at: 0) == nil)
        _ = scheduler.complete(first!, answer: nil, at: 0)
        #expect(scheduler.nextWork(at: 0) == .read(Self.read(Self.strategy)))
    }

    @Test("Round-robin: a client that floods cannot starve the others", arguments: [2, 3, 6])
    func fairness(clients: Int) {
        var scheduler = GatewayScheduler(configuration: .init(maximumPending: 1000))
        for client in 0..<clients { scheduler.connect(client) }
        // Client 0 floods with 100 distinct reads; the others ask for one each.
        for index in 0..<100 { _ = scheduler.receive(Self.read(ObjectID(UInt32(index))), from: 0, at: 0) }
        for client in 1..<clients { _ = scheduler.receive(Self.read(ObjectID(UInt32(1000 + client))), from: client, at: 0) }
        let served = Self.drain(&scheduler).served.map(\.objectID.rawValue)
        // Every other client's request is among the first `clients` exchanges.
        let firstRound = Set(served.prefix(clients))
        for client in 1..<clients { #expect(firstRound.contains(UInt32(1000 + client))) }
        #expect(served.count == 100 + clients - 1)
    }

    @Test("Fair by link time: a client whose requests cost a timeout each gets an equal share of time, not of turns")
    func fairByTime() {
        var scheduler = GatewayScheduler(configuration: .init(freshness: 0, maximumPending: 5000))
        scheduler.connect(1)
        scheduler.connect(2)
        // Client 1 asks for objects that never answer (2 s each); client 2 for ones answered in 10 ms.
        for index in 0..<50 { _ = scheduler.receive(Self.read(ObjectID(UInt32(index))), from: 1, at: 0) }
        for index in 0..<2000 { _ = scheduler.receive(Self.read(ObjectID(UInt32(10_000 + index))), from: 2, at: 0) }
        var now = 0.0
        var served: [GatewayClientID: Int] = [:]
        while now < 20, let work = scheduler.nextWork(at: now) {
            guard case let .read(request) = work else { break }
            let slow = request.objectID.rawValue < 10_000
            served[slow ? 1 : 2, default: 0] += 1
            now += slow ? 2 : 0.01
            _ = scheduler.complete(work, answer: slow ? nil : Self.answer(request.objectID), at: now)
        }
        // In 20 s each had about 10 s: client 1 five timeouts, client 2 about a thousand answers.
        #expect((4...6).contains(served[1] ?? 0), "\(served)")
        #expect((900...1000).contains(served[2] ?? 0), "\(served)")
    }

    @Test("Anticipation: the link waits a moment for a thrifty client just answered, then serves the costly one")
    func anticipation() throws {
        var scheduler = GatewayScheduler(configuration: .init(freshness: 0, anticipation: 0.003))
        scheduler.connect(1)
        scheduler.connect(2)
        // Client 2 has used a lot of link time (a timeout); client 1 polls one read at a time.
        _ = scheduler.receive(Self.read(ObjectID(1)), from: 2, at: 0)
        let slowWork = scheduler.nextWork(at: 0)
        let slow = try #require(slowWork)
        _ = scheduler.complete(slow, answer: nil, at: 2)
        _ = scheduler.receive(Self.read(ObjectID(2)), from: 2, at: 2)
        _ = scheduler.receive(Self.read(Self.soc), from: 1, at: 2)
        let firstWork = scheduler.nextWork(at: 2)
        let first = try #require(firstWork)
        #expect(first == .read(Self.read(Self.soc)))
        _ = scheduler.complete(first, answer: Self.answer(Self.soc), at: 2.001)
        // Client 1 is between requests: the link is held for it, not given to client 2.
        #expect(scheduler.nextWork(at: 2.0015) == nil)
        #expect(scheduler.heldUntil == 2.004)
        // It asks again within the moment and is served first.
        _ = scheduler.receive(Self.read(Self.strategy), from: 1, at: 2.002)
        #expect(scheduler.nextWork(at: 2.002) == .read(Self.read(Self.strategy)))
        _ = scheduler.complete(.read(Self.read(Self.strategy)), answer: Self.answer(Self.strategy), at: 2.003)
        // It does not ask again: after the moment, client 2 gets the link.
        #expect(scheduler.nextWork(at: 2.0065) == .read(Self.read(ObjectID(2))))
    }

    @Test("A client that was idle does not save up time against the others")
    func noSavingUp() {
        var scheduler = GatewayScheduler(configuration: .init(freshness: 0, maximumPending: 1000))
        scheduler.connect(1)
        scheduler.connect(2)
        var now = 0.0
        for index in 0..<100 { _ = scheduler.receive(Self.read(ObjectID(UInt32(index))), from: 1, at: now) }
        // Client 1 alone for a while.
        for _ in 0..<50 {
            let work = scheduler.nextWork(at: now)!
            now += 0.1
            _ = scheduler.complete(work, answer: nil, at: now)
        }
        for index in 0..<100 { _ = scheduler.receive(Self.read(ObjectID(UInt32(1000 + index))), from: 2, at: now) }
        var order: [GatewayClientID] = []
        for _ in 0..<10 {
            let work = scheduler.nextWork(at: now)!
            guard case let .read(request) = work else { break }
            order.append(request.objectID.rawValue < 1000 ? 1 : 2)
            now += 0.1
            _ = scheduler.complete(work, answer: nil, at: now)
        }
        // They alternate from here on; client 2 does not get the next 5 s to itself.
        #expect(order.filter { $0 == 1 }.count >= 4, "\(order)")
    }

    @Test("Identical reads waiting together share one exchange; every asker gets the answer")
    func coalescing() {
        var scheduler = GatewayScheduler()
        for client in 1...5 { scheduler.connect(client) }
        #expect(scheduler.receive(Self.read(Self.soc), from: 1, at: 0) == .queued)
        for client in 2...5 { #expect(scheduler.receive(Self.read(Self.soc), from: client, at: 0) == .coalesced) }
        let result = Self.drain(&scheduler)
        #expect(result.served == [Self.read(Self.soc)])
        #expect(result.deliveries.map(\.client).sorted() == [1, 2, 3, 4, 5])
    }

    @Test("A read within the freshness window is answered from the cache; after it, upstream again")
    func freshness() {
        var scheduler = GatewayScheduler(configuration: .init(freshness: 1))
        scheduler.connect(1)
        _ = scheduler.receive(Self.read(Self.soc), from: 1, at: 10)
        _ = Self.drain(&scheduler, at: 10)
        #expect(scheduler.receive(Self.read(Self.soc), from: 1, at: 10.9) == .answeredFromCache(Self.answer(Self.soc)))
        #expect(scheduler.receive(Self.read(Self.soc), from: 1, at: 11.1) == .queued)
    }

    @Test("A client connected with a maximum age of 0 (the daemon's poller) reads afresh, and refreshes the cache for the others")
    func readsAfresh() {
        var scheduler = GatewayScheduler(configuration: .init(freshness: 1))
        scheduler.connect(1)
        scheduler.connect(2, maximumAge: 0)
        _ = scheduler.receive(Self.read(Self.soc), from: 1, at: 10)
        _ = Self.drain(&scheduler, at: 10)
        #expect(scheduler.receive(Self.read(Self.soc), from: 2, at: 10.5) == .queued)
        _ = Self.drain(&scheduler, at: 10.6) { _ in Self.answer(Self.soc, 2) }
        #expect(scheduler.receive(Self.read(Self.soc), from: 1, at: 11.5) == .answeredFromCache(Self.answer(Self.soc, 2)))
    }

    @Test("History requests are keyed by their timestamp")
    func historyKeys() {
        var scheduler = GatewayScheduler()
        scheduler.connect(1)
        scheduler.connect(2)
        let history = ObjectID(0x5293B668)
        let at1 = Frame(command: .write, objectID: history, payload: [0x66, 0x5B, 0x0D, 0x40])
        let at2 = Frame(command: .write, objectID: history, payload: [0x66, 0x5B, 0x0D, 0x41])
        #expect(scheduler.receive(at1, from: 1, at: 0) == .queued)
        #expect(scheduler.receive(at2, from: 2, at: 0) == .queued)
        #expect(Self.drain(&scheduler) { Frame(command: .longResponse, objectID: $0.objectID, payload: $0.payload) }.served == [at1, at2])
    }

    @Test("No answer: the waiters get nothing, and nothing is cached")
    func timeout() {
        var scheduler = GatewayScheduler()
        scheduler.connect(1)
        _ = scheduler.receive(Self.read(Self.soc), from: 1, at: 0)
        #expect(Self.drain(&scheduler) { _ in nil }.deliveries.isEmpty)
        #expect(scheduler.receive(Self.read(Self.soc), from: 1, at: 0.1) == .queued)
    }

    @Test("A client's waiting requests are bounded")
    func bounded() {
        var scheduler = GatewayScheduler(configuration: .init(maximumPending: 4))
        scheduler.connect(1)
        let outcomes = (0..<10).map { scheduler.receive(Self.read(ObjectID(UInt32($0))), from: 1, at: 0) }
        #expect(outcomes.filter { $0 == .queued }.count == 4)
        #expect(outcomes.filter { $0 == .overloaded }.count == 6)
    }

    @Test("A client that leaves with requests queued leaves nothing stuck; shared reads stay for the others")
    func leaving() {
        var scheduler = GatewayScheduler()
        scheduler.connect(1)
        scheduler.connect(2)
        _ = scheduler.receive(Self.read(Self.soc), from: 1, at: 0)
        _ = scheduler.receive(Self.read(Self.voltage), from: 1, at: 0)
        _ = scheduler.receive(Self.read(Self.soc), from: 2, at: 0)
        scheduler.disconnect(1)
        let result = Self.drain(&scheduler)
        #expect(result.served == [Self.read(Self.soc)])
        #expect(result.deliveries == [.init(client: 2, frame: Self.answer(Self.soc))])
        #expect(scheduler.queuedCount == 0)
        #expect(scheduler.clients == [2])
    }

    @Test("A client that leaves while its read is under way: the answer goes to nobody else")
    func leavingInFlight() {
        var scheduler = GatewayScheduler()
        scheduler.connect(1)
        _ = scheduler.receive(Self.read(Self.soc), from: 1, at: 0)
        let work = scheduler.nextWork(at: 0)!
        scheduler.disconnect(1)
        #expect(scheduler.complete(work, answer: Self.answer(Self.soc), at: 0).isEmpty)
        #expect(!scheduler.isBusy)
    }

    @Test("Losing the link drops every wait and the whole cache")
    func linkLoss() {
        var scheduler = GatewayScheduler()
        scheduler.connect(1)
        _ = scheduler.receive(Self.read(Self.soc), from: 1, at: 0)
        _ = Self.drain(&scheduler)
        _ = scheduler.receive(Self.read(Self.strategy), from: 1, at: 0)
        scheduler.linkLost()
        #expect(scheduler.queuedCount == 0)
        #expect(scheduler.cachedCount == 0)
        #expect(scheduler.receive(Self.read(Self.soc), from: 1, at: 0.1) == .queued, "no stale answer after the outage")
    }

    @Test("Writes are refused when read-only, queued as verified writes when allowed, never coalesced")
    func writes() throws {
        let write = Frame(command: .write, objectID: Self.strategy, payload: [2])
        var readOnly = GatewayScheduler()
        readOnly.connect(1)
        guard case .refused? = Optional(readOnly.receive(write, from: 1, at: 0)) else {
            Issue.record("a write was not refused")
            return
        }
        // Not written; the client's answer is the value the inverter holds, read for it.
        #expect(readOnly.nextWork(at: 0) == .read(Frame(command: .read, objectID: Self.strategy)))

        var writable = GatewayScheduler(configuration: .init(allowsWrites: true))
        writable.connect(1)
        writable.connect(2)
        #expect(writable.receive(write, from: 1, at: 0) == .queued)
        #expect(writable.receive(write, from: 2, at: 0) == .queued)
        let rule = try #require(WriteRules.rule(for: Self.strategy))
        #expect(writable.nextWork(at: 0) == .write(rule, .integer(2), client: 1))
    }

    @Test("A write makes the cached value of its parameter stale: the next read goes upstream")
    func writeInvalidatesCache() throws {
        var scheduler = GatewayScheduler(configuration: .init(freshness: 10, allowsWrites: true))
        scheduler.connect(1)
        _ = scheduler.receive(Self.read(Self.strategy), from: 1, at: 0)
        _ = scheduler.receive(Self.read(Self.soc), from: 1, at: 0)
        _ = Self.drain(&scheduler)
        #expect(scheduler.receive(Frame(command: .write, objectID: Self.strategy, payload: [2]), from: 1, at: 1) == .queued)
        #expect(scheduler.receive(Self.read(Self.strategy), from: 1, at: 1) == .queued, "not from the cache while the write waits")
        #expect(scheduler.receive(Self.read(Self.soc), from: 1, at: 1) == .answeredFromCache(Self.answer(Self.soc)), "other objects stay cached")
        let next = scheduler.nextWork(at: 1)
        let write = try #require(next)
        // A read of it answered meanwhile (by another path) is forgotten when the write ends.
        _ = scheduler.complete(write, answer: nil, at: 1.5)
        #expect(scheduler.nextWork(at: 1.5) == .read(Self.read(Self.strategy)))
    }

    /// Random operations from several clients; checks the invariants after each step.
    @Test("Random interleavings keep every invariant", arguments: 0..<40)
    func randomInterleavings(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var scheduler = GatewayScheduler(configuration: .init(freshness: 0.5, maximumPending: 6))
        var connected: Set<GatewayClientID> = []
        var asked: [GatewayClientID: Set<Frame>] = [:]
        var now = 0.0
        var work: GatewayScheduler.Work?
        for _ in 0..<400 {
            now += Double(rng.next() % 100) / 1000
            let client = Int(rng.next() % 5)
            switch rng.next() % 6 {
            case 0:
                if connected.contains(client) {
                    scheduler.disconnect(client)
                    connected.remove(client)
                    asked[client] = nil
                } else {
                    scheduler.connect(client)
                    connected.insert(client)
                }
            case 1, 2, 3:
                let request = Self.read(ObjectID(UInt32(rng.next() % 6)))
                let outcome = scheduler.receive(request, from: client, at: now)
                if connected.contains(client), outcome == .queued || outcome == .coalesced {
                    asked[client, default: []].insert(request)
                }
                if !connected.contains(client) { #expect(outcome == .ignored) }
            default:
                if let current = work {
                    guard case let .read(request) = current else { continue }
                    for delivery in scheduler.complete(current, answer: Self.answer(request.objectID), at: now) {
                        // Only a connected client that asked for exactly this gets it.
                        #expect(connected.contains(delivery.client))
                        #expect(delivery.frame.objectID == request.objectID)
                        #expect(asked[delivery.client]?.contains(request) == true)
                        asked[delivery.client]?.remove(request)
                    }
                    work = nil
                } else {
                    work = scheduler.nextWork(at: now)
                    #expect(scheduler.nextWork(at: now) == nil, "never two exchanges at once")
                }
            }
            #expect(Set(scheduler.clients) == connected)
        }
    }
}

@Suite("Gateway scheduling with a window")
struct GatewayWindowTests {
    static func read(_ id: UInt32) -> Frame { Frame(command: .read, objectID: ObjectID(id)) }

    @Test("Up to the window of reads at once; each one ended lets the next start", arguments: [2, 4, 8])
    func window(size: Int) {
        var scheduler = GatewayScheduler(configuration: .init(window: size))
        for client in 1...3 { scheduler.connect(client) }
        for id in 0..<UInt32(12) { _ = scheduler.receive(Self.read(id), from: Int(id % 3) + 1, at: 0) }
        var started: [GatewayScheduler.Work] = []
        while let work = scheduler.nextWork(at: 0) { started.append(work) }
        #expect(started.count == size && scheduler.inFlightCount == size)
        _ = scheduler.complete(started[0], answer: nil, at: 0.1)
        #expect(scheduler.nextWork(at: 0.1) != nil)
        #expect(scheduler.nextWork(at: 0.1) == nil)
    }

    @Test("Two reads of one object (history pages) are never under way together")
    func sameObject() {
        var scheduler = GatewayScheduler(configuration: .init(window: 8))
        scheduler.connect(1)
        scheduler.connect(2)
        let page1 = Frame(command: .write, objectID: ObjectID(0x5293B668), payload: [0, 0, 0, 1])
        let page2 = Frame(command: .write, objectID: ObjectID(0x5293B668), payload: [0, 0, 0, 2])
        #expect(scheduler.receive(page1, from: 1, at: 0) == .queued)
        #expect(scheduler.receive(page2, from: 2, at: 0) == .queued)
        let first = scheduler.nextWork(at: 0)
        #expect(first == .read(page1))
        #expect(scheduler.nextWork(at: 0) == nil, "the second page waits")
        _ = scheduler.complete(first!, answer: nil, at: 0.1)
        #expect(scheduler.nextWork(at: 0.1) == .read(page2))
    }

    @Test("A write waits until nothing is under way, and nothing starts while it is")
    func writeAlone() throws {
        var scheduler = GatewayScheduler(configuration: .init(allowsWrites: true, window: 8))
        scheduler.connect(1)
        scheduler.connect(2)
        _ = scheduler.receive(Self.read(1), from: 1, at: 0)
        let started = scheduler.nextWork(at: 0)
        let read = try #require(started)
        let write = Frame(command: .write, objectID: WriteRules.socStrategyID, payload: [2])
        #expect(scheduler.receive(write, from: 2, at: 0) == .queued)
        _ = scheduler.receive(Self.read(2), from: 1, at: 0)
        // Client 2 has used less link time: its write is next, so it waits for the read to end.
        #expect(scheduler.nextWork(at: 0.01) == nil)
        _ = scheduler.complete(read, answer: nil, at: 0.02)
        let after = scheduler.nextWork(at: 0.02)
        let next = try #require(after)
        #expect(next.isWrite)
        #expect(scheduler.nextWork(at: 0.02) == nil, "nothing beside the write")
        _ = scheduler.complete(next, answer: nil, at: 0.5)
        #expect(scheduler.nextWork(at: 0.5) == .read(Self.read(2)))
    }

    /// Random operations with a window: never more than the window under way, never a write
    /// beside anything, never one object twice.
    @Test("Random interleavings with a window keep its invariants", arguments: 0..<30)
    func randomWindow(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var scheduler = GatewayScheduler(configuration: .init(freshness: 0.2, maximumPending: 6, allowsWrites: true, window: 4))
        for client in 0..<4 { scheduler.connect(client) }
        var underWay: [GatewayScheduler.Work] = []
        var now = 0.0
        for _ in 0..<400 {
            now += Double(rng.next() % 50) / 1000
            let client = Int(rng.next() % 4)
            switch rng.next() % 5 {
            case 0:
                _ = scheduler.receive(Frame(command: .write, objectID: WriteRules.socStrategyID, payload: [UInt8(rng.next() % 6)]), from: client, at: now)
            case 1, 2:
                _ = scheduler.receive(Self.read(UInt32(rng.next() % 5)), from: client, at: now)
            case 3:
                if let work = scheduler.nextWork(at: now) { underWay.append(work) }
            default:
                if !underWay.isEmpty {
                    let work = underWay.remove(at: Int(rng.next() % UInt64(underWay.count)))
                    _ = scheduler.complete(work, answer: nil, at: now)
                }
            }
            #expect(underWay.count <= 4)
            #expect(!underWay.contains(where: \.isWrite) || underWay.count == 1)
            #expect(Set(underWay.map(\.objectID)).count == underWay.count)
            #expect(scheduler.inFlightCount == underWay.count)
        }
    }
}
