import Foundation
import RCTTestSupport
import Testing

/// History and the event table read live from a device that sends long answers with a wrong
/// LEN and a 0x00 before every frame (`rct simulator --wrong-len ... --leading-zero`).
@Suite("Wrong LEN on a live link", .serialized)
struct WrongLengthEndToEndTests {
    enum Link: String, CaseIterable { case tcp, pty }

    @Test("get --at of a timeseries and of the event table answers at once, over TCP and a pty",
          arguments: ["short", "long"], Link.allCases)
    func historyOverEachLink(wrongLength: String, link: Link) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rct-wronglen-\(getpid())").path
        let simulator = try SimulatorProcess(["--wrong-len", wrongLength, "--leading-zero"] + (link == .pty ? ["--pty", "--link", path] : []))
        defer { simulator.stop() }
        let target = link == .pty ? ["--device", path] : ["--host", simulator.endpoint]
        // One attempt only, and a timeout far above the quiet gap: the answer must come from the
        // quiet step or the next frame, never from a retry or from waiting out LEN.
        let started = Date()
        let result = try rct(arguments: ["get", "logger.minutes_soc_log_ts", "0x6F3876BC", "battery.soc", "--at", "2024-06-01T12:00",
                                         "--json", "--retries", "0", "--timeout", "3"] + target)
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 0, "\(result.stderr)")
        let items = try jsonObjects(result.stdout)
        #expect(items.count == 3)
        let series = try #require(items.first?["value"] as? [String: Any])
        #expect(series["requested"] as? String == "2024-06-01T12:00:00Z")
        #expect((series["samples"] as? [Any])?.count == 5)
        let table = try #require(items.dropFirst().first?["value"] as? [String: Any])
        #expect((table["events"] as? [Any])?.isEmpty == false)
        #expect(items.last?["value"] is Double)
        // Three timeouts would take 9 s; the whole command, process start included, takes far less.
        #expect(elapsed < 3, "took \(elapsed) s")
    }

    @Test("--trace shows the declared and the actual LEN, and the quiet step that closed the frame")
    func traceShowsTheQuirk() throws {
        let simulator = try SimulatorProcess(["--wrong-len", "long", "--leading-zero"])
        defer { simulator.stop() }
        let result = try rct("get", "logger.minutes_soc_log_ts", "--at", "2024-06-01T12:00", "--trace", "--retries", "0",
                             "--host", simulator.endpoint)
        #expect(result.status == 0)
        #expect(result.stderr.contains("(line quiet)"))
        #expect(result.stderr.contains("LONG_RESPONSE 0x5293B668 logger.minutes_soc_log_ts"))
        #expect(result.stderr.contains("(LEN said 528, actual 48)"))
    }

    @Test("monitor closes the last long answer of a burst by the same quiet step")
    func monitorSeesTheLongAnswer() throws {
        let simulator = try SimulatorProcess(["--wrong-len", "long", "--leading-zero"])
        defer { simulator.stop() }
        let monitor = try RCTBinary.start(["monitor", "--host", simulator.endpoint, "--json", "-v"])
        defer { if monitor.isRunning { monitor.signal(SIGINT); _ = monitor.wait(timeout: 5) } }
        #expect(monitor.wait(until: { $0.stderr.contains("rct: using") }), "monitor connected")
        // No retry, so no later start byte closes the answer for the monitor: only the quiet step can.
        #expect(try rct("get", "logger.minutes_soc_log_ts", "--at", "2024-06-01T12:00", "--retries", "0",
                        "--host", simulator.endpoint).status == 0)
        #expect(monitor.wait(until: { $0.stdout.contains("LONG_RESPONSE") }, timeout: 3), "monitor saw the answer: \(monitor.stdout)")
        monitor.signal(SIGINT)
        #expect(monitor.wait(timeout: 10) == 0)
        let answer = try monitor.stdout.split(separator: "\n").map { try #require(try json(String($0)) as? [String: Any]) }
            .first { $0["command"] as? String == "LONG_RESPONSE" }
        #expect(answer?["declared_length"] as? Int == 528)
        #expect(answer?["length"] as? Int == 48)
    }

    @Test("The simulator's own decoder closes a long request with a wrong LEN by the quiet step")
    func simulatorQuietStep() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let parts = simulator.endpoint.split(separator: ":")
        // A LONG_WRITE history request for logger.minutes_soc_log_ts at 2024-06-01T12:00Z whose
        // LEN says 40 more bytes than follow; the checksum is right over the bytes sent. Sent by
        // an independent client (Python's socket module), which then listens for one second.
        let script = """
        import socket, sys, time
        def crc(data):
            data = data + b"\\0" if len(data) % 2 else data
            value = 0xFFFF
            for byte in data:
                value ^= byte << 8
                for _ in range(8):
                    value = ((value << 1) ^ 0x1021) & 0xFFFF if value & 0x8000 else (value << 1) & 0xFFFF
            return value
        body = bytes([0x03, 0x00, 8 + 40]) + bytes.fromhex("5293B668665B0D40")
        frame = b"+" + body + crc(body).to_bytes(2, "big")
        assert b"+" not in frame[1:] and b"-" not in frame[1:]
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
        s.sendall(frame)
        s.settimeout(1)
        received = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk: break
                received += chunk
        except socket.timeout:
            pass
        print(received.hex())
        """
        let child = try ChildProcess("/usr/bin/env", ["python3", "-c", script, String(parts[0]), String(parts[1])],
                                     environment: ProcessInfo.processInfo.environment)
        #expect(child.wait(timeout: 10) == 0, "\(child.stderr)")
        // The answer: a LONG_RESPONSE for the same object.
        #expect(child.stdout.uppercased().contains("2B06") && child.stdout.uppercased().contains("5293B668"), "got \(child.stdout)")
    }

    @Test("decode of the captured frame and a follower shows both, with declared and actual LEN")
    func decodeCapture() throws {
        let hex = "00 2B 06 00 10 52 93 B6 68 6A C0 A7 04 6A C0 58 58 58 58 F0 40 6A C0 58 58 58 58 AA E5 6A C0 27 08 3E 68 D4 90 8C C0"
            + " 00 2B 01 04 95 99 30 BF 0D 65"
        let result = try rct("decode", "--hex", "--json", input: Data(hex.utf8))
        #expect(result.status == 0)
        let lines = try result.stdout.split(separator: "\n").map { try #require(try json(String($0)) as? [String: Any]) }
        #expect(lines.compactMap { $0["command"] as? String } == ["LONG_RESPONSE", "READ"], "\(result.stdout)")
        #expect(lines.first?["declared_length"] as? Int == 16)
        #expect(lines.first?["length"] as? Int == 32)
        #expect(lines.allSatisfy { $0["event"] == nil })
    }
}
