import Foundation
import RCTProtocol
import RCTSimulator
import RCTTestSupport
import Testing

/// Runs a program from the test set-up (python, tcpdump, editcap, tshark) and waits for it.
private func tool(_ path: String, _ arguments: [String], timeout: Double = 60) throws -> CommandResult {
    let child = try ChildProcess(path, arguments, environment: ProcessInfo.processInfo.environment)
    let status = try #require(child.wait(timeout: timeout), "\(path) did not finish")
    return CommandResult(status: status, stdout: child.stdout, stderr: child.stderr)
}

private var python: String {
    ProcessInfo.processInfo.environment["RCT_PYTHON"] ?? RCTBinary.packageRoot + "/.venv/bin/python"
}

/// A scratch folder removed at the end of the test.
private final class Scratch {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rct-capture-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The frames of `rct decode --json` output as (direction, command, id), per direction in stream order.
private func frames(_ output: String, direction: String) throws -> [String] {
    try output.split(separator: "\n").compactMap { line -> String? in
        let object = try #require(try json(String(line)) as? [String: Any])
        guard object["direction"] as? String == direction, let command = object["command"] as? String,
              let id = object["id"] as? String else { return nil }
        return "\(command) \(id)"
    }
}

/// What `rct decode --json` and the dissector agree on: per direction, each good frame as
/// `COMMAND id name` (id in lower case), and the number of frames with a bad checksum.
private struct Seen: Equatable, CustomStringConvertible {
    var good: [String: [String]] = [:]
    var bad: [String: Int] = [:]
    var description: String { "good \(good), bad \(bad)" }
}

private func seenByDecode(_ output: String) throws -> Seen {
    var seen = Seen()
    for line in output.split(separator: "\n") {
        let object = try #require(try json(String(line)) as? [String: Any])
        let direction = try #require(object["direction"] as? String)
        if object["event"] as? String == "crc_mismatch" { seen.bad[direction, default: 0] += 1 }
        guard let command = object["command"] as? String, let id = object["id"] as? String, object["crc_ok"] as? Bool == true else { continue }
        seen.good[direction, default: []].append("\(command) \(id.lowercased()) \(object["name"] as? String ?? "(unknown object)")")
    }
    return seen
}

/// The same, as the Lua dissector in tshark says it; `port` tells directions on TCP.
private func seenByDissector(_ capture: String, lua: String, port: String?) throws -> Seen {
    // Wireshark puts out-of-order segments back in order only when asked to.
    let result = try tool("/usr/bin/env", ["tshark", "-o", "tcp.reassemble_out_of_order:TRUE", "-X", "lua_script:\(lua)", "-r", capture, "-Y", "rct", "-T", "fields",
                                           "-e", "tcp.dstport", "-e", "rct.direction", "-e", "rct.command", "-e", "rct.id",
                                           "-e", "rct.name", "-e", "rct.crc.status", "-E", "occurrence=a", "-E", "aggregator=;"])
    #expect(result.status == 0, "\(result.stderr)")
    var seen = Seen()
    for line in result.stdout.split(separator: "\n", omittingEmptySubsequences: true) {
        let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard columns.count == 6 else { continue }
        let direction = port.map { columns[0] == $0 ? "to_inverter" : "from_inverter" } ?? (columns[1] == "0" ? "to_inverter" : "from_inverter")
        let parts = (2...5).map { columns[$0].split(separator: ";", omittingEmptySubsequences: false).map(String.init) }
        for index in parts[0].indices where index < parts[3].count {
            if parts[3][index] == "1" {
                seen.good[direction, default: []].append("\(parts[0][index]) \(parts[1][index]) \(parts[2][index])")
            } else {
                seen.bad[direction, default: 0] += 1
            }
        }
    }
    return seen
}

@Suite("Captures: pcap and pcapng input, serial traces as pcap", .serialized)
struct CaptureTests {
    @Test("Crafted captures (scapy): in order, reordered, retransmitted, a lost segment, split inside an escape, keep-alives",
          arguments: ["ordered", "reordered", "retransmitted", "missing", "escape-split", "keepalive"])
    func crafted(kind: String) throws {
        let scratch = try Scratch()
        let capture = scratch.path("\(kind).pcap")
        let crafted = try tool(python, [RCTBinary.packageRoot + "/Tests/Oracle/craft_capture.py", kind, capture])
        #expect(crafted.status == 0, "\(crafted.stderr)")
        var expected: [[String: Any]] = []
        var missing: Int?
        for line in crafted.stdout.split(separator: "\n") {
            let object = try #require(try json(String(line)) as? [String: Any])
            if let count = object["missing"] as? Int { missing = count } else { expected.append(object) }
        }
        let decoded = try rct("decode", capture, "--json")
        #expect(decoded.status == 0, "\(decoded.stderr)")
        for direction in ["to_inverter", "from_inverter"] {
            let want = expected.filter { $0["direction"] as? String == direction }.map { "\($0["command"] ?? "") \($0["id"] ?? "")" }
            #expect(try frames(decoded.stdout, direction: direction) == want, "\(kind) \(direction)")
        }
        let objects = try decoded.stdout.split(separator: "\n").map { try #require(try json(String($0)) as? [String: Any]) }
        #expect(objects.allSatisfy { $0["connection"] as? String == "192.168.1.20:50123" })
        #expect(objects.allSatisfy { ($0["time"] as? String)?.hasPrefix("2023-11-14T22:13:20.") == true })
        let gaps = objects.filter { $0["event"] as? String == "missing" }.compactMap { $0["count"] as? Int }
        #expect(gaps == (missing.map { [$0] } ?? []))
        // Nothing else: no CRC mismatch from a badly joined stream.
        #expect(!objects.contains { $0["event"] as? String == "crc_mismatch" })

        // The Wireshark dissector reads the same frames (TCP reassembly through Wireshark's
        // desegmentation). A lost segment stalls Wireshark's reassembly of that direction,
        // so there only what comes before the gap is compared.
        let lua = scratch.path("rct.lua")
        try rct("dissector").stdout.write(toFile: lua, atomically: true, encoding: .utf8)
        var byDecode = try seenByDecode(decoded.stdout)
        let byDissector = try seenByDissector(capture, lua: lua, port: "8899")
        if kind == "missing" {
            let count = byDissector.good["from_inverter"]?.count ?? 0
            byDecode.good["from_inverter"] = Array((byDecode.good["from_inverter"] ?? []).prefix(count))
            #expect(count >= 1)
        }
        #expect(byDissector == byDecode)
    }

    @Test("tcpdump on loopback while rct talks to the simulator (with and without noise): every frame of both directions, in order, as rct's own trace says; pcapng the same",
          arguments: [[], ["--noise", "11"], ["--wrong-len", "long", "--leading-zero"]])
    func realCapture(simulatorOptions: [String]) throws {
        let scratch = try Scratch()
        let simulator = try SimulatorProcess(simulatorOptions)
        defer { simulator.stop() }
        let port = try #require(simulator.endpoint.split(separator: ":").last.map(String.init))
        let capture = scratch.path("lo.pcap"), trace = scratch.path("trace.pcap")
        let tcpdump = try ChildProcess("/usr/bin/env", ["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-w", capture, "tcp port \(port)"],
                                       environment: ProcessInfo.processInfo.environment)
        #expect(tcpdump.wait(until: { $0.stderr.contains("listening on") }), "tcpdump did not start: \(tcpdump.stderr)")
        let read = try rct("--host", simulator.endpoint, "--trace-pcap", trace, "get", "battery.soc", "power_mng.soc_strategy",
                           "inverter_sn", "battery.voltage", "g_sync.p_ac_grid_sum_lp", "logger.minutes_soc_log_ts")
        #expect(read.status == 0, "\(read.stderr)")
        Thread.sleep(forTimeInterval: 0.5)
        tcpdump.signal(SIGINT)
        _ = tcpdump.wait(timeout: 10)

        let fromWire = try rct("decode", capture, "--port", port, "--json")
        #expect(fromWire.status == 0, "\(fromWire.stderr)")
        let fromTrace = try rct("decode", trace, "--json")
        #expect(fromTrace.status == 0, "\(fromTrace.stderr)")
        for direction in ["to_inverter", "from_inverter"] {
            let wire = try frames(fromWire.stdout, direction: direction)
            #expect(!wire.isEmpty)
            #expect(wire == (try frames(fromTrace.stdout, direction: direction)), "\(direction)")
        }
        #expect(try frames(fromWire.stdout, direction: "to_inverter").prefix(5) == [
            "READ 0x959930BF", "READ 0xF168B748", "READ 0x7924ABD9", "READ 0x65EED11B", "READ 0x91617C58"])
        let connections = Set(try fromWire.stdout.split(separator: "\n").compactMap {
            (try json(String($0)) as? [String: Any])?["connection"] as? String
        })
        #expect(connections.count == 1)
        #expect(connections.first?.hasPrefix("127.0.0.1:") == true)

