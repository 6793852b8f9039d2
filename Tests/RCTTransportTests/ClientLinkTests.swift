import Foundation
import RCTProtocol
import RCTTestSupport
import RCTTransport
import Testing

@Suite("Client over real serial and TCP links", .serialized)
struct ClientLinkTests {
    @Test("Reads come back decoded", arguments: LinkKind.allCases)
    func plainRead(kind: LinkKind) throws {
        try withLink(kind) { client, _ in
            let read1 = try client.read(object("battery.soc"))
            #expect(read1 == .float(0.55))
            let read2 = try client.read(object("inverter_sn"))
            #expect(read2 == .string("SIM0000000000001"))
        }
    }

    @Test("Split, delayed, echoed, garbage-laden and mixed-in answers still arrive",
          arguments: LinkKind.allCases, [FakeBehaviour.split, .delayed(0.2), .echo, .garbage, .unsolicited])
    func faultyAnswers(kind: LinkKind, behaviour: FakeBehaviour) throws {
        try withLink(kind, behaviour) { client, _ in
            let read3 = try client.read(object("power_mng.soc_strategy"))
            #expect(read3 == .integer(4))
            let read4 = try client.read(object("battery.soc"))
            #expect(read4 == .float(0.55))
        }
    }

    @Test("A silent device gives no-answer after every attempt", arguments: LinkKind.allCases)
    func silentDevice(kind: LinkKind) throws {
        try withLink(kind, .silent, timeout: 0.2, retries: 2) { client, fake in
            #expect(throws: ClientError.noAnswer(object: "battery.soc", attempts: 3, timeout: 0.2)) {
                try client.read(object("battery.soc"))
            }
            #expect(fake.received.filter { $0.command == .read }.count == 3)
        }
    }

    @Test("An answer cut short is reported as malformed, not as a value", arguments: LinkKind.allCases)
    func cutShort(kind: LinkKind) throws {
        try withLink(kind, .cutShort, timeout: 0.3, retries: 1) { client, _ in
            let error = #expect(throws: ClientError.self) { try client.read(object("battery.soc")) }
            guard case .malformedAnswer? = error else { Issue.record("got \(String(describing: error))"); return }
        }
    }

    @Test("A write is sent exactly once, even when nothing answers", arguments: LinkKind.allCases)
    func writeNeverRetried(kind: LinkKind) throws {
        try withLink(kind, .silent, timeout: 0.2, retries: 3) { client, fake in
            try client.write(.integer(2), to: object("power_mng.soc_strategy"))
            let writes = fake.receivedOnceSettled().filter { $0.command == .write }
            #expect(writes.count == 1)
            let payload = writes.first.map { Array($0.payload) }
            #expect(payload == [2])
        }
    }

    @Test("A write is applied by the device and confirmed by reading back", arguments: LinkKind.allCases)
    func writeThenRead(kind: LinkKind) throws {
        try withLink(kind) { client, _ in
            try client.write(.float(0.3), to: object("power_mng.soc_min"))
            let read5 = try client.read(object("power_mng.soc_min"))
            #expect(read5 == .float(0.3))
        }
    }

    @Test("Pulling the plug mid-wait is an error, not a hang", arguments: LinkKind.allCases)
    func unplug(kind: LinkKind) throws {
        try withLink(kind, .silent, timeout: 5, retries: 0) { client, fake in
            let started = Date()
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { fake.unplug() }
            let error = #expect(throws: ClientError.self) { try client.read(object("battery.soc")) }
            guard case .transport(.disconnected)? = error else { Issue.record("got \(String(describing: error))"); return }
            #expect(Date().timeIntervalSince(started) < 3)
        }
    }

    @Test("The trace hook sees every byte both ways, decoded")
    func traceHook() throws {
        let fake = try FakeInverter.onLoopback(.echo)
        defer { fake.stop() }
        let transport = try TCPConnection(to: try Endpoint(parsing: fake.address), timeout: 2)
        let entries = Mutex<[TraceEntry]>([])
        let client = Client(transport: transport, options: .init(timeout: 1), trace: { entry in entries.withLock { $0.append(entry) } })
        _ = try client.read(object("battery.soc"))
        let seen = entries.withLock { $0 }
        let sent = seen.filter { $0.direction == .sent }
        #expect(sent.count == 1)
        #expect(sent.first?.bytes == (try Frame(command: .read, objectID: ObjectID(0x959930BF)).encoded()))
        let received = seen.filter { $0.direction == .received }.flatMap(\.decoded)
        let commands = received.compactMap { if case let .frame(decoded) = $0 { decoded.frame.command } else { nil } }
        #expect(commands == [.read, .response])
    }

    @Test("A minimum gap keeps requests apart")
    func minimumGap() throws {
        try withLink(.tcp) { client, _ in
            client.options.minimumGap = 0.15
            let started = Date()
            for _ in 0..<3 { _ = try client.read(object("battery.soc")) }
            #expect(Date().timeIntervalSince(started) >= 0.3)
        }
    }
}

import Synchronization
