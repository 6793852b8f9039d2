import Foundation
import RCTProtocol
import RCTTestSupport
import Testing

@Suite("rct serve: one owner of the link, a gateway for every other client", .serialized)
struct ServeTests {
    static let socRead = (try? Frame(command: .read, objectID: ObjectID(0x959930BF)).encoded()) ?? []

    @Test("Six rctclient clients at once get only right answers through rct serve; directly, the naive ones do not",
          arguments: [[], ["--noise", "7", "--noise-rate", "0.1"]])
    func pollingClientsThroughTheGateway(noise: [String]) throws {
        let simulator = try SimulatorProcess(noise)
        defer { simulator.stop() }
        // With faults injected, answers come cut short now and then; a string cut short is still a
        // string, so only objects of fixed size are polled then (see Documentation/Serve.md).
        let objects = noise.isEmpty ? pollingObjects : pollingObjects.filter { !["inverter_sn", "android_description"].contains($0) }
        let expected = try expectedValues(objects, from: simulator.endpoint)
        defer { try? FileManager.default.removeItem(at: expected) }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint, "--timeout", "0.5", "--retries", "3"])
        let (host, port) = serve.hostAndPort
        let through = try pollingClients(host, port, expected: expected, duration: 3, timeout: 5)
        #expect(through.wrong == 0, "\(through.clients)")
        #expect(through.right > 100)
        // No client starved: the least served got at least a fifth of an equal share.
        #expect(through.leastServed * 5 * through.clients.count >= through.right, "\(through.clients)")
        if noise.isEmpty { #expect(through.lost == 0) }
        #expect(serve.stop() == 0)

        // The same clients straight at the simulator, which broadcasts like the Wi-Fi module:
        // the clients that take the first answer get other objects' values.
        let direct = try pollingClients(String(simulator.endpoint.split(separator: ":")[0]),
                                        String(simulator.endpoint.split(separator: ":")[1]),
                                        expected: expected, mode: "first", duration: 2, timeout: 2)
        #expect(direct.wrong > 0, "the harness must see the problem the gateway solves")
    }

    @Test("rct itself through the gateway: get, set with --allow-writes (verified), and refused writes", arguments: [false, true])
    func rctThroughTheGateway(overPseudoTerminal: Bool) throws {
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("rct-serve-pty-\(getpid())").path
        let simulator = try SimulatorProcess(overPseudoTerminal ? ["--pty", "--link", link] : [])
        defer { simulator.stop() }
        let upstream = overPseudoTerminal ? ["--device", link] : ["--host", simulator.endpoint]
        let serve = try ServeProcess(upstream: upstream, ["--allow-writes"])
        let get = try rct("get", "battery.soc", "inverter_sn", "logger.minutes_soc_log_ts", "--at", "2024-06-01T12:00", "--json",
                          "--host", serve.endpoint)
        #expect(get.status == 0, "\(get.stderr)")
        let items = try jsonObjects(get.stdout)
        #expect((items[0]["value"] as? NSNumber)?.floatValue == 0.55)
        #expect(items[1]["value"] as? String == "SIM0000000000001")
        #expect(((items[2]["value"] as? [String: Any])?["samples"] as? [Any])?.count == 5)

        let set = try rct("set", "power_mng.soc_min", "0.25", "--host", serve.endpoint)
        #expect(set.status == 0, "\(set.stderr)")
        #expect(serve.log(contains: "power_mng.soc_min = 25 %, was 7 %: written and verified"))
        // The inverter itself has the new value.
        #expect(try rct("get", "power_mng.soc_min", "--json", "--host", simulator.endpoint).stdout.contains("0.25"))

        // Out of range: rct refuses before sending; a raw WRITE of it is refused by the gateway.
        var raw = try RawSocket(serve.endpoint)
        raw.send(try Frame(command: .write, objectID: ObjectID(0xCE266F0F), payload: try ValueCodec.encode(.float(1.5), as: .float)).encoded())
        #expect(serve.log(contains: "write refused: power_mng.soc_min accepts"))
        // com_service (flash) is never written.
        raw = try RawSocket(serve.endpoint)
        raw.send(try Frame(command: .write, objectID: ObjectID(0x8FC89B10), payload: [5]).encoded())
        #expect(serve.log(contains: "write to com_service refused: not a parameter rct can write"))
        #expect(try rct("get", "power_mng.soc_min", "--json", "--host", simulator.endpoint).stdout.contains("0.25"),
                "a refused write leaves the value unchanged")
        #expect(serve.stop() == 0)
    }

    @Test("Read-only by default: a client's write is not forwarded, logged with client, object and value, and changes nothing")
    func readOnlyByDefault() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint])
        let set = try rct("set", "power_mng.soc_strategy", "2", "--host", serve.endpoint, "--timeout", "0.5")
        #expect(set.status == 65, "the read-back shows the write did not happen")
        #expect(serve.log(contains: "write to power_mng.soc_strategy refused: the gateway is read-only"))
        #expect(serve.process.stderr.contains("value sent: [02]"))
        #expect(try rct("get", "power_mng.soc_strategy", "--host", simulator.endpoint).stdout == "power_mng.soc_strategy 4 (Internal)\n")
        #expect(serve.stop() == 0)
    }

    @Test("A hold scenario through the gateway while rctclient clients poll; hand-back verified")
    func holdWhileOthersPoll() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let expected = try expectedValues(["battery.soc", "inverter_sn", "android_description"], from: simulator.endpoint)
        defer { try? FileManager.default.removeItem(at: expected) }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint], ["--allow-writes"])
        let hold = try RCTBinary.start(["hold", "--duration", "2s", "--poll", "0.2", "--host", serve.endpoint])
        let (host, port) = serve.hostAndPort
        let report = try pollingClients(host, port, expected: expected, clients: 4, duration: 2)
        #expect(hold.wait(timeout: 30) == 0, "\(hold.stderr)")
        #expect(hold.stdout.contains("hand_back: power_mng.soc_strategy 2 (External) -> 4 (Internal), verified"), "\(hold.stdout)")
        #expect(report.wrong == 0)
        #expect(report.right > 50)
        #expect(try rct("get", "power_mng.soc_strategy", "--host", simulator.endpoint).stdout == "power_mng.soc_strategy 4 (Internal)\n")
        #expect(serve.stop() == 0)
    }

    @Test("No inverter at start-up: rct serve starts, says why once, refuses clients at connect, and serves once the inverter appears")
    func upstreamLater() throws {
        // Through a relay with a port of its own that names no inverter yet (see deadInverter).
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("rct-target-later-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: target) }
        let relay = try startProxy(targetFile: target)
        defer { relay.process.signal(SIGTERM) }
        let serve = try ServeProcess(upstream: ["--host", relay.endpoint, "--timeout", "0.3"])
        #expect(serve.log(contains: "cannot open the upstream link"))
        // Refused at connect, as by a module without power: a client fails at once.
        #expect(throws: ConnectError.self) { try waitForRefusal(serve.endpoint) }
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        try simulator.endpoint.replacingOccurrences(of: ":", with: " ").write(toFile: target, atomically: true, encoding: .utf8)
        #expect(serve.log(contains: "upstream \(relay.endpoint) open"))
        var answered = false
        for _ in 0..<20 where !answered {
            guard let client = try? RawSocket(serve.endpoint) else {
                usleep(200_000)
                continue
            }
            client.send(Self.socRead)
            answered = frames(client.receive(for: 0.3)).contains { $0.objectID == ObjectID(0x959930BF) }
        }
        #expect(answered)
        #expect(serve.process.stderr.components(separatedBy: "cannot open the upstream link").count == 2, "said once")
        #expect(serve.stop() == 0)
    }

    @Test("Bad clients (garbage, half a frame, a flood, connect loops) affect no other client; the maximum is refused at connect")
    func badClients() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let expected = try expectedValues(pollingObjects, from: simulator.endpoint)
        defer { try? FileManager.default.removeItem(at: expected) }
        // A flood of ids the device does not know costs a timeout each: half a second here.
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint, "--timeout", "0.5", "-v"], ["--max-clients", "8"])
        var rng = SystemRandomNumberGenerator()
        let garbage = try RawSocket(serve.endpoint)
        garbage.send((0..<65536).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let half = try RawSocket(serve.endpoint)
        half.send(Array(Self.socRead.prefix(4)) + [0x2B, 0x03, 0x7F])
        let flood = try RawSocket(serve.endpoint)
        // Reads of known objects and of ids nobody answers, far more than a client may have waiting.
        let known = [ObjectID(0x959930BF), ObjectID(0x400F015B), ObjectID(0x65EED11B), ObjectID(0xF168B748)]
        var floodFrames: [UInt8] = []
        for index in 0..<2000 {
            let id = index % 2 == 0 ? known[index / 2 % known.count] : ObjectID(UInt32(index))
            floodFrames += try Frame(command: .read, objectID: id).encoded()
        }
        flood.send(floodFrames)
        for _ in 0..<50 { _ = try RawSocket(serve.endpoint) }
        #expect(serve.process.wait(until: { $0.stderr.components(separatedBy: "left (").count - 1 >= 50 }),
                "the 50 connect-and-leave clients are gone")

        let (host, port) = serve.hostAndPort
        let report = try pollingClients(host, port, expected: expected, clients: 4, duration: 2)
        #expect(report.wrong == 0)
        #expect(report.lost == 0)
        #expect(report.leastServed > 20, "\(report.clients)")

        // 3 bad clients are connected; five more fit, the sixth is refused at connect (none
        // has been idle long enough to make room), so a client fails at once instead of
        // reading a socket that was accepted and closed.
        let more = try (0..<5).map { _ in try RawSocket(serve.endpoint) }
        #expect(serve.log(contains: "(8 now)"))
        #expect(throws: ConnectError.self) { try waitForRefusal(serve.endpoint) }
        _ = more
        #expect(serve.stop() == 0)
    }

    @Test("/metrics parses with prometheus-client and counts what happened")
    func metrics() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint], ["--metrics", "127.0.0.1:0"])
        let metrics = try #require(serve.metrics)
        #expect(try rct("get", "battery.soc", "--host", serve.endpoint).status == 0)
        #expect(try rct("get", "battery.soc", "--host", serve.endpoint).status == 0)
        _ = try rct("set", "power_mng.soc_strategy", "2", "--host", serve.endpoint, "--timeout", "0.3", "--retries", "0")
        let samples = try scrape(metrics)
        #expect(samples["rct_upstream_link_up"] == 1)
        #expect(samples["rct_upstream_exchanges_total"] ?? 0 >= 1)
        #expect(samples["rct_upstream_answers_total"] ?? 0 >= 1)
        #expect(samples["rct_gateway_cache_hits_total"] ?? 0 >= 1, "the second read within a second came from the cache")
        #expect(samples["rct_gateway_refused_writes_total"] == 1)
        #expect(samples["rct_gateway_requests_total{client=127.0.0.1}"] ?? 0 >= 3)
        #expect(samples["rct_upstream_answer_seconds_count"] ?? 0 >= 1)
        #expect(samples.keys.contains("rct_upstream_foreign_frames_total"))
        #expect(samples.keys.contains("rct_gateway_clients"))
        #expect(serve.stop() == 0)
    }

    @Test("Traffic the gateway did not cause is counted and logged as someone else on the line")
    func someoneElseOnTheLine() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint])
        // Another program on the simulator directly: its requests and answers reach the gateway too.
        #expect(try rct("get", "battery.soc", "--host", simulator.endpoint).status == 0)
        #expect(serve.log(contains: "someone else is on the inverter link"))
        #expect(serve.stop() == 0)
    }

    @Test("SIGTERM, SIGINT and SIGHUP each close the clients and the link; exit 0", arguments: [SIGTERM, SIGINT, SIGHUP])
    func stopsCleanly(signal: Int32) throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint, "-v"])
        let client = try RawSocket(serve.endpoint)
        #expect(serve.log(contains: "connected (1 now)"))
        serve.process.signal(signal)
        #expect(serve.process.wait(timeout: 10) == 0)
        #expect(client.isClosed(within: 2))
        #expect(serve.process.stderr.contains(": stopping"))
        #expect(serve.process.stderr.contains("stopped"))
    }

    @Test("Bad options exit 64 and nothing is served")
    func badOptions() throws {
        for arguments in [["serve", "--listen", "nowhere:99999"], ["serve", "--fresh", "-1"], ["serve", "--max-clients", "0"],
                          ["serve", "--metrics", "127.0.0.1:notaport"]] {
            let result = try rct(arguments: ["--simulator"] + arguments)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
        }
    }
}
