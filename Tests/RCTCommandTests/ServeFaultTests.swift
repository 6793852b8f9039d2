import Foundation
import RCTProtocol
import RCTTestSupport
import Testing

/// `rct serve` against a real simulator that answers late, stalls or goes away.
@Suite("rct serve under link faults", .serialized)
struct ServeFaultTests {
    static let history = ObjectID(0x5293B668) // logger.minutes_soc_log_ts
    static let socMinimum = ObjectID(0xCE266F0F)

    static func timestamp(_ seconds: UInt32) -> [UInt8] {
        withUnsafeBytes(of: seconds.bigEndian) { Array($0) }
    }

    @Test("A late history page goes to the client that asked for its time, never to one asking for another time")
    func latePagesKeepTheirOwner() throws {
        let simulator = try SimulatorProcess(["--latency", "2.5"])
        defer { simulator.stop() }
        // Defaults: 2 s timeout, two retries; the answer to the first attempt comes during the
        // second, and the second attempt's answer comes 2.5 s after it, when B's request is out.
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint])
        let first = Self.timestamp(1_717_243_200), second = Self.timestamp(1_717_246_800)
        let clientA = try RawSocket(serve.endpoint)
        let clientB = try RawSocket(serve.endpoint)
        clientA.send(try Frame(command: .write, objectID: Self.history, payload: first).encoded())
        usleep(500_000)
        clientB.send(try Frame(command: .write, objectID: Self.history, payload: second).encoded())
        let pagesB = frames(clientB.receive(for: 8))
        let pagesA = frames(clientA.receive(for: 0.1))
        #expect(!pagesA.isEmpty && pagesA.allSatisfy { $0.payload.starts(with: first) }, "\(pagesA)")
        #expect(!pagesB.isEmpty, "B got no page")
        #expect(pagesB.allSatisfy { $0.payload.starts(with: second) }, "B got a page for another time: \(pagesB.map { Array($0.payload.prefix(4)) })")
        #expect(serve.stop() == 0)
    }

    @Test("An answer to a read's earlier attempt that comes late is not taken for a later read: no older value")
    func lateAnswerIsNotANewerRead() throws {
        let simulator = try SimulatorProcess(["--latency", "1.5"])
        defer { simulator.stop() }
        // A 1 s timeout: A's read goes out again at 1 s; the first answer comes at 1.5 s, the
        // second attempt's (the value as it was at 1 s) at 2.5 s.
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint, "--timeout", "1"], ["--fresh", "0"])
        let read = try Frame(command: .read, objectID: Self.socMinimum).encoded()
        let clientA = try RawSocket(serve.endpoint)
        clientA.send(read)
        let answersA = frames(clientA.receive(for: 1.7))
        let old = try ValueCodec.encode(.float(0.07), as: .float), new = try ValueCodec.encode(.float(0.25), as: .float)
        #expect(answersA.map { Array($0.payload) } == [old], "\(answersA)")
        // The inverter's value changes (written on the simulator directly), then B asks.
        let direct = try RawSocket(simulator.endpoint)
        direct.send(try Frame(command: .write, objectID: Self.socMinimum, payload: new).encoded())
        usleep(200_000)
        let clientB = try RawSocket(serve.endpoint)
        clientB.send(read)
        let answersB = frames(clientB.receive(for: 6))
        #expect(answersB.map { Array($0.payload) } == [new], "B got \(answersB)")
        #expect(serve.stop() == 0)
    }
}

extension ServeFaultTests {
    @Test("After a stall of the inverter every client, whatever it had under way, is served again within seconds")
    func fairAfterStall() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        // A 2 s stall stays below the silence limit (3 s here): the link stays up, and only
        // the scheduling decides who is served when the inverter answers again.
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint, "--timeout", "0.5"], ["--fresh", "0"])
        let objects = ["battery.soc", "power_mng.soc_min", "power_mng.soc_max", "power_mng.soc_strategy", "inverter_sn",
                       "battery.soh", "battery.voltage", "battery.temperature"].compactMap { Registry.standard.object(named: $0)?.id }
        try #require(objects.count == 8)
        let clients = try objects.map { _ in try RawSocket(serve.endpoint) }
        /// One round: every client asks for its object and waits up to `seconds` for it.
        func round(waiting seconds: Double) -> [Bool] {
            for (client, id) in zip(clients, objects) { client.send((try? Frame(command: .read, objectID: id).encoded()) ?? []) }
            return zip(clients, objects).map { client, id in
                frames(client.receive(for: seconds)).contains { $0.objectID == id && $0.command.isResponse }
            }
        }
        #expect(round(waiting: 0.3).allSatisfy { $0 })
        simulator.process.signal(SIGSTOP)
        _ = round(waiting: 0.1)
        usleep(2_000_000)
        simulator.process.signal(SIGCONT)
        let resumed = Date()
        var served = Set<Int>()
        while served.count < clients.count && Date().timeIntervalSince(resumed) < 6 {
            for (index, answered) in round(waiting: 0.2).enumerated() where answered { served.insert(index) }
        }
        #expect(served.count == clients.count, "served again: \(served.sorted()) after \(Date().timeIntervalSince(resumed)) s")
        #expect(Date().timeIntervalSince(resumed) < 4)
        #expect(serve.stop() == 0)
    }
}
