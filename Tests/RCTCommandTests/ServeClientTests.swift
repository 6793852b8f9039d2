import Foundation
import RCTProtocol
import RCTTestSupport
import Testing

/// Clients written for these tests that behave like the ones people run against port 8899
/// (Documentation/Serve.md, "Clients"): none of their code, only their manner.
@Suite("rct serve with the clients people run", .serialized)
struct ServeClientTests {
    static let soc = ObjectID(0x959930BF)
    static let strategy = WriteRules.socStrategyID
    static let extern = WriteRules.batteryPowerExternID
    static let socMin = WriteRules.socMinID
    static let socMax = WriteRules.socMaxID
    static let gridPower = WriteRules.useGridPowerID

    static func float(_ value: Float) -> [UInt8] { (try? ValueCodec.encode(.float(value), as: .float)) ?? [] }

    /// Like evcc's library: waits for the device to speak before it asks anything, keeps every
    /// answer it sees in a cache by object id, and writes without waiting for an answer.
    final class CachingClient {
        let socket: RawSocket
        private(set) var cache: [ObjectID: [UInt8]] = [:]
        /// Seconds from connecting to the first byte.
        private(set) var firstByteAfter: Double?

        init(_ endpoint: String, waitingUpTo seconds: Double = 30) throws {
            socket = try RawSocket(endpoint)
            let start = Date()
            while firstByteAfter == nil && Date().timeIntervalSince(start) < seconds {
                let bytes = socket.receive(for: 0.05)
                if !bytes.isEmpty { firstByteAfter = Date().timeIntervalSince(start) }
                absorb(bytes)
            }
        }

        private func absorb(_ bytes: [UInt8]) {
            for frame in frames(bytes) where frame.command.isResponse { cache[frame.objectID] = Array(frame.payload) }
        }

        /// Takes in whatever arrives within `seconds`.
        func listen(for seconds: Double) { absorb(socket.receive(for: seconds)) }

        func write(_ id: ObjectID, _ payload: [UInt8]) throws {
            socket.send(try Frame(command: .write, objectID: id, payload: payload).encoded())
        }

        func read(_ id: ObjectID) throws -> [UInt8]? {
            cache[id] = nil
            for _ in 0..<3 where cache[id] == nil {
                socket.send(try Frame(command: .read, objectID: id).encoded())
                listen(for: 1)
            }
            return cache[id]
        }
    }

    /// The inverter's values, read on it directly.
    static func direct(_ endpoint: String, _ names: [String]) throws -> [String: Any] {
        var values: [String: Any] = [:]
        for item in try jsonObjects(try rct(arguments: ["--host", endpoint, "get"] + names + ["--json"]).stdout) {
            values[item["name"] as? String ?? ""] = item["value"]
        }
        return values
    }

