import RCTProtocol
import Testing
@testable import RCTServe

@Suite("MQTT command payloads")
struct CommandPayloadTests {
    static func entry(_ key: String) -> Catalogue.Entry {
        guard let entry = Catalogue.standard.entry(key: key) else { preconditionFailure("no \(key)") }
        return entry
    }

    static func command(_ key: String, _ text: String) -> Result<Value, Refusal> {
        SettingValue.command(Array(text.utf8), for: entry(key))
    }

    @Test("Valid commands give the value rct set would write", arguments: [
        ("soc_min", "30", Value.float(0.30)), ("soc_min", "30.0", .float(0.30)), ("soc_min", " 7 ", .float(0.07)),
        ("soc_min", "30%", .float(0.30)), ("soc_max", "97", .float(0.97)), ("battery_power_extern", "-3000", .float(-3000)),
        ("battery_power_extern", "-3000.0", .float(-3000)), ("soc_charge_power", "100", .float(100)),
        ("soc_strategy", "External", .integer(2)), ("soc_strategy", "Internal", .integer(4)),
        ("use_grid_power", "ON", .bool(true)), ("use_grid_power", "OFF", .bool(false)),
    ])
    func valid(key: String, payload: String, expected: Value) {
        #expect(Self.command(key, payload) == .success(expected))
    }

    @Test("Bad commands are refused with a reason", arguments: [
        ("soc_min", "abc", "not a number"), ("soc_min", "101", "0..100 %"), ("soc_min", "-1", "0..100 %"),
        ("soc_min", "30.5", "decimals"), ("soc_min", "", "empty"), ("soc_min", "   ", "empty"),
        ("soc_min", "nan", "not a number"), ("soc_min", "1e3", "not a number"),
        ("battery_power_extern", "7000", "-6000"), ("battery_power_extern", "12.5", "whole"),
        ("soc_strategy", "Turbo", "Turbo"), ("soc_strategy", "9", "9"), ("use_grid_power", "maybe", "maybe"),
        ("soc_min", "{\"value\": 30}", "not a number"),
    ])
    func refused(key: String, payload: String, reason: String) throws {
        guard case let .failure(refusal) = Self.command(key, payload) else {
            Issue.record("\(key) \(payload) was accepted")
            return
        }
        #expect(refusal.description.lowercased().contains(reason.lowercased()), "\(refusal)")
        // The input is quoted as it was sent: no % added that the sender did not write.
        #expect(refusal.description.contains("got \(payload.trimmingCharacters(in: .whitespaces).isEmpty ? "" : payload)")
                || payload.trimmingCharacters(in: .whitespaces).isEmpty, "\(refusal)")
        #expect(!refusal.description.contains("\(payload)%") || payload.isEmpty, "\(refusal)")
    }

    @Test("A huge payload and bytes that are not UTF-8 are refused unread")
    func rawPayloads() throws {
        let huge = [UInt8](repeating: 0x31, count: 100_000)
        #expect(SettingValue.command(huge, for: Self.entry("soc_min")) == .failure(Refusal("payload of 100000 bytes refused; at most 256")))
        #expect(SettingValue.command([0xFF, 0xFE, 0x31], for: Self.entry("soc_min")) == .failure(Refusal("payload is not UTF-8 text")))
    }

    @Test("States: percentages for fractions, kWh to the watt-hour, labels, ON and OFF")
    func states() {
        let discovery = Discovery(topics: BridgeTopics(name: "x"), identity: InverterIdentity(serialNumber: "x", model: nil, firmware: nil),
                                  allowsWrites: true, expireAfter: 960)
        func state(_ key: String, _ value: Value) -> String? {
            let entry = Self.entry(key)
            return SettingValue.state(value, of: entry, component: discovery.component(of: entry))
        }
        #expect(state("battery_soc", .float(0.6201432)) == "62.0")
        #expect(state("energy_grid_feed", .float(1234567.5)) == "1234.568")
        #expect(state("battery_power", .float(-1234.56)) == "-1235")
        #expect(state("battery_voltage", .float(412.53)) == "412.5")
        #expect(state("inverter_state", .integer(13)) == "Feed in")
        #expect(state("soc_strategy", .integer(2)) == "External")
        #expect(state("fault_0", .integer(0)) == "OFF")
        #expect(state("fault_0", .integer(0x400)) == "ON")
        #expect(state("use_grid_power", .bool(true)) == "ON")
        #expect(state("battery_soc", .float(.nan)) == nil)
    }

    @Test("The hold switch is on only while the strategy is External with 0 W")
    func holdState() {
        #expect(HomeAssistantBridge.holdState([WriteRules.socStrategyID: .integer(2), WriteRules.batteryPowerExternID: .float(0)]) == "ON")
        #expect(HomeAssistantBridge.holdState([WriteRules.socStrategyID: .integer(2), WriteRules.batteryPowerExternID: .float(-3000)]) == "OFF")
        #expect(HomeAssistantBridge.holdState([WriteRules.socStrategyID: .integer(4), WriteRules.batteryPowerExternID: .float(0)]) == "OFF")
        #expect(HomeAssistantBridge.holdState([WriteRules.socStrategyID: .integer(2)]) == nil)
    }
}