        let lua = scratch.path("rct.lua")
        try rct("dissector").stdout.write(toFile: lua, atomically: true, encoding: .utf8)
        // Another port than 8899: the dissector finds the stream by its heuristic.
        let byDissector = try seenByDissector(capture, lua: lua, port: port)
        #expect(byDissector == (try seenByDecode(fromWire.stdout)))
        #expect(!(byDissector.good["from_inverter"] ?? []).isEmpty)

        let pcapng = scratch.path("lo.pcapng")
        #expect(try tool("/usr/bin/env", ["editcap", "-F", "pcapng", capture, pcapng]).status == 0)
        let fromPcapng = try rct("decode", pcapng, "--port", port, "--json")
        #expect(fromPcapng.stdout == fromWire.stdout)
        let summary = try rct("decode", capture, "--port", port, "--summary")
        if simulatorOptions.first != "--noise" {
            #expect(summary.stdout.contains(" to    6 frames"), "\(summary.stdout)")
            #expect(summary.stdout.contains(" from  6 frames, 0 CRC errors"), "\(summary.stdout)")
        }
        if simulatorOptions.first == "--wrong-len" {
            // The long answer's LEN was wrong: rct and the dissector both found its end by the checksum.
            #expect(fromWire.stdout.contains("\"declared_length\""))
            let expertInfo = try tool("/usr/bin/env", ["tshark", "-X", "lua_script:\(lua)", "-r", capture, "-Y", "rct.length.wrong"])
            #expect(expertInfo.stdout.contains("LONG_RESPONSE logger.minutes_soc_log_ts"), "\(expertInfo.stdout)")
        }
    }

