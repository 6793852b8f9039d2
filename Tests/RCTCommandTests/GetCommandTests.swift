import Foundation
import RCTTestSupport
import Testing

@Suite("rct get", .serialized)
struct GetCommandTests {
    @Test("Text output: one line per object with value, label and unit")
    func textOutput() throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let result = try rct("--host=\(fake.address)", "get", "battery.soc", "power_mng.soc_strategy", "0xEBC62737")
        #expect(result.status == 0)
        #expect(result.lines == ["battery.soc 55.0 %", "power_mng.soc_strategy 4 (Internal)", "android_description rct simulator"])
    }

    @Test("JSON output: one element per object in the order asked, with the documented keys")
    func jsonOutput() throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let result = try rct("get", "power_mng.soc_strategy", "battery.soc", "--host", fake.address, "--json")
        #expect(result.status == 0)
        let items = try jsonObjects(result.stdout)
        #expect(items.count == 2)
        #expect(items[0]["name"] as? String == "power_mng.soc_strategy")
        #expect(items[0]["id"] as? String == "0xF168B748")
        #expect(items[0]["type"] as? String == "enum")
        #expect(items[0]["value"] as? Int == 4)
        #expect(items[0]["label"] as? String == "Internal")
        #expect(items[0]["unit"] is NSNull)
        #expect(items[1]["name"] as? String == "battery.soc")
        #expect((items[1]["value"] as? NSNumber)?.floatValue == 0.55)
        #expect(items[1]["unit"] as? String == "%")
        #expect(items[1]["label"] == nil)
    }

    @Test("An object that does not answer gets an error key; the others are still read; exit 75")
    func partialFailure() throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let result = try rct("get", "battery.soc", "0x00000001", "inverter_sn", "--host", fake.address, "--json",
                             "--timeout", "0.2", "--retries", "0")
        #expect(result.status == 75)
        let items = try jsonObjects(result.stdout)
        #expect(items.count == 3)
        #expect(items[0]["value"] != nil)
        #expect(items[1]["value"] == nil)
        #expect((items[1]["error"] as? String)?.contains("no answer") == true)
        #expect(items[2]["value"] as? String == "SIM0000000000001")
    }

    @Test("An unknown name exits 64 with a suggestion, and nothing is sent")
    func unknownName() throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let result = try rct("--host", fake.address, "get", "battery.soc", "battery.sco")
        #expect(result.status == 64)
        #expect(result.stderr.contains("did you mean 'battery.soc'"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(fake.receivedOnceSettled().isEmpty)
    }

    @Test("Timeseries take --at and --since and come back as arrays")
    func history() throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let at = try rct("get", "logger.minutes_soc_log_ts", "--at", "2024-06-01T12:00", "--json", "--host", fake.address)
        #expect(at.status == 0)
        let value = try #require(try jsonObjects(at.stdout).first?["value"] as? [String: Any])
        #expect(value["requested"] as? String == "2024-06-01T12:00:00Z")
        #expect((value["samples"] as? [Any])?.count == 5)
        let since = try rct("get", "logger.minutes_soc_log_ts", "--since", "2024-06-01T11:00", "--at", "2024-06-01T12:00",
                            "--host", fake.address)
        #expect(since.status == 64, "--at and --since together are refused")
        let events = try rct("get", "0x6F3876BC", "--json", "--host", fake.address)
        #expect(events.status == 0)
        let table = try #require(try jsonObjects(events.stdout).first?["value"] as? [String: Any])
        let rows = try #require(table["events"] as? [[String: Any]])
        #expect(rows.first?["name"] as? String == "power_mng.soc_strategy")
        let bad = try rct("get", "logger.minutes_soc_log_ts", "--at", "yesterday", "--host", fake.address)
        #expect(bad.status == 64)
    }

    @Test("Exit 65 for answers that are always cut short")
    func malformed() throws {
        let fake = try FakeInverter.onLoopback(.cutShort)
        defer { fake.stop() }
        let result = try rct("get", "battery.soc", "--host", fake.address, "--timeout", "0.3", "--retries", "1")
        #expect(result.status == 65)
        #expect(result.stderr.contains("malformed answer"))
    }

    @Test("Exit 69 for an unreachable host or a missing port; exit 75 for a silent device")
    func unavailable() throws {
        let closed = try FakeInverter.onLoopback()
        let address = closed.address
        closed.stop()
        #expect(try rct("get", "battery.soc", "--host", address).status == 69)
        #expect(try rct("get", "battery.soc", "--device", "/dev/ttyDOESNOTEXIST").status == 69)
        let silent = try FakeInverter.onPseudoTerminal(.silent)
        defer { silent.stop() }
        let result = try rct("get", "battery.soc", "--device", silent.address, "--timeout", "0.2", "--retries", "1")
        #expect(result.status == 75)
        // The object is named once.
        #expect(result.stderr.hasPrefix("rct: no answer for battery.soc after 2 attempts"), "\(result.stderr)")
    }

    @Test("Over a serial line (pseudo-terminal) too, with the trace on stderr")
    func serialWithTrace() throws {
        let fake = try FakeInverter.onPseudoTerminal(.garbage)
        defer { fake.stop() }
        let result = try rct("--device", fake.address, "--trace", "get", "battery.soc")
        #expect(result.status == 0)
        #expect(result.stdout == "battery.soc 55.0 %\n")
        // The time in front depends on the machine; the request itself does not.
        #expect(result.stderr.contains(" > 2B 01 04 95 99 30 BF 0D 65"))
        #expect(result.stderr.contains("RESPONSE      0x959930BF battery.soc = 55.0 %"))
        #expect(result.stderr.contains("skipped"))
    }

    @Test("A dead serial port falls back to TCP with a notice")
    func fallbackFromMissingPort() throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let result = try rct("--device", "/dev/ttyDOESNOTEXIST", "--host", fake.address, "get", "battery.soc")
        #expect(result.status == 0)
        #expect(result.stdout == "battery.soc 55.0 %\n")
        #expect(result.stderr.contains("notice: no serial port at /dev/ttyDOESNOTEXIST"))
    }

    @Test("A silent serial port falls back to TCP after its first request")
    func fallbackFromSilentPort() throws {
        let serial = try FakeInverter.onPseudoTerminal(.silent)
        defer { serial.stop() }
        let network = try FakeInverter.onLoopback()
        defer { network.stop() }
        let result = try rct("--device", serial.address, "--host", network.address, "get", "battery.soc", "inverter_sn",
                             "--timeout", "0.3", "--retries", "0")
        #expect(result.status == 0)
        #expect(result.lines == ["battery.soc 55.0 %", "inverter_sn SIM0000000000001"])
        #expect(result.stderr.contains("gave no answer"))
        #expect(!serial.received.isEmpty)
    }

    @Test("Without options: RCT_HOST, then the config file, else a clear error listing what was tried")
    func implicitLink() throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let viaEnvironment = try rct("get", "battery.soc", environment: ["RCT_HOST": fake.address])
        #expect(viaEnvironment.status == 0)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rct-config-\(getpid())")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("rct"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "# test\nhost = \(fake.address)\n".write(to: directory.appendingPathComponent("rct/config"), atomically: true, encoding: .utf8)
        let viaConfig = try rct("get", "battery.soc", environment: ["XDG_CONFIG_HOME": directory.path])
        #expect(viaConfig.status == 0)
        try "colour = blue\n".write(to: directory.appendingPathComponent("rct/config"), atomically: true, encoding: .utf8)
        let badConfig = try rct("get", "battery.soc", environment: ["XDG_CONFIG_HOME": directory.path])
        #expect(badConfig.status == 64)
        // With no USB adapters (an empty umockdev test bed) there is nothing to pick.
        let none = try RCTBinary.run(["get", "battery.soc"], prefix: ["/usr/bin/umockdev-run", "--"])
        #expect(none.status == 69)
        #expect(none.stderr.contains("tried --device/--host (not given), RCT_DEVICE/RCT_HOST (not set)"))
    }

    @Test("Bad option values are bad input", arguments: [
        ["get", "battery.soc", "--timeout", "0"], ["get", "battery.soc", "--retries", "-1"], ["get"],
        ["get", "battery.soc", "--host", "a b"], ["get", "battery.soc", "--baud", "12", "--device", "/dev/null"],
        ["get", "battery.soc", "--simulator", "--host", "x"], ["get", "battery.soc", "--parity", "mark"],
    ])
    func badOptions(arguments: [String]) throws {
        let result = try rct(arguments: arguments)
        #expect(result.status == 64)
        #expect(!result.stderr.isEmpty)
    }
}

