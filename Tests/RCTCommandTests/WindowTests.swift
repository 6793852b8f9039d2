import Foundation
import RCTTestSupport
import Testing

/// `rct get --window N`: several requests in flight, answers matched by object id.
@Suite("Windowed reads")
struct WindowTests {
    /// Objects whose values the simulator holds still, so two simulators agree on them.
    static let steady = ["inverter_sn", "android_description", "svnversion", "power_mng.soc_strategy", "power_mng.soc_min",
                         "power_mng.soc_max", "power_mng.soc_charge", "power_mng.soc_target_set", "power_mng.soc_charge_power",
                         "power_mng.use_grid_power_enable", "power_mng.battery_power_extern", "power_mng.soc_min_island"]

    /// The most requests a trace shows in flight at once: a sent request counts until a
    /// response for its object comes back.
    static func mostInFlight(_ trace: String) -> Int {
        var inFlight: [String] = []
        var most = 0
        for line in trace.split(separator: "\n") where line.hasPrefix("trace ") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5, let id = fields.first(where: { $0.hasPrefix("0x") }) else { continue }
            if fields[2] == ">" && (fields.contains("READ") || fields.contains("WRITE")) {
                inFlight.append(String(id))
                most = max(most, inFlight.count)
            } else if fields[2] == "<" && fields.contains(where: { $0.hasSuffix("RESPONSE") }), let index = inFlight.firstIndex(of: String(id)) {
                inFlight.remove(at: index)
            }
        }
        return most
    }

    @Test("Against the realistic simulator with noise: every value right and in order; retries counted")
    func noisyWindow() throws {
        let clean = try SimulatorProcess()
        defer { clean.stop() }
        let noisy = try SimulatorProcess(["--realistic", "--noise", "7", "--noise-rate", "0.3"])
        defer { noisy.stop() }
        let expected = try jsonObjects(try rct(arguments: ["get", "--json", "--host", clean.endpoint] + Self.steady).stdout)
        let result = try rct(arguments: ["get", "--json", "-v", "--window", "8", "--retries", "6", "--timeout", "1", "--host", noisy.endpoint]
                             + Self.steady, timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        let got = try jsonObjects(result.stdout)
        #expect(got.map { $0["name"] as? String } == Self.steady)
        #expect(got.map { "\($0["value"] ?? "")" } == expected.map { "\($0["value"] ?? "")" })
        #expect(result.stderr.contains("request(s) sent again after no usable answer"), "the noise cost no retry? \(result.stderr)")
    }

    @Test("--window 1 sends strictly one at a time; the default keeps several in flight, never more than the window")
    func windowInTrace() throws {
        let simulator = try SimulatorProcess(["--realistic"])
        defer { simulator.stop() }
        let one = try rct(arguments: ["get", "--trace", "--window", "1", "--host", simulator.endpoint] + Self.steady, timeout: 60)
        #expect(one.status == 0, "\(one.stderr)")
        #expect(Self.mostInFlight(one.stderr) == 1)
        let four = try rct(arguments: ["get", "--trace", "--window", "4", "--host", simulator.endpoint] + Self.steady, timeout: 60)
        #expect(four.status == 0)
        #expect(Self.mostInFlight(four.stderr) == 4)
        #expect(four.stdout == one.stdout, "the same values in the same order")
    }

    @Test("A write is never in flight together with another request, and nothing follows it before its read-back")
    func writesAlone() throws {
        let simulator = try SimulatorProcess(["--realistic"])
        defer { simulator.stop() }
        let result = try rct(arguments: ["set", "--trace", "power_mng.soc_min", "0.25", "--host", simulator.endpoint], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        // (time, direction, command, id) of every decoded frame in the trace.
        let frames: [(Double, Substring, Substring, Substring)] = result.stderr.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 6, fields[0] == "trace", let time = Double(fields[1]), fields[3].count == 8 else { return nil }
            return (time, fields[2], fields[4], fields[5])
        }
        let write = try #require(frames.firstIndex { $0.1 == ">" && $0.2 == "WRITE" }, "\(result.stderr)")
        // Before it: every request answered.
        let before = frames[..<write]
        #expect(before.filter { $0.1 == ">" }.count == before.filter { $0.1 == "<" }.count)
        // After it: the read-back of the same object, sent once the write had time to settle, and answered before anything else.
        let after = Array(frames[(write + 1)...])
        let next = try #require(after.first { $0.1 == ">" })
        #expect(next.2 == "READ" && next.3 == frames[write].3)
        #expect(next.0 - frames[write].0 >= 0.19)
        #expect(after.filter { $0.1 == ">" }.count == after.filter { $0.1 == "<" }.count)
    }

    @Test("rct serve keeps up to --window reads in flight upstream for several clients; --window 1 one at a time",
          arguments: [1, 4])
    func serveWindow(size: Int) throws {
        let simulator = try SimulatorProcess(["--realistic"])
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint, "--trace"], ["--window", "\(size)", "--fresh", "0"])
        let (host, port) = serve.hostAndPort
        let report = try pollingClients(host, port, expected: try expectedValues(pollingObjects, from: simulator.endpoint),
                                        clients: 6, mode: "check", duration: 3, timeout: 3)
        #expect(report.wrong == 0 && report.lost == 0 && report.right > 0)
        _ = serve.log(contains: "never printed", timeout: 0.5)
        #expect(Self.mostInFlight(serve.process.stderr) == size)
        #expect(serve.stop() == 0)
    }

    @Test("Bad --window values exit 64", arguments: ["0", "65", "-1", "many"])
    func badWindow(value: String) throws {
        let result = try rct("--simulator", "get", "battery.soc", "--window", value)
        #expect(result.status == 64, "\(result.stderr)")
    }
}