    @Test("A serial trace of a pseudo-terminal link (--trace-pcap) and monitor --save-pcap read back with rct decode and tshark")
    func serialTraces() throws {
        let scratch = try Scratch()
        let simulator = try SimulatorProcess(["--pty"])
        defer { simulator.stop() }
        let pty = try #require(simulator.ptyPath)
        let trace = scratch.path("serial.pcap")
        #expect(try rct("--device", pty, "--trace-pcap", trace, "get", "battery.soc", "power_mng.soc_strategy").status == 0)
        let decoded = try rct("decode", trace, "--json")
        #expect(try frames(decoded.stdout, direction: "to_inverter") == ["READ 0x959930BF", "READ 0xF168B748"])
        #expect(try frames(decoded.stdout, direction: "from_inverter") == ["RESPONSE 0x959930BF", "RESPONSE 0xF168B748"])
        #expect(decoded.stdout.contains("\"connection\":\"trace\""))
        let lua = scratch.path("rct.lua")
        try rct("dissector").stdout.write(toFile: lua, atomically: true, encoding: .utf8)
        #expect(try seenByDissector(trace, lua: lua, port: nil) == (try seenByDecode(decoded.stdout)))

        let network = try SimulatorProcess()
        defer { network.stop() }
        let saved = scratch.path("monitor.pcap")
        let monitor = try RCTBinary.start(["monitor", "--host", network.endpoint, "--save-pcap", saved, "-v"])
        #expect(monitor.wait(until: { $0.stderr.contains("rct: using") }), "monitor connected")
        #expect(try rct("get", "battery.soc", "--host", network.endpoint).status == 0)
        #expect(monitor.wait(until: { $0.stdout.contains("RESPONSE") }), "monitor saw the answer")
        monitor.signal(SIGINT)
        #expect(monitor.wait(timeout: 10) == 0)
        let fromMonitor = try rct("decode", saved, "--json")
        #expect(try frames(fromMonitor.stdout, direction: "from_inverter") == ["READ 0x959930BF", "RESPONSE 0x959930BF"])
        #expect(try seenByDissector(saved, lua: lua, port: nil) == (try seenByDecode(fromMonitor.stdout)))
    }

