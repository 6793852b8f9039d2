import Foundation
import RCTProtocol
import RCTTestSupport
import Testing

@Suite("rct list, devices, decode, monitor", .serialized)
struct OtherCommandTests {
    @Test("list: text, pattern, --writable and JSON")
    func list() throws {
        let all = try rct("list")
        #expect(all.status == 0)
        #expect(all.lines.count == 895)
        let writable = try rct("list", "--writable", "--json")
        let items = try jsonObjects(writable.stdout)
        #expect(items.count == WriteRules.all.count)
        #expect(items.allSatisfy { $0["writable"] as? Bool == true && $0["accepts"] is String })
        let strategy = try #require(items.first { $0["name"] as? String == "power_mng.soc_strategy" })
        #expect(strategy["id"] as? String == "0xF168B748")
        #expect(strategy["type"] as? String == "enum")
        #expect((strategy["labels"] as? [String: String])?["2"] == "External")
        let pattern = try rct("list", "soc_strat")
        #expect(pattern.lines.count == 1)
        #expect(pattern.stdout.hasPrefix("power_mng.soc_strategy  0xF168B748  enum  writable: 0..5"))
    }

    static let fixtures = RCTBinary.packageRoot + "/Tests/Fixtures/udev/"

    @Test("devices: recorded FTDI and CH340 adapters, with and without udev properties",
          arguments: ["", "-no-udev-db"])
    func devices(variant: String) throws {
        let result = try RCTBinary.run(["devices", "--json"], prefix: [
            "/usr/bin/umockdev-run", "--device", Self.fixtures + "ch340\(variant).umockdev",
            "--device", Self.fixtures + "ftdi-ft232r\(variant).umockdev", "--",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let ports = try jsonObjects(result.stdout)
        #expect(ports.count == 2)
        #expect(Set(ports[0].keys) == ["path", "by_id", "vendor_id", "product_id", "manufacturer", "product", "serial", "driver"])
        let ftdi = try #require(ports.first { $0["vendor_id"] as? String == "0403" })
        #expect(ftdi["path"] as? String == "/dev/ttyUSB0")
        #expect(ftdi["product_id"] as? String == "6001")
        #expect(ftdi["manufacturer"] as? String == "FTDI")
        #expect(ftdi["product"] as? String == "FT232R USB UART")
        #expect(ftdi["serial"] as? String == "A10KZ4B1")
        #expect(ftdi["driver"] as? String == "ftdi_sio")
        let ch340 = try #require(ports.first { $0["vendor_id"] as? String == "1a86" })
        #expect(ch340["product_id"] as? String == "7523")
        #expect(ch340["serial"] as? String == "5A3B009812")
        #expect(ch340["product"] as? String == "USB Serial")
        if variant.isEmpty {
            #expect(ftdi["by_id"] as? String == "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10KZ4B1-if00-port0")
            #expect(ch340["driver"] as? String == "ch341")
        } else {
            #expect(ftdi["by_id"] is NSNull)
            #expect(ch340["driver"] as? String == "ch341-uart")
        }
    }

    @Test("devices --udev-rule pins the recorded adapter's serial number")
    func udevRule() throws {
        let result = try RCTBinary.run(["devices", "--udev-rule"], prefix: [
            "/usr/bin/umockdev-run", "--device", Self.fixtures + "ftdi-ft232r.umockdev", "--",
        ])
        #expect(result.status == 0)
        let rule = try #require(result.lines.last)
        #expect(rule == #"SUBSYSTEM=="tty", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6001", ATTRS{serial}=="A10KZ4B1", SYMLINK+="rct-A10KZ4B1", GROUP="dialout", MODE="0660", ENV{ID_MM_DEVICE_IGNORE}="1""#)
        let none = try RCTBinary.run(["devices", "--udev-rule"], prefix: ["/usr/bin/umockdev-run", "--"])
        #expect(none.status == 69)
    }

    static let halfBytes = try! ValueCodec.encode(.float(0.5), as: .float)

    static var capture: [UInt8] {
        let frames = [
            Frame(command: .read, objectID: ObjectID(0x959930BF)),
            Frame(command: .response, objectID: ObjectID(0x959930BF), payload: Self.halfBytes),
            Frame(command: .write, objectID: ObjectID(0xF168B748), payload: [2]),
        ]
        var bytes = Array("AT+\r".utf8)
        for frame in frames { bytes += try! frame.encoded() }
        var broken = try! frames[1].encoded()
        broken[broken.count - 1] ^= 0x55
        return bytes + broken + [0x2B, 0x3C, 0xE1]
    }

    @Test("decode: raw file, hex on stdin, JSON lines and the summary")
    func decode() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rct-capture-\(getpid()).bin").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Self.capture)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try rct("decode", path)
        #expect(text.status == 0)
        #expect(text.lines[0] == "00000000  skipped 4 bytes of noise")
        #expect(text.lines[1].hasPrefix("00000004  READ          0x959930BF battery.soc  crc ok"))
        #expect(text.lines[2].contains("RESPONSE      0x959930BF battery.soc = 50.0 %  crc ok"))
        #expect(text.lines[3].contains("WRITE         0xF168B748 power_mng.soc_strategy = 2 (External)"))
        #expect(text.stdout.contains("CRC mismatch in a RESPONSE frame"))
        #expect(text.stdout.contains("EXTENSION frame"))

        let hex = HexText.format(Self.capture)
        let lines = try rct("decode", "-", "--hex", "--json", input: Data(hex.utf8))
        #expect(lines.status == 0)
        let objects = try lines.lines.map { try #require(try json($0) as? [String: Any]) }
        let frames = objects.filter { $0["event"] == nil }
        #expect(frames.count == 3)
        #expect(frames[1]["offset"] as? Int == 13)
        #expect(frames[1]["id"] as? String == "0x959930BF")
        #expect(frames[1]["name"] as? String == "battery.soc")
        #expect(frames[1]["crc_ok"] as? Bool == true)
        #expect(frames[1]["value"] as? Double == 0.5)
        #expect(frames[1]["raw"] as? String == HexText.format(try Frame(command: .response, objectID: ObjectID(0x959930BF), payload: Self.halfBytes).encoded(), separator: ""))
        #expect(objects.contains { $0["event"] as? String == "crc_mismatch" && $0["crc_ok"] as? Bool == false })

        let summary = try rct("decode", path, "--summary", "--json")
        let totals = try #require(try json(summary.stdout) as? [String: Int])
        #expect(totals == ["frames": 3, "crc_errors": 1, "skipped_bytes": 4 + 12, "bytes": Self.capture.count])
    }

    @Test("decode: bad hex and missing files are bad input")
    func decodeErrors() throws {
        let bad = try rct("decode", "--hex", input: Data("2B 0G".utf8))
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("invalid hex"))
        #expect(try rct("decode", "/nonexistent/capture.bin").status == 64)
        // What decoded before the bad character is printed in full, before the message:
        // 40 000 frames of hex are several reads and several output blocks.
        let frame = try Frame(command: .response, objectID: ObjectID(0x959930BF), payload: [1, 2, 3, 4]).encoded()
        let hex = String(repeating: HexText.format(frame) + " ", count: 40_000) + "zz"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rct-bad-hex-\(getpid()).txt").path
        try Data(hex.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cut = try rct("decode", "--hex", path)
        #expect(cut.status == 64)
        #expect(cut.stderr.contains("invalid hex"))
        let read = cut.stdout.split(separator: "\n")
        // rct reads 64 KiB at a time and a read with a bad character gives nothing: every
        // frame wholly inside the reads before it is printed (the last output block too).
        let perFrame = HexText.format(frame).utf8.count + 1
        let beforeBadRead = (hex.utf8.count - 1) / 65_536 * 65_536
        #expect(read.count == beforeBadRead / perFrame)
        #expect(read.allSatisfy { $0.hasSuffix("crc ok") })
        #expect(read.last.map { $0.hasPrefix(String(format: "%08X", (read.count - 1) * frame.count)) } == true)
    }

    @Test("decode: lines formatted on worker threads come out in stream order, text and JSON", arguments: [false, true])
    func decodeKeepsOrder(asJSON: Bool) throws {
        // 30 000 frames are many batches for the workers; each line's offset says where it
        // belongs. Values differ from frame to frame, so a line in the wrong place shows.
        let frames = try (0..<30_000).map { index in
            try Frame(command: .response, objectID: ObjectID(0x91617C58),
                      payload: ValueCodec.encode(.float(Float(index)), as: .float)).encoded()
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rct-order-\(getpid())-\(asJSON).bin").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(frames.flatMap { $0 })))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try rct(arguments: ["decode", path] + (asJSON ? ["--json"] : []))
        #expect(result.status == 0)
        #expect(result.lines.count == frames.count)
        var offset = 0
        for (index, line) in result.lines.enumerated() {
            if asJSON {
                let object = try #require(try json(line) as? [String: Any])
                #expect(object["offset"] as? Int == offset && object["value"] as? Double == Double(index), "line \(index)")
            } else {
                #expect(line.hasPrefix(String(format: "%08X", offset)) && line.contains(" = \(NumberText.format(Double(index))) W"),
                        "line \(index): \(line)")
            }
            offset += frames[index].count
        }
    }

    @Test("decode: a line's kept parts stay right over thousands of kinds of frame (plant frames too)")
    func decodeManyKinds() throws {
        // 5000 object ids unknown to the registry (plain or plant reads), twice over, with an
        // answer about battery.soc after every other one: far more kinds than are kept at
        // once, so on the second pass some parts are still kept, some were taken over, and
        // all were dropped and made again several times on the way.
        var frames: [(bytes: [UInt8], line: String)] = []
        let answer = try Frame(command: .response, objectID: ObjectID(0x959930BF), payload: Self.halfBytes).encoded()
        for _ in 0..<2 {
            for index in 0..<5000 {
                let id = UInt32(0x1000_0000) &+ UInt32(index) &* 0x9E37_79B1
                let plant = index % 3 == 0
                let frame = Frame(command: plant ? .plantRead : .read, objectID: ObjectID(id), address: UInt32(index))
                let head = (plant ? "PLANT_READ   " : "READ         ") + String(format: " 0x%08X", id)
                    + (plant ? " @\(index)" : "") + " (unknown object)  crc ok"
                frames.append((try frame.encoded(), head))
                if index % 2 == 0 { frames.append((answer, "RESPONSE      0x959930BF battery.soc = 50.0 %  crc ok")) }
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rct-kinds-\(getpid()).bin").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(frames.flatMap(\.bytes))))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try rct("decode", path)
        #expect(result.status == 0)
        #expect(result.lines.count == frames.count)
        var offset = 0
        for (line, frame) in zip(result.lines, frames) {
            #expect(line == String(format: "%08X  ", offset) + frame.line)
            offset += frame.bytes.count
        }
    }

    @Test("decode streams: constant memory on a large capture")
    func decodeStreams() throws {
        // 40 MB of frames through a pipe; the peak memory of the process stays small.
        let frame = try Frame(command: .response, objectID: ObjectID(0x959930BF), payload: [1, 2, 3, 4]).encoded()
        let block = Data(Array(repeating: frame, count: 100_000).flatMap { $0 })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rct-big-\(getpid()).bin").path
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        for _ in 0..<30 { handle.write(block) }
        try handle.close()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try RCTBinary.run(["decode", path, "--summary"], timeout: 120, prefix: ["/usr/bin/env", "time", "-f", "maxrss=%M"])
        #expect(result.stdout.hasPrefix("3000000 frames, 0 CRC errors"))
        let rss = result.stderr.split(separator: "=").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect((rss ?? Int.max) < 64 * 1024, "peak memory \(rss ?? -1) KiB")
    }

    @Test("monitor: passive, timestamped, saves a capture that decode reads back; Ctrl-C ends it cleanly")
    func monitor() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rct-monitor-\(getpid()).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let monitor = try RCTBinary.start(["monitor", "--host", simulator.endpoint, "--save", path, "--json", "-v"])
        #expect(monitor.wait(until: { $0.stderr.contains("rct: using") }), "monitor connected")
        #expect(try rct("get", "battery.soc", "--host", simulator.endpoint).status == 0)
        #expect(monitor.wait(until: { $0.stdout.contains("RESPONSE") }), "monitor saw the answer")
        monitor.signal(SIGINT)
        #expect(monitor.wait(timeout: 10) == 0)
        let lines = monitor.stdout.split(separator: "\n")
        let objects = try lines.map { try #require(try json(String($0)) as? [String: Any]) }
        // The simulator broadcasts the other client's request and the answer, as the Wi-Fi module does.
        #expect(objects.compactMap { $0["command"] as? String } == ["READ", "RESPONSE"])
        #expect(objects.allSatisfy { $0["time"] is Double })
        #expect(monitor.stderr.contains("2 frames"))
        let decoded = try rct("decode", path, "--summary")
        #expect(decoded.stdout.hasPrefix("2 frames, 0 CRC errors"))
    }

    @Test("Ctrl-C on a serial link ends cleanly: exit 0, port settings restored, lock released")
    func interruptRestoresPort() throws {
        let fake = try FakeInverter.onPseudoTerminal()
        defer { fake.stop() }
        func lflag() -> tcflag_t {
            let fd = open(fake.address, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
            defer { close(fd) }
            var options = termios()
            tcgetattr(fd, &options)
            return options.c_lflag
        }
        // Cook the terminal first, so raw mode during the run is visible.
        let fd = open(fake.address, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        var cooked = termios()
        tcgetattr(fd, &cooked)
        cooked.c_lflag |= tcflag_t(ICANON)
        tcsetattr(fd, TCSANOW, &cooked)
        close(fd)
        let monitor = try RCTBinary.start(["monitor", "--device", fake.address, "-v"])
        #expect(monitor.wait(until: { $0.stderr.contains("rct: using") }), "monitor opened the port")
        #expect(lflag() & tcflag_t(ICANON) == 0, "raw while rct holds the port")
        monitor.signal(SIGINT)
        #expect(monitor.wait(timeout: 10) == 0)
        #expect(lflag() & tcflag_t(ICANON) != 0, "settings restored")
        #expect(try rct("get", "battery.soc", "--device", fake.address).status == 0, "lock released")
    }

    @Test("monitor --duration ends by itself and sends nothing")
    func monitorDuration() throws {
        let fake = try FakeInverter.onPseudoTerminal()
        defer { fake.stop() }
        let started = Date()
        let result = try rct("monitor", "--device", fake.address, "--duration", "0.5")
        #expect(result.status == 0)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(fake.receivedOnceSettled().isEmpty)
    }
}