@Suite("Fractions read as percentages")
struct FractionOutputTests {
    static let fractions = ["battery.soc", "battery.soc_target", "battery.soh", "power_mng.soc_charge", "power_mng.soc_max",
                            "power_mng.soc_min", "power_mng.soc_min_island", "power_mng.soc_target_set", "buf_v_control.power_reduction"]

    @Test("Text shows a fraction as a percentage with one decimal; JSON keeps the fraction and says so", arguments: fractions)
    func percentage(name: String) throws {
        let text = try rct("--simulator", "get", name)
        #expect(text.status == 0)
        let line = try #require(text.lines.first)
        let parts = line.split(separator: " ")
        #expect(parts.count == 3 && parts[0] == Substring(name) && parts[2] == "%", "\(line)")
        let json = try jsonObjects(try rct("--simulator", "get", name, "--json").stdout)
        let value = try #require((json.first?["value"] as? NSNumber)?.doubleValue)
        #expect((0...1).contains(value))
        #expect(json.first?["scale"] as? String == "fraction")
        // The text is the fraction times 100 with one decimal.
        let shown = try #require(Double(String(parts[1])))
        #expect(abs(shown - value * 100) <= 0.05 + 1e-6, "\(line) for \(value)")
        #expect(parts[1].split(separator: ".").last?.count == 1)
    }

    @Test("Timeseries of fractions are shown as percentages too; other objects have no scale member")
    func seriesAndOthers() throws {
        let series = try rct("--simulator", "get", "logger.minutes_soc_log_ts", "--at", "2024-06-01T12:00")
        #expect(series.stdout.hasPrefix("logger.minutes_soc_log_ts 2024-06-01T11:55:00Z=55.0 "))
        #expect(series.stdout.hasSuffix(" %\n"))
        let voltage = try jsonObjects(try rct("--simulator", "get", "battery.voltage", "--json").stdout)
        #expect(voltage.first?["scale"] == nil)
    }

    @Test("set takes a percentage for a fraction and says it as one")
    func setPercentage() throws {
        let result = try rct("--simulator", "set", "power_mng.soc_min", "30%")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "power_mng.soc_min: 7 % -> 30 %, written and verified\n")
    }
}
