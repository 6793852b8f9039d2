import Foundation
import RCTProtocol
import RCTTestSupport
import Testing

/// python rctclient from the test set-up's virtual environment.
enum PythonClient {
    static var rctclient: String? {
        let environment = ProcessInfo.processInfo.environment
        let candidates = [environment["RCT_PYTHON"].map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("rctclient").path },
                          RCTBinary.packageRoot + "/.venv/bin/rctclient"].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let required = ProcessInfo.processInfo.environment["CI"] != nil

    static func run(_ arguments: [String]) throws -> CommandResult {
        let child = try ChildProcess(try #require(rctclient, "rctclient is not set up: run 'make venv'"), arguments,
                                     environment: ProcessInfo.processInfo.environment)
        let status = try #require(child.wait(timeout: 30), "rctclient did not finish")
        return CommandResult(status: status, stdout: child.stdout, stderr: child.stderr)
    }
}

@Suite("rct simulator and interop with python rctclient", .serialized)
struct SimulatorInteropTests {
    @Test("rct simulator answers reads, applies writes and serves several clients at once")
    func simulatorBasics() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        #expect(try rct("get", "battery.soc", "--host", simulator.endpoint).stdout == "battery.soc 55.0 %\n")
        #expect(try rct("set", "power_mng.soc_min", "0.3", "--host", simulator.endpoint).status == 0)
        #expect(try rct("get", "power_mng.soc_min", "--host", simulator.endpoint).stdout == "power_mng.soc_min 30.0 %\n")
        // Out-of-range writes are ignored by the device (sent here as a raw frame through rct's own decoder path).
        let results = try (0..<4).map { _ in try rct("get", "inverter_sn", "--host", simulator.endpoint) }
        #expect(results.allSatisfy { $0.status == 0 })
    }

    @Test("--pty serves the serial path, with a link")
    func simulatorPty() throws {
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("rct-sim-\(getpid())").path
        let simulator = try SimulatorProcess(["--pty", "--link", link])
        defer { simulator.stop() }
        let result = try rct("get", "battery.soc", "--device", link)
        #expect(result.status == 0)
        #expect(result.stdout == "battery.soc 55.0 %\n")
    }

    @Test("Under External, battery_power_extern moves the SOC; under Internal it holds")
    func physics() throws {
        let simulator = try SimulatorProcess(["--speed", "3600"])
        defer { simulator.stop() }
        func soc() throws -> Double {
            let items = try jsonObjects(try rct("get", "battery.soc", "--json", "--host", simulator.endpoint).stdout)
            return try #require(items.first?["value"] as? Double)
        }
        let start = try soc()
        usleep(300_000)
        #expect(abs(try soc() - start) < 0.001, "Internal holds")
        #expect(try rct("set", "power_mng.soc_strategy", "2", "--host", simulator.endpoint).status == 0)
        #expect(try rct("set", "power_mng.battery_power_extern", "-6000", "--host", simulator.endpoint).status == 0)
        usleep(500_000)
        #expect(try soc() > start + 0.05, "charging raises the SOC")
    }

    @Test("Faults: with --noise the client still reads correct values")
    func noisySimulator() throws {
        let simulator = try SimulatorProcess(["--noise", "42", "--noise-rate", "0.3"])
        defer { simulator.stop() }
        for _ in 0..<5 {
            let result = try rct("get", "battery.soc", "power_mng.soc_strategy", "--host", simulator.endpoint, "--timeout", "0.5", "--retries", "5")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.lines == ["battery.soc 55.0 %", "power_mng.soc_strategy 4 (Internal)"])
        }
    }

    @Test("--ack-writes answers writes; by default writes get no answer")
    func acknowledgements() throws {
        for (flags, expectAnswer) in [([String](), false), (["--ack-writes"], true)] {
            let simulator = try SimulatorProcess(flags)
            defer { simulator.stop() }
            let monitor = try RCTBinary.start(["monitor", "--host", simulator.endpoint, "--json", "--duration", "3", "-v"])
            #expect(monitor.wait(until: { $0.stderr.contains("rct: using") }), "monitor connected")
            #expect(try rct("set", "power_mng.soc_min", "0.2", "--host", simulator.endpoint).status == 0)
            _ = monitor.wait(timeout: 10)
            let commands = monitor.stdout
                .split(separator: "\n").compactMap { try? json(String($0)) as? [String: Any] }.compactMap { $0["command"] as? String }
            let writeIndex = try #require(commands.firstIndex(of: "WRITE"))
            #expect((commands[writeIndex + 1] == "RESPONSE") == expectAnswer, "\(commands)")
        }
    }

    @Test("rctclient's read-value reads correct values from rct simulator",
          .enabled(if: PythonClient.rctclient != nil || PythonClient.required))
    func rctclientReadsOurSimulator() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let endpoint = simulator.endpoint.split(separator: ":")
        let common = ["read-value", "--host", String(endpoint[0]), "--port", String(endpoint[1])]
        let soc = try PythonClient.run(common + ["--name", "battery.soc"])
        #expect(Float(soc.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == 0.55)
        let strategy = try PythonClient.run(common + ["--name", "power_mng.soc_strategy"])
        #expect(strategy.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "4")
        let serial = try PythonClient.run(common + ["--name", "inverter_sn"])
        #expect(serial.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "SIM0000000000001")
        #expect(try rct("set", "power_mng.soc_target_set", "0.8", "--host", simulator.endpoint).status == 0)
        let target = try PythonClient.run(common + ["--name", "power_mng.soc_target_set"])
        #expect(Float(target.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == 0.8)
    }

    @Test("rct reads the same values from rctclient's simulator as rctclient itself",
          .enabled(if: PythonClient.rctclient != nil || PythonClient.required))
    func rctReadsTheirSimulator() throws {
        let port = 20000 + Int(getpid() % 10000)
        let process = try ChildProcess(try #require(PythonClient.rctclient), ["simulator", "--host", "127.0.0.1", "--port", "\(port)"],
                                       environment: ProcessInfo.processInfo.environment)
        defer { process.signal(SIGTERM); _ = process.wait(timeout: 5) }
        // Wait for it to listen.
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? rct("get", "battery.soc", "--host", "127.0.0.1:\(port)", "--timeout", "0.2", "--retries", "0").status) == 0
            if !ready { usleep(100_000) }
        }
        #expect(ready)
        for name in ["battery.soc", "power_mng.soc_strategy", "inverter_sn", "android_description", "battery.soh", "g_sync.p_ac_load_sum_lp"] {
            let ours = try jsonObjects(try rct("get", name, "--json", "--host", "127.0.0.1:\(port)").stdout).first?["value"]
            let theirs = try PythonClient.run(["read-value", "--host", "127.0.0.1", "--port", "\(port)", "--name", name])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            switch ours {
            case let number as NSNumber: #expect(Double(theirs).map { Float($0) } == number.floatValue, "\(name): \(theirs)")
            case let text as String: #expect(text == theirs, "\(name)")
            default: Issue.record("\(name): no value from rct")
            }
        }
    }
}