    @Test("An evcc-style client connects in under 2 s; hold, charge at 10 000 W and normal leave the inverter as the policy says")
    func evccBatteryModes() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint], ["--allow-writes"])
        let client = try CachingClient(serve.endpoint)
        #expect((client.firstByteAfter ?? 99) < 2, "first byte after \(client.firstByteAfter.map { "\($0)" } ?? "never")")
        let soc = try #require(try client.read(Self.soc))
        let current = try #require(try ValueCodec.decode(Payload(soc), as: .float))
        guard case let .float(fraction) = current else { throw ConnectError(endpoint: "soc", code: 0) }

        // Hold: strategy Internal, soc_max from its settings, soc_min = the state of charge at full precision.
        try client.write(Self.strategy, [4])
        try client.write(Self.socMax, Self.float(0.97))
        try client.write(Self.socMin, Self.float(fraction + 0.0043098))
        client.listen(for: 3)
        var held = try Self.direct(simulator.endpoint, ["power_mng.soc_strategy", "power_mng.soc_min"])
        #expect(held["power_mng.soc_strategy"] as? Int == 4)
        #expect((held["power_mng.soc_min"] as? Double).map { abs($0 - 0.55) < 1e-6 } == true, "\(held)")
        // Every write was answered with the value held afterwards.
        #expect(client.cache[Self.socMin] == Self.float(0.55))
        #expect(client.cache[Self.strategy] == [4])

        // Charge at evcc's default 10 000 W: clamped to the 6000 W limit and applied.
        try client.write(Self.gridPower, [1])
        try client.write(Self.extern, Self.float(-10000))
        try client.write(Self.strategy, [2])
        client.listen(for: 3)
        held = try Self.direct(simulator.endpoint, ["power_mng.soc_strategy", "power_mng.battery_power_extern", "power_mng.use_grid_power_enable"])
        #expect(held["power_mng.soc_strategy"] as? Int == 2)
        #expect(held["power_mng.battery_power_extern"] as? Double == -6000, "\(held)")
        #expect(held["power_mng.use_grid_power_enable"] as? Bool == true)
        #expect(client.cache[Self.extern] == Self.float(-6000))

        // Normal: the saved strategy, soc_min and soc_max from its settings, no external power.
        try client.write(Self.strategy, [4])
        try client.write(Self.socMin, Self.float(0.07))
        try client.write(Self.socMax, Self.float(0.97))
        try client.write(Self.extern, Self.float(0))
        client.listen(for: 3)
        held = try Self.direct(simulator.endpoint, ["power_mng.soc_strategy", "power_mng.battery_power_extern", "power_mng.soc_min"])
        #expect(held["power_mng.soc_strategy"] as? Int == 4)
        #expect(held["power_mng.battery_power_extern"] as? Double == 0)
        #expect((held["power_mng.soc_min"] as? Double).map { abs($0 - 0.07) < 1e-6 } == true, "\(held)")
        #expect(serve.log(contains: "clamped to the battery power limit"))
        let clamped = serve.process.stderr.components(separatedBy: "-10000 clamped").count - 1
        #expect(clamped == 1, "logged once per distinct value")
        #expect(serve.stop() == 0)
    }

    @Test("Read-only: a write is answered with the value the inverter holds, unchanged")
    func refusedWriteIsAnswered() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint])
        let client = try CachingClient(serve.endpoint)
        try client.write(Self.socMin, Self.float(0.3))
        client.listen(for: 2)
        #expect(client.cache[Self.socMin] == Self.float(0.07))
        #expect(serve.stop() == 0)
    }

    @Test("The simulator's portal traffic starts a client that waits for the device to speak first")
    func portalTraffic() throws {
        let simulator = try SimulatorProcess(["--portal", "0.5"])
        defer { simulator.stop() }
        let client = try CachingClient(simulator.endpoint, waitingUpTo: 3)
        #expect((client.firstByteAfter ?? 99) < 1)
        #expect(client.cache[Self.soc] == Self.float(0.55))
    }

    @Test("rct_power-style polls (connect, read, leave) 200 times: at most 10 lines in the log at the default level")
    func quietLog() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint])
        usleep(500_000)
        let before = serve.process.stderr.split(separator: "\n").count
        let read = try Frame(command: .read, objectID: Self.soc).encoded()
        var answered = 0
        for _ in 0..<200 {
            let client = try RawSocket(serve.endpoint)
            client.send(read)
            // A 2 s deadline per object, answers for other objects skipped.
            let end = Date().addingTimeInterval(2)
            while Date() < end {
                if frames(client.receive(for: 0.05)).contains(where: { $0.objectID == Self.soc && $0.command.isResponse }) {
                    answered += 1
                    break
                }
            }
        }
        #expect(answered == 200)
        #expect(serve.stop() == 0)
        let lines = serve.process.stderr.split(separator: "\n")
        // The lines of stopping are not the polls'.
        let added = lines.count - before - lines.filter { $0.contains("stopping") || $0.contains("stopped") }.count
        #expect(added <= 10, "\(lines.suffix(20).joined(separator: "\n"))")
    }

    @Test("openWB-style bursts (every read at once, resends of the missing) get right values")
    func burstAndResend() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint])
        let names = ["battery.soc", "power_mng.soc_min", "power_mng.soc_max", "power_mng.soc_strategy", "inverter_sn", "g_sync.p_ac_grid_sum_lp"]
        let objects = try names.map { try #require(Registry.standard.object(named: $0)) }
        let expected = try Self.direct(simulator.endpoint, names)
        let client = try RawSocket(serve.endpoint)
        for _ in 0..<3 {
            var pending = Set(objects.map(\.id))
            var got: [ObjectID: [UInt8]] = [:]
            for _ in 0..<10 where !pending.isEmpty {
                client.send(try pending.flatMap { try Frame(command: .read, objectID: $0).encoded() })
                for frame in frames(client.receive(for: 0.5)) where frame.command.isResponse && pending.contains(frame.objectID) {
                    got[frame.objectID] = Array(frame.payload)
                    pending.remove(frame.objectID)
                }
            }
            #expect(pending.isEmpty)
            for object in objects {
                let value = try ValueCodec.decode(Payload(try #require(got[object.id])), as: object.responseType)
                let want = expected[object.name]
                switch value {
                case let .float(number): #expect(abs(Double(number) - (want as? Double ?? .nan)) < 1e-3, "\(object.name)")
                case let .integer(number): #expect(Int(number) == want as? Int, "\(object.name)")
                case let .string(text): #expect(text == want as? String, "\(object.name)")
                default: Issue.record("\(object.name): \(value)")
                }
            }
        }
        #expect(serve.stop() == 0)
    }
}
