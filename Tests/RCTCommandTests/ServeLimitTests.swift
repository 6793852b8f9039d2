import Foundation
import RCTProtocol
import RCTTestSupport
import Testing

/// `rct serve` against clients that hold on without talking, never read, or come too many,
/// and against an inverter that goes away.
@Suite("rct serve: limits on clients, and a dead inverter told at once", .serialized)
struct ServeLimitTests {
    static let socRead = (try? Frame(command: .read, objectID: ObjectID(0x959930BF)).encoded()) ?? []

    /// Resident memory of `pid` in MB.
    static func residentMegabytes(_ pid: pid_t) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
        return kilobytes / 1024
    }

    /// Whether a read of battery.soc through `endpoint` is answered within `seconds`.
    static func answers(_ endpoint: String, within seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let client = try? RawSocket(endpoint) {
                client.send(socRead)
                if frames(client.receive(for: 0.5)).contains(where: { $0.objectID == ObjectID(0x959930BF) }) { return true }
            }
            usleep(100_000)
        }
        return false
    }

    @Test("Silent clients are closed after the idle timeout; while they hold every slot, a new client is refused at connect")
    func idleClients() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint], ["--max-clients", "4", "--idle-timeout", "2"])
        let silent = try (0..<4).map { _ in try RawSocket(serve.endpoint) }
        #expect(throws: ConnectError.self) { try waitForRefusal(serve.endpoint) }
        // rct itself, refused at connect, says so at once instead of waiting for answers.
        let refused = try rct("--host", serve.endpoint, "--timeout", "1", "get", "battery.soc", timeout: 10)
        #expect(refused.status == 69, "\(refused.stderr)")
        #expect(silent.allSatisfy { $0.isClosed(within: 3) }, "the silent clients are closed after 2 s")
        let get = try rct("--host", serve.endpoint, "get", "battery.soc")
        #expect(get.status == 0, "\(get.stderr)")
        #expect(serve.stop() == 0)
    }

    @Test("At the maximum, the client idle longest makes room for a new one; clients that talk keep their place")
    func idleClientMakesRoom() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        // With a 3 s idle timeout, a client idle for 3 s may also be closed to make room.
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint], ["--max-clients", "2", "--idle-timeout", "3"])
        let talker = try RawSocket(serve.endpoint)
        let sleeper = try RawSocket(serve.endpoint)
        // The talker reads every half second; the sleeper says nothing.
        var closedSleeper = false
        for _ in 0..<12 {
            talker.send(Self.socRead)
            #expect(!frames(talker.receive(for: 0.5)).isEmpty)
            if !closedSleeper { closedSleeper = sleeper.isClosed(within: 0) }
        }
        #expect(closedSleeper, "the silent client was closed")
        #expect(!talker.isClosed(within: 0.1), "the client that talks keeps its place")
        #expect(serve.stop() == 0)
    }

    @Test("A client that pipelines GET /metrics and never reads costs bounded memory and is closed; the slots it and others hold come back")
    func httpNonReader() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint],
                                     ["--metrics", "127.0.0.1:0", "--http-timeout", "3", "--max-http-connections", "8"])
        let metrics = try #require(serve.metrics)
        let before = Self.residentMegabytes(serve.process.pid)
        let hog = try RawSocket(metrics)
        let requests = Array(String(repeating: "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", count: 200).utf8)
        var peak = before
        var closed = false
        for _ in 0..<50 where !closed {
            hog.send(requests)
            usleep(100_000)
            peak = max(peak, Self.residentMegabytes(serve.process.pid))
            closed = hog.isClosed(within: 0)
        }
        #expect(peak - before < 20, "memory grew from \(before) to \(peak) MB")
        #expect(hog.isClosed(within: 5), "the client that does not read is closed")

        // Eight idle connections fill every slot; the ninth is closed at once.
        let idle = try (0..<8).map { _ in try RawSocket(metrics) }
        usleep(200_000)
        let ninth = try RawSocket(metrics)
        #expect(ninth.isClosed(within: 1))
        // A client sending a byte a second is closed after the timeout like the idle ones.
        #expect(idle.allSatisfy { $0.isClosed(within: 5) })
        let slow = try RawSocket(metrics)
        var slowClosed = false
        for byte in Array("GET /metrics HTTP/1.1\r\n".utf8) where !slowClosed {
            slow.send([byte])
            slowClosed = slow.isClosed(within: 0.5)
        }
        #expect(slowClosed, "a client that sends a byte every half second is closed")
        let samples = try scrape(metrics)
        #expect(samples["rct_http_timed_out_connections_total"] ?? 0 >= 9)
        #expect(samples["rct_http_refused_connections_total"] ?? 0 >= 1)
        #expect(serve.stop() == 0)
    }

    @Test("Limits that need more open files than the process may have: refused at start, with the numbers")
    func descriptorLimit() throws {
        let serve = try ChildProcess("/bin/sh", ["-c", "ulimit -n 256 && exec \(RCTBinary.path) --simulator serve --listen 127.0.0.1:0 --max-clients 1024"],
                                     environment: RCTBinary.environment([:]))
        #expect(serve.wait(timeout: 20) == 69)
        #expect(serve.stderr.contains("need 1152 open files, but this process may open only 256"), "\(serve.stderr)")
    }

    @Test("Inverter gone: clients are closed and new ones refused at connect within 3 s; back: reads work within 5 s")
    func deadInverter() throws {
        // The daemon reaches the inverter through a relay with a port of its own, so the
        // inverter can go and come back without a port that a stranger could take meanwhile.
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("rct-target-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: target) }
        var simulator = try SimulatorProcess()
        try simulator.endpoint.replacingOccurrences(of: ":", with: " ").write(toFile: target, atomically: true, encoding: .utf8)
        let relay = try startProxy(targetFile: target)
        defer { relay.process.signal(SIGTERM) }
        let serve = try ServeProcess(upstream: ["--host", relay.endpoint, "--timeout", "0.5"])
        let connected = try RawSocket(serve.endpoint)
        #expect(Self.answers(serve.endpoint, within: 3))
        // Gone: the relay names no inverter and drops what it relayed; the simulator ends.
        try "".write(toFile: target, atomically: true, encoding: .utf8)
        relay.process.signal(SIGUSR1)
        simulator.stop()
        let stopped = Date()
        #expect(connected.isClosed(within: 3), "a client connected when the link dropped is released")
        #expect(throws: ConnectError.self) { try waitForRefusal(serve.endpoint) }
        #expect(Date().timeIntervalSince(stopped) < 3.5)
        #expect(serve.log(contains: "reconnecting"))
        // Back, on a port the new simulator picked and said.
        simulator = try SimulatorProcess()
        defer { simulator.stop() }
        try simulator.endpoint.replacingOccurrences(of: ":", with: " ").write(toFile: target, atomically: true, encoding: .utf8)
        relay.process.signal(SIGUSR2)
        #expect(Self.answers(serve.endpoint, within: 5), "reads work again within 5 s")
        #expect(serve.log(contains: "open again after"))
        #expect(serve.stop() == 0)
    }

    @Test("Inverter stopped (SIGSTOP, its TCP still accepting): noticed from its silence, clients refused; resumed: served again")
    func stoppedInverter() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint, "--timeout", "0.5"])
        #expect(Self.answers(serve.endpoint, within: 3))
        simulator.process.signal(SIGSTOP)
        // Nobody asks: the gateway's own check notices within its 5 s keep-alive and 3 s of silence.
        #expect(throws: ConnectError.self) { try waitForRefusal(serve.endpoint, seconds: 12) }
        #expect(serve.log(contains: "silent for"))
        simulator.process.signal(SIGCONT)
        #expect(Self.answers(serve.endpoint, within: 8), "reads work again once the inverter answers")
        #expect(serve.stop() == 0)
    }

    @Test("--trace-pcap writes the upstream link, which rct decode reads")
    func tracePcap() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rct-serve-trace-\(getpid()).pcap").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint, "--trace-pcap", file])
        #expect(try rct("--host", serve.endpoint, "get", "battery.soc").status == 0)
        #expect(serve.stop() == 0)
        let decoded = try rct("decode", file)
        #expect(decoded.status == 0, "\(decoded.stderr)")
        #expect(decoded.stdout.contains("battery.soc = 55.0 %"), "\(decoded.stdout)")
        let unwritable = try rct("--simulator", "--trace-pcap", "/nonexistent/dir/trace.pcap", "serve", "--listen", "127.0.0.1:0")
        #expect(unwritable.status == 64, "\(unwritable.stderr)")
    }

    @Test("A write refused by a read-only gateway says so, and how to allow writes; the inverter is unchanged")
    func readOnlyGatewaySaysSo() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint])
        let set = try rct("--host", serve.endpoint, "set", "power_mng.soc_min", "0.20")
        #expect(set.status == 65)
        #expect(set.stderr.contains("read-only") && set.stderr.contains("--allow-writes"), "\(set.stderr)")
        #expect(try rct("--host", simulator.endpoint, "get", "power_mng.soc_min").stdout.contains("7.0 %"))
        #expect(serve.stop() == 0)
    }

    @Test("A client that waits for the inverter to speak first gets a valid frame within 2 s; one that asks first gets only its answers")
    func greeting() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint])
        let waiter = try RawSocket(serve.endpoint)
        let asker = try RawSocket(serve.endpoint)
        asker.send(Self.socRead)
        let heard = frames(waiter.receive(for: 2))
        #expect(heard.count == 1 && GatewayStatus(heard[0]) == GatewayStatus(allowsWrites: false), "\(heard)")
        let answers = frames(asker.receive(for: 2))
        #expect(answers.map(\.objectID) == [ObjectID(0x959930BF)])
        #expect(serve.stop() == 0)
    }
}
