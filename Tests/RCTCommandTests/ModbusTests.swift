import Foundation
import RCTProtocol
import RCTTestSupport
import Testing

/// pymodbus serving the register map on a pseudo-terminal, behind a fault-injecting relay
/// (Tests/Oracle/modbus_peer.py).
final class ModbusPeer {
    let process: ChildProcess
    let path: String
    let directory: URL
    /// The raw words served, by register name.
    let served: [String: [Int]]

    init(fault: String = "none", address: Int = 1, delay: Double = 0) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rct-modbus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let environment = ProcessInfo.processInfo.environment
        let python = environment["RCT_PYTHON"] ?? RCTBinary.packageRoot + "/.venv/bin/python"
        process = try ChildProcess(python, ["-W", "ignore", RCTBinary.packageRoot + "/Tests/Oracle/modbus_peer.py",
                                            "--map", RCTBinary.packageRoot + "/Registry/modbus.tsv",
                                            "--expect", directory.appendingPathComponent("served.json").path,
                                            "--log", directory.appendingPathComponent("requests.log").path,
                                            "--fault", fault, "--address", "\(address)", "--delay", "\(delay)"],
                                   environment: environment)
        path = try #require(process.firstLine(timeout: 30), "the Modbus peer did not start: \(process.stderr)")
        let data = try Data(contentsOf: directory.appendingPathComponent("served.json"))
        served = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [Int]])
        // pymodbus opens its side of the line after printing; give it a moment.
        Thread.sleep(forTimeInterval: 1)
    }

    /// The requests that reached the peer, as hex lines.
    var requests: [String] {
        ((try? String(contentsOf: directory.appendingPathComponent("requests.log"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    deinit {
        process.signal(SIGTERM)
        _ = process.wait(timeout: 5)
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite("Modbus RTU on the RS-485 terminal, against pymodbus", .serialized)
struct ModbusTests {
    /// What rct must say for `register` given the words served: the value in the registry
    /// object's scale (a fraction for the state of charge), text trimmed.
    static func expected(_ register: ModbusRegister, _ words: [Int]) -> Any {
        switch register.layout {
        case .ascii:
            let bytes = words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }.filter { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        case .int16: return Double(Int16(bitPattern: UInt16(words[0]))) * register.scale
        case .uint16: return Double(words[0]) * register.scale
        case .uint32: return Double(words[0] << 16 | words[1]) * register.scale
        }
    }

    @Test("Every register of the map reads with the right value, unit and scale")
    func everyRegister() throws {
        let peer = try ModbusPeer()
        let map = ModbusRegisterMap.standard
        #expect(map.registers.count == peer.served.count)
        let result = try rct(arguments: ["--protocol", "modbus", "--device", peer.path, "get", "--json"] + map.registers.map(\.name))
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try jsonObjects(result.stdout)
        #expect(objects.count == map.registers.count)
        for (register, object) in zip(map.registers, objects) {
            #expect(object["name"] as? String == register.name)
            #expect(object["register"] as? Int == Int(register.address))
            let words = try #require(peer.served[register.name])
            switch Self.expected(register, words) {
            case let text as String:
                #expect(object["value"] as? String == text, "\(register.name)")
            case let number as Double:
                let got = try #require((object["value"] as? NSNumber)?.doubleValue, "\(register.name): \(object)")
                #expect(abs(got - number) <= abs(number) * 1e-6 + 1e-9, "\(register.name): \(got) vs \(number)")
            default: Issue.record("no expectation for \(register.name)")
            }
            #expect(object["unit"] as? String == register.unit, "\(register.name)")
        }
        // The same in text: the state of charge as a percentage, the state with its label.
        let text = try rct("--protocol", "modbus", "--device", peer.path, "get", "battery.soc", "prim_sm.state", "modbus.model")
        #expect(text.stdout == "battery.soc 55.2 %\nprim_sm.state 11 (Battery Passive (inverter not connected to grid, powered by battery))\nmodbus.model RCT Power Storage DC 10.0\n")
        #expect(peer.requests.count == map.registers.count + 3)

        let traced = try rct("--protocol", "modbus", "--device", peer.path, "--trace", "get", "battery.soc")
        let lines = traced.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(traced.stderr)")
        #expect(lines.first?.hasSuffix("> modbus slave 1 PDU 03 9C 8B 00 01 (read 1 holding register from 40075: battery.soc)") == true)
        #expect(lines.last?.hasSuffix("< modbus slave 1 data 02 28 (battery.soc = 55.2 %)") == true)
    }

    @Test("Faults give one clear line and a documented exit code", arguments: [
        ("exception:2", 76, "exception 2 (illegal data address)"),
        ("exception:6", 76, "exception 6 (slave device busy)"),
        ("exception:4", 76, "exception 4 (slave device failure)"),
        ("crc", 76, "failed its CRC check"),
        ("wrong-slave", 76, "another slave"),
        ("silent", 75, "no Modbus answer from slave 1"),
    ])
    func faults(fault: String, status: Int32, message: String) throws {
        let peer = try ModbusPeer(fault: fault)
        let result = try rct("--protocol", "modbus", "--device", peer.path, "--timeout", "1", "get", "battery.soc", timeout: 20)
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("A slave at another address stays silent; --modbus-address reaches it")
    func otherAddress() throws {
        let peer = try ModbusPeer(address: 7)
        let silent = try rct("--protocol", "modbus", "--device", peer.path, "--timeout", "1", "get", "battery.soc")
        #expect(silent.status == 75, "\(silent.stderr)")
        let reached = try rct("--protocol", "modbus", "--modbus-address", "7", "--device", peer.path, "get", "battery.soc")
        #expect(reached.stdout == "battery.soc 55.2 %\n", "\(reached.stderr)")
        // A pseudo-terminal has no RS-485 mode: one clear line, exit 69, nothing sent.
        let before = peer.requests.count
        let rs485 = try rct("--protocol", "modbus", "--modbus-address", "7", "--device", peer.path, "--rs485", "get", "battery.soc")
        #expect(rs485.status == 69)
        #expect(rs485.stderr.contains("RS-485 mode is not supported by this adapter"), "\(rs485.stderr)")
        #expect(peer.requests.count == before)
    }

    @Test("A slow slave is waited for within --timeout, and given up on after it")
    func slowSlave() throws {
        let peer = try ModbusPeer(fault: "slow", delay: 0.8)
        let waited = try rct("--protocol", "modbus", "--device", peer.path, "--timeout", "3", "get", "battery.soc")
        #expect(waited.stdout == "battery.soc 55.2 %\n", "\(waited.stderr)")
        let late = try rct("--protocol", "modbus", "--device", peer.path, "--timeout", "0.3", "get", "battery.soc")
        #expect(late.status == 75, "\(late.stderr)")
    }

    @Test("Writes are refused before anything is sent, with exit 64", arguments: [
        ["set", "power_mng.soc_strategy", "2"], ["charge", "--power", "2000"], ["hold"], ["reserve", "--min", "0.3"],
        ["reserve", "--min", "0.3", "--dry-run"],
    ])
    func writesRefused(command: [String]) throws {
        let peer = try ModbusPeer()
        let result = try rct(arguments: ["--protocol", "modbus", "--device", peer.path] + command)
        #expect(result.status == 64)
        #expect(result.stderr.contains("not possible over Modbus"), "\(result.stderr)")
        #expect(result.stderr.contains("--host"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(peer.requests.isEmpty, "the peer saw \(peer.requests)")
    }

    @Test("The config file's protocol = modbus applies to its device; writes are refused there too")
    func configFile() throws {
        let peer = try ModbusPeer()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("rct-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("rct"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try "device = \(peer.path)\nprotocol = modbus\n".write(to: home.appendingPathComponent("rct/config"), atomically: true, encoding: .utf8)
        let environment = ["XDG_CONFIG_HOME": home.path]
        let read = try rct("get", "battery.soc", environment: environment)
        #expect(read.stdout == "battery.soc 55.2 %\n", "\(read.stderr)")
        let write = try rct("set", "power_mng.soc_strategy", "2", environment: environment)
        #expect(write.status == 64)
        #expect(peer.requests.count == 1)
    }

    @Test("Bad Modbus input: unknown register, history options, monitor, --host")
    func badInput() throws {
        let unknown = try rct("--protocol", "modbus", "--device", "/dev/null", "get", "modbus.nothing")
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("rct list --protocol modbus"))
        let address = try rct("--protocol", "modbus", "--modbus-address", "300", "--device", "/dev/null", "get", "battery.soc")
        #expect(address.status == 64)
        let host = try rct("--protocol", "modbus", "--host", "127.0.0.1", "get", "battery.soc")
        #expect(host.status == 64)
        #expect(host.stderr.contains("--device"))
        let monitor = try rct("--protocol", "modbus", "--device", "/dev/null", "monitor")
        #expect(monitor.status == 64)
        let list = try rct("list", "--protocol", "modbus", "soc")
        #expect(list.stdout == "40075  battery.soc [%]\n")
    }

    @Test("probe tells the RCT protocol (rct simulator --pty) from Modbus (pymodbus), reading only")
    func probe() throws {
        let simulator = try SimulatorProcess(["--pty"])
        defer { simulator.stop() }
        let pty = try #require(simulator.ptyPath)
        let rctPeer = try rct("probe", "--device", pty, "--json")
        #expect(rctPeer.status == 0, "\(rctPeer.stderr)")
        let rctTries = try jsonObjects(rctPeer.stdout)
        #expect(rctTries.first?["protocol"] as? String == "rct")
        #expect(rctTries.first?["answered"] as? Bool == true)
        #expect(rctTries.first?["options"] as? String == "--device \(pty) --baud 115200")
        #expect(rctTries.last?["protocol"] as? String == "modbus")
        #expect(rctTries.last?["answered"] as? Bool == false)

        let peer = try ModbusPeer()
        let modbusPeer = try rct("probe", "--device", peer.path)
        #expect(modbusPeer.status == 0, "\(modbusPeer.stderr)")
        #expect(modbusPeer.stdout == "Modbus RTU answers: rct --protocol modbus --device \(peer.path)\n")
        #expect(modbusPeer.stderr.contains("register 40075 = 55.2 %"))
        // Five RCT reads of inverter_sn (never a write), then one Modbus read.
        let requests = peer.requests
        #expect(requests.count == 6)
        #expect(requests.dropLast().allSatisfy { $0 == "2b01047924abd9b262" }, "\(requests)")
        #expect(requests.last == "01039c8b0001da70")

        let silent = try ModbusPeer(fault: "silent")
        let nothing = try rct("probe", "--device", silent.path, "--timeout", "0.2")
        #expect(nothing.status == 75)
        #expect(nothing.stdout.hasPrefix("nothing answered"))
    }
}
