import RCTProtocol
import RCTTransport
import Testing
@testable import RCTServe

/// The scheduler when the link misbehaves: late answers, stalls.
@Suite("Gateway scheduling under link faults")
struct GatewayFaultTests {
    static func read(_ id: UInt32) -> Frame { Frame(command: .read, objectID: ObjectID(id)) }
    static func answer(_ request: Frame) -> Frame {
        Frame(command: .response, objectID: request.objectID, payload: [0x3F, 0, 0, 0])
    }

    @Test("A read that got no answer is not asked again while its late answer may come; other reads go meanwhile")
    func lateAnswerWait() throws {
        var scheduler = GatewayScheduler(configuration: .init(freshness: 0, lateAnswers: 2))
        scheduler.connect(1)
        scheduler.connect(2)
        _ = scheduler.receive(Self.read(1), from: 1, at: 0)
        let work = scheduler.nextWork(at: 0)
        let first = try #require(work)
        _ = scheduler.complete(first, answer: nil, at: 6)
        // Client 2 asks for the same object, then for another one: the other one goes first.
        #expect(scheduler.receive(Self.read(1), from: 2, at: 6) == .queued)
        #expect(scheduler.receive(Self.read(2), from: 2, at: 6) == .queued)
        #expect(scheduler.nextWork(at: 6) == .read(Self.read(2)))
        _ = scheduler.complete(.read(Self.read(2)), answer: Self.answer(Self.read(2)), at: 6.1)
        #expect(scheduler.nextWork(at: 6.2) == nil)
        #expect(scheduler.heldUntil == 8)
        #expect(scheduler.nextWork(at: 7.99) == nil)
        #expect(scheduler.nextWork(at: 8) == .read(Self.read(1)))
    }

    @Test("A read answered after it was sent again: the other attempt's answer may still come, so the next read waits")
    func retriedRead() throws {
        var scheduler = GatewayScheduler(configuration: .init(freshness: 0, lateAnswers: 2))
        scheduler.connect(1)
        _ = scheduler.receive(Self.read(1), from: 1, at: 0)
        let work = scheduler.nextWork(at: 0)
        let first = try #require(work)
        #expect(scheduler.complete(first, answer: Self.answer(Self.read(1)), retried: true, at: 2.5).count == 1)
        _ = scheduler.receive(Self.read(1), from: 1, at: 2.6)
        #expect(scheduler.nextWork(at: 2.6) == nil)
        #expect(scheduler.nextWork(at: 4.5) == .read(Self.read(1)))
    }

    @Test("A history page that got no answer does not hold up a page for another time")
    func historyNeedsNoWait() throws {
        var scheduler = GatewayScheduler(configuration: .init(freshness: 0, lateAnswers: 2))
        scheduler.connect(1)
        scheduler.connect(2)
        let history = ObjectID(0x5293B668)
        let at1 = Frame(command: .write, objectID: history, payload: [0x66, 0x5B, 0x0D, 0x40])
        let at2 = Frame(command: .write, objectID: history, payload: [0x66, 0x5B, 0x0D, 0x41])
        _ = scheduler.receive(at1, from: 1, at: 0)
        let work = scheduler.nextWork(at: 0)
        let first = try #require(work)
        _ = scheduler.complete(first, answer: nil, at: 6)
        _ = scheduler.receive(at2, from: 2, at: 6)
        #expect(scheduler.nextWork(at: 6) == .read(at2))
    }

    @Test("A page answers only the request for its own timestamp", arguments: [Command.response, .longResponse])
    func pagesMatchTheirTimestamp(command: Command) {
        let history = ObjectID(0x5293B668)
        let at1 = Frame(command: .write, objectID: history, payload: [0x66, 0x5B, 0x0D, 0x40])
        let at2 = Frame(command: .write, objectID: history, payload: [0x66, 0x5B, 0x0D, 0x41])
        let page1 = Frame(command: command, objectID: history, payload: at1.payload + [0x66, 0x5B, 0x0C, 0x00, 0x3F, 0, 0, 0])
        #expect(Client.answers(page1, at1))
        #expect(!Client.answers(page1, at2))
        var window = ReadWindow<Int>(capacity: 2)
        window.sent(at2, tag: 2, at: .now, deadline: .after(seconds: 1))
        #expect(window.index(answeredBy: page1) == nil)
        // A plain read is still answered by any response for its object.
        #expect(Client.answers(Self.answer(Self.read(7)), Self.read(7)))
    }

    /// The clients of ``stallRecovery``: each polls objects of its own one at a time and gives
    /// up on a request after 2 s, as rct_power does.
    struct PollingClient {
        let objects: [UInt32]
        var next = 0
        var asked: (request: Frame, at: Double)?
        var answers: [Double] = []
    }

    @Test("After a stall every client is served again within seconds, whatever was under way when it began",
          arguments: [1, 8])
    func stallRecovery(window: Int) {
        var scheduler = GatewayScheduler(configuration: .init(window: window))
        var clients = (0..<20).map { client in PollingClient(objects: (0..<3).map { UInt32(100 * client + $0) }) }
        for client in clients.indices { scheduler.connect(client) }
        // Upstream: an answer takes 50 ms; during the stall (10 to 20 s) the device is silent and a
        // read ends without an answer after 6 s (three attempts of 2 s).
        let stall = 10.0..<20.0
        var flights: [(work: GatewayScheduler.Work, ends: Double, answered: Bool)] = []
        let step = 0.01
        for tick in 0..<6000 {
            let now = Double(tick) * step
            for index in clients.indices {
                if let asked = clients[index].asked, now - asked.at < 2 { continue }
                let object = clients[index].objects[clients[index].next % 3]
                clients[index].next += 1
                clients[index].asked = (Self.read(object), now)
                if case let .answeredFromCache(answer) = scheduler.receive(Self.read(object), from: index, at: now) {
                    clients[index].answers.append(now)
                    if answer.objectID.rawValue == object { clients[index].asked = nil }
                }
            }
            for flight in flights where flight.ends <= now {
                guard case let .read(request) = flight.work else { continue }
                for delivery in scheduler.complete(flight.work, answer: flight.answered ? Self.answer(request) : nil, at: now)
                where clients[delivery.client].asked?.request.objectID == delivery.frame.objectID {
                    clients[delivery.client].asked = nil
                    clients[delivery.client].answers.append(now)
                }
            }
            flights.removeAll { $0.ends <= now }
            while let work = scheduler.nextWork(at: now) {
                let answered = !stall.contains(now + 0.05) && !stall.contains(now)
                flights.append((work, answered ? now + 0.05 : now + 6, answered))
            }
        }
        for (index, client) in clients.enumerated() {
            let firstAfter = client.answers.first { $0 >= stall.upperBound }
            // The last read that began in the stall ends 6 s after it; then the clients are served again.
            #expect(firstAfter.map { $0 - stall.upperBound < 9 } ?? false,
                    "client \(index): first answer after the stall at \(firstAfter.map { "\($0)" } ?? "never")")
            let late = client.answers.filter { $0 >= 30 }.count
            #expect(late >= 10, "client \(index) got \(late) answers in the last 30 s")
        }
    }
}