    @Test("monitor --save-pcap on a pseudo-terminal link: frames split across reads come back whole in rct decode and in the dissector")
    func monitorOnSerial() throws {
        let scratch = try Scratch()
        let terminal = try PseudoTerminal.openRaw()
        defer { close(terminal.master); close(terminal.slave) }
        let saved = scratch.path("serial-monitor.pcap")
        let monitor = try RCTBinary.start(["monitor", "--device", terminal.path, "--save-pcap", saved, "-v"])
        #expect(monitor.wait(until: { $0.stderr.contains("rct: using") }), "monitor opened the port: \(monitor.stderr)")
        let encoded = try [Frame(command: .response, objectID: ObjectID(0x959930BF), payload: [0x3F, 0x0C, 0xCC, 0xCD]),
                          Frame(command: .response, objectID: ObjectID(0xF168B748), payload: [0x2B])].map { try $0.encoded() }
        let stream = encoded.joined().map { $0 }
        // Three writes with pauses: the second frame arrives in two reads.
        for part in [stream[..<5], stream[5..<17], stream[17...]] {
            _ = Array(part).withUnsafeBytes { write(terminal.master, $0.baseAddress, $0.count) }
            Thread.sleep(forTimeInterval: 0.3)
        }
        #expect(monitor.wait(until: { $0.stdout.components(separatedBy: "RESPONSE").count == 3 }), "\(monitor.stdout)")
        monitor.signal(SIGINT)
        #expect(monitor.wait(timeout: 10) == 0)
        let decoded = try rct("decode", saved, "--json")
        #expect(try frames(decoded.stdout, direction: "from_inverter") == ["RESPONSE 0x959930BF", "RESPONSE 0xF168B748"])
        let lua = scratch.path("rct.lua")
        try rct("dissector").stdout.write(toFile: lua, atomically: true, encoding: .utf8)
        #expect(try seenByDissector(saved, lua: lua, port: nil) == (try seenByDecode(decoded.stdout)))
        let packets = try tool("/usr/bin/env", ["tshark", "-r", saved, "-T", "fields", "-e", "frame.number"])
        #expect(packets.stdout.split(separator: "\n").count >= 3, "the chunks are separate records: \(packets.stdout)")
    }

    @Test("Bad captures: cut short, no RCT traffic, a pcap magic number in front of garbage, an unwritable trace")
    func badCaptures() throws {
        let scratch = try Scratch()
        let good = scratch.path("good.pcap")
        #expect(try tool(python, [RCTBinary.packageRoot + "/Tests/Oracle/craft_capture.py", "ordered", good]).status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        let cut = scratch.path("cut.pcap")
        try bytes.prefix(bytes.count - 20).write(to: URL(fileURLWithPath: cut))
        let truncated = try rct("decode", cut)
        #expect(truncated.status == 64)
        #expect(truncated.stderr.hasPrefix("rct: ") && truncated.stderr.contains("truncated"), "\(truncated.stderr)")
        #expect(truncated.stdout.contains("READ"), "what came before the cut is still decoded")

        let other = scratch.path("other.pcap")
        #expect(try tool(python, [RCTBinary.packageRoot + "/Tests/Oracle/craft_capture.py", "other-port", other]).status == 0)
        let none = try rct("decode", other)
        #expect(none.status == 64)
        #expect(none.stderr.contains("no TCP traffic to or from port 8899"))

        let fake = scratch.path("fake.pcap")
        try Data([0xD4, 0xC3, 0xB2, 0xA1] + Array(repeating: 0x2B, count: 100)).write(to: URL(fileURLWithPath: fake))
        let garbage = try rct("decode", fake)
        #expect(garbage.status == 64)
        #expect(garbage.stderr.contains("not a readable capture"), "\(garbage.stderr)")
        #expect(garbage.stderr.split(separator: "\n").count == 1)

        let unwritable = try rct("--simulator", "--trace-pcap", "/nonexistent-dir/t.pcap", "get", "battery.soc")
        #expect(unwritable.status == 64)
        #expect(unwritable.stderr.contains("cannot write /nonexistent-dir/t.pcap"), "\(unwritable.stderr)")
    }
}
