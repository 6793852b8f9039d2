import Foundation
import RCTProtocol
import RCTTestSupport
import Testing

@Suite("rct set", .serialized)
struct SetCommandTests {
    @Test("A valid value is written once, read back and reported as verified", arguments: [false, true])
    func verifiedWrite(serial: Bool) throws {
        let fake = serial ? try FakeInverter.onPseudoTerminal() : try FakeInverter.onLoopback()
        defer { fake.stop() }
        let link = serial ? "--device=\(fake.address)" : "--host=\(fake.address)"
        let result = try rct(link, "set", "power_mng.soc_strategy", "extern", "--json")
        #expect(result.status == 0)
        let outcome = try #require(try json(result.stdout) as? [String: Any])
        #expect(outcome["name"] as? String == "power_mng.soc_strategy")
        #expect(outcome["id"] as? String == "0xF168B748")
        #expect(outcome["old"] as? Int == 4)
        #expect(outcome["new"] as? Int == 2)
        #expect(outcome["written"] as? Bool == true)
        #expect(outcome["verified"] as? Bool == true)
        #expect(result.stderr.contains("not flashed") || result.stderr.contains("RAM only"))
        let writes = fake.received.filter { $0.command == .write }
        #expect(writes == [Frame(command: .write, objectID: ObjectID(0xF168B748), payload: [2])])
    }

    @Test("An equal value is not written unless --force")
    func unchanged() throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let same = try rct("set", "power_mng.soc_min", "0.07", "--host", fake.address)
        #expect(same.status == 0)
        #expect(same.stdout.contains("unchanged"))
        #expect(fake.receivedOnceSettled().allSatisfy { $0.command == .read })
        let forced = try rct("set", "power_mng.soc_min", "0.07", "--force", "--json", "--host", fake.address)
        #expect(forced.status == 0)
        #expect((try json(forced.stdout) as? [String: Any])?["written"] as? Bool == true)
        #expect(fake.received.filter { $0.command == .write }.count == 1)
    }

    @Test("Negative numbers are values, not options")
    func negative() throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let result = try rct("--host", fake.address, "set", "power_mng.battery_power_extern", "-6000")
        #expect(result.status == 0)
        #expect(result.stdout == "power_mng.battery_power_extern: 0 -> -6000, written and verified\n")
    }

    @Test("Invalid values and unwritable names exit 64 and send not a single byte", arguments: [
        ["power_mng.soc_strategy", "7"], ["power_mng.soc_min", "1.5"], ["power_mng.soc_min", "0.075"],
        ["power_mng.soc_min", "nan"], ["power_mng.soc_min", "inf"], ["power_mng.battery_power_extern", "abc"],
        ["power_mng.use_grid_power_enable", "maybe"], ["battery.soc", "0.5"], ["com_service", "5"],
        ["battery.sco", "1"], ["power_mng.soc_strategy", "ex"],
    ])
    func refused(arguments: [String]) throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let result = try rct(arguments: ["set"] + arguments + ["--host", fake.address])
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(fake.receivedOnceSettled().isEmpty)
    }

    @Test("soc_min above soc_max is refused before any write; soc_charge at soc_min warns")
    func crossField() throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        let refused = try rct("set", "power_mng.soc_min", "0.99", "--host", fake.address)
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("must not exceed power_mng.soc_max"))
        #expect(fake.receivedOnceSettled().allSatisfy { $0.command == .read })
        let warned = try rct("set", "power_mng.soc_charge", "0.07", "--host", fake.address)
        #expect(warned.status == 0)
        #expect(warned.stderr.contains("warning: power_mng.soc_charge (0.07) should stay below power_mng.soc_min"))
    }

    @Test("--dry-run prints the exact frame and opens no link")
    func dryRun() throws {
        let result = try rct("set", "power_mng.soc_strategy", "2", "--dry-run", "--device", "/dev/ttyDOESNOTEXIST")
        #expect(result.status == 0)
        #expect(result.stdout == "would send WRITE power_mng.soc_strategy = 2 (External): 2B 02 05 F1 68 B7 48 02 7A 40\n")
        let asJSON = try rct("set", "power_mng.soc_strategy", "2", "--dry-run", "--json")
        #expect((try json(asJSON.stdout) as? [String: Any])?["frame"] as? String == "2B0205F168B748027A40")
    }

    @Test("A write the device does not apply fails verification with exit 65")
    func verificationFails() throws {
        let fake = try FakeInverter.onLoopback(.ignoresWrites)
        defer { fake.stop() }
        let result = try rct("set", "power_mng.soc_strategy", "2", "--host", fake.address, "--json")
        #expect(result.status == 65)
        #expect(result.stderr.contains("verification failed: wrote power_mng.soc_strategy = 2 (External) but read back 4 (Internal)"))
        #expect((try json(result.stdout) as? [String: Any])?["verified"] as? Bool == false)
        #expect(fake.received.filter { $0.command == .write }.count == 1)
    }
}