@Suite("rct simulator keeps time", .serialized)
struct SimulatorTimingTests {
    static let soc = (try? Frame(command: .read, objectID: ObjectID(0x959930BF)).encoded()) ?? []

    /// Seconds from sending `request` to the first answer byte.
    private func roundTrip(_ endpoint: String, _ request: [UInt8]) throws -> Double {
        let client = try RawSocket(endpoint)
        let start = Date()
        client.send(request)
        var received: [UInt8] = []
        while received.isEmpty && Date().timeIntervalSince(start) < 5 { received = client.receive(for: 0.005) }
        return Date().timeIntervalSince(start)
    }

    @Test("Answer delay, measured from outside: latency plus service time")
    func answerDelay() throws {
        let simulator = try SimulatorProcess(["--latency", "0.2", "--service-time", "0.05"])
        defer { simulator.stop() }
        let delay = try roundTrip(simulator.endpoint, Self.soc)
        // Never earlier than the model says; the upper bound only rules out a lost answer,
        // since a loaded machine may be late.
        #expect(delay >= 0.25 && delay < 1.5, "\(delay) s")
    }

    @Test("Line rate: a long answer takes longer by its size at the baud rate")
    func lineRate() throws {
        let simulator = try SimulatorProcess(["--line-rate", "1200"])
        defer { simulator.stop() }
        // At 1200 baud (120 bytes/s): the READ (9 bytes) and its answer (11 bytes) about 0.17 s;
        // a history request (12 bytes) and its answer (about 56 bytes) about 0.57 s.
        let short = try roundTrip(simulator.endpoint, Self.soc)
        let history = try Frame(command: .write, objectID: ObjectID(0x5293B668), payload: [0x66, 0x5B, 0x0D, 0x40]).encoded()
        let long = try roundTrip(simulator.endpoint, history)
        #expect(short >= 0.15, "\(short) s")
        #expect(long >= 0.5, "\(long) s")
        #expect(long - short >= 0.3, "the long answer took \(long) s, the short one \(short) s")
    }

    @Test("--realistic: about 4 to 5 sequential reads a second, as public clients see")
    func realistic() throws {
        let simulator = try SimulatorProcess(["--realistic"])
        defer { simulator.stop() }
        let delay = try roundTrip(simulator.endpoint, Self.soc)
        #expect(delay >= 0.21 && delay < 1.5, "\(delay) s")
    }

    @Test("A burst beyond the queue is dropped silently")
    func queueOverflow() throws {
        let simulator = try SimulatorProcess(["--service-time", "0.1", "--queue", "2"])
        defer { simulator.stop() }
        let client = try RawSocket(simulator.endpoint)
        let ids: [UInt32] = [0x959930BF, 0xF168B748, 0xCE266F0F, 0x97997C93, 0x7924ABD9, 0xEBC62737]
        client.send(try ids.flatMap { try Frame(command: .read, objectID: ObjectID($0)).encoded() })
        var decoder = FrameDecoder()
        decoder.append(client.receive(for: 1.5))
        decoder.finish()
        var answered = 0
        while let output = decoder.next() { if case .frame = output { answered += 1 } }
        #expect(answered == 3, "one served, two waiting, three dropped")
    }
}