@Suite("MQTT battery actions")
struct ActionRequestTests {
    static func charge(_ text: String) -> Result<ActionRequest, Refusal> { ActionRequest.charge(Array(text.utf8)) }

    @Test("The hold switch takes ON and OFF; ON has the default time limit; the page's JSON sets its own")
    func hold() {
        #expect(ActionRequest.hold(Array("ON".utf8)) == .success(.hold(duration: 7200)))
        #expect(ActionRequest.hold(Array("off".utf8)) == .success(.stop))
        #expect(ActionRequest.hold(Array("{\"max_duration\": \"10m\"}".utf8)) == .success(.hold(duration: 600)))
        #expect(ActionRequest.hold(Array("{}".utf8)) == .success(.hold(duration: 7200)))
        for (payload, reason) in [("1", "ON or OFF"), ("{\"max_duration\": \"13h\"}", "at most 12h"),
                                  ("{\"max_duration\": \"soon\"}", "90m"), ("{\"power\": 3000}", "unknown option 'power'"),
                                  ("{\"max_duration\": ", "JSON object")] {
            guard case let .failure(refusal) = ActionRequest.hold(Array(payload.utf8)) else {
                Issue.record("\(payload) was taken")
                continue
            }
            #expect(refusal.description.contains(reason), "\(payload): \(refusal)")
        }
    }

    @Test("Valid charge commands", arguments: [
        ("{\"power\": 3000}", ActionRequest.charge(power: 3000, targetSOC: nil, duration: 7200)),
        ("{\"power\": 3000, \"target_soc\": 0.8, \"max_duration\": \"90m\"}", .charge(power: 3000, targetSOC: 0.8, duration: 5400)),
        ("{\"power\": 1, \"target_soc\": \"80%\", \"max_duration\": 43200}", .charge(power: 1, targetSOC: 0.8, duration: 43200)),
        ("OFF", .stop),
    ])
    func valid(payload: String, expected: ActionRequest) {
        #expect(Self.charge(payload) == .success(expected))
    }

    @Test("Bad charge commands are refused with a reason", arguments: [
        ("", "empty"), ("[1, 2]", "JSON object"), ("\"3000\"", "JSON object"), ("3000", "JSON object"), ("{", "JSON object"),
        ("{\"power\": 3000, \"turbo\": true}", "unknown option 'turbo'"), ("{}", "power is missing"),
        ("{\"power\": \"lots\"}", "power is missing or not a number"), ("{\"power\": 0}", "1 to 6000"),
        ("{\"power\": 6001}", "1 to 6000"), ("{\"power\": 10.5}", "whole"), ("{\"power\": 3000, \"target_soc\": 1.5}", "up to 1"),
        ("{\"power\": 3000, \"target_soc\": 0}", "more than 0"), ("{\"power\": 3000, \"max_duration\": \"13h\"}", "at most 12h"),
        ("{\"power\": 3000, \"max_duration\": -5}", "max_duration"), ("{\"power\": 3000, \"max_duration\": \"soon\"}", "max_duration"),
        ("{\"power\": {\"watts\": 3000}}", "JSON object"),
    ])
    func refused(payload: String, reason: String) {
        guard case let .failure(refusal) = Self.charge(payload) else {
            Issue.record("\(payload) was accepted")
            return
        }
        #expect(refusal.description.contains(reason), "\(refusal)")
    }

    @Test("A huge charge payload is refused unread")
    func huge() {
        let payload = Array(("{\"power\": 3000, \"x\": \"" + String(repeating: "a", count: 1_000_000) + "\"}").utf8)
        #expect(ActionRequest.charge(payload) == .failure(Refusal("payload of \(payload.count) bytes refused; at most 256")))
    }
}

@Suite("MQTT broker URL")
struct MQTTSettingsTests {
    @Test("URLs that name a broker", arguments: [
        ("mqtt://broker", MQTTSettings(host: "broker", port: 1883)),
        ("mqtt://ha@10.0.0.2:1884", MQTTSettings(host: "10.0.0.2", port: 1884, username: "ha")),
        ("mqtts://broker.example", MQTTSettings(host: "broker.example", port: 8883, usesTLS: true)),
        ("mqtt://[::1]:1883/", MQTTSettings(host: "::1", port: 1883)),
    ])
    func valid(url: String, expected: MQTTSettings) {
        #expect(MQTTSettings.parse(url) == .success(expected))
    }

    @Test("URLs that do not", arguments: ["http://broker", "mqtt://", "mqtt://user:secret@broker", "mqtt://broker:0",
                                          "mqtt://broker:99999", "mqtt://broker:x", "broker"])
    func invalid(url: String) {
        guard case .failure = MQTTSettings.parse(url) else {
            Issue.record("\(url) was accepted")
            return
        }
    }
}
