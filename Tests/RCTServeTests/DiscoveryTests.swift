import Foundation
import RCTProtocol
import Testing
@testable import RCTServe

@Suite("Home Assistant discovery")
struct DiscoveryTests {
    static let topics = BridgeTopics(name: "SN123")
    static let identity = InverterIdentity(serialNumber: "SN123", model: "PS 6.0", firmware: "1.2.3")

    static func discovery(writes: Bool) -> Discovery {
        Discovery(topics: topics, identity: identity, allowsWrites: writes, expireAfter: 960)
    }

    /// The keys Home Assistant needs for each component to take a config.
    static let required: [String: [String]] = [
        "sensor": ["state_topic"], "binary_sensor": ["state_topic", "payload_on", "payload_off"],
        "number": ["command_topic", "state_topic", "min", "max", "step"], "select": ["command_topic", "state_topic", "options"],
        "switch": ["command_topic", "state_topic", "payload_on", "payload_off"], "button": ["command_topic", "payload_press"],
    ]

    @Test("Each config has its component's required keys, a unique id, the device block and availability", arguments: [false, true])
    func required(writes: Bool) throws {
        let messages = Self.discovery(writes: writes).messages(for: .standard)
        var uniqueIDs: Set<String> = []
        for (topic, payload) in messages {
            let parts = topic.split(separator: "/")
            #expect(parts.count == 5 && parts[0] == "homeassistant" && parts[2] == "rct_SN123" && parts[4] == "config", "\(topic)")
            let component = String(parts[1])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
            for key in ["name", "unique_id", "availability_topic", "device"] + (Self.required[component] ?? ["?"]) {
                #expect(object[key] != nil, "\(topic) lacks \(key)")
            }
            uniqueIDs.insert(try #require(object["unique_id"] as? String))
            let device = try #require(object["device"] as? [String: Any])
            #expect(device["identifiers"] as? [String] == ["rct_SN123"])
            #expect(device["sw_version"] as? String == "1.2.3")
            // Home Assistant before 2024.2 drops a config whose device block has a key it does not know.
            #expect(Set(device.keys).isSubset(of: ["identifiers", "name", "manufacturer", "model", "sw_version"]), "\(device.keys)")
            #expect(object["availability_topic"] as? String == "rct/SN123/availability")
            if !writes { #expect(object["command_topic"] == nil, "\(topic) takes commands while read-only") }
        }
        #expect(uniqueIDs.count == messages.count)
        let components = Set(messages.map { String($0.topic.split(separator: "/")[1]) })
        #expect(components == (writes ? ["sensor", "binary_sensor", "number", "select", "switch", "button"] : ["sensor", "binary_sensor"]))
    }

    @Test("Numbers take min, max and step from the write rules, in the unit shown")
    func numbers() throws {
        let configs = Dictionary(Self.discovery(writes: true).configs(for: .standard).map { ($0.config.unique_id, $0.config) },
                                 uniquingKeysWith: { first, _ in first })
        let socMin = try #require(configs["rct_SN123_soc_min"])
        #expect(socMin.min == 0 && socMin.max == 100 && socMin.step == 1 && socMin.unit_of_measurement == "%")
        let extern = try #require(configs["rct_SN123_battery_power_extern"])
        #expect(extern.min == -6000 && extern.max == 6000 && extern.step == 1 && extern.unit_of_measurement == "W")
        // --battery-power-limit sets the range of the battery power.
        let limited = Discovery(topics: Self.topics, identity: Self.identity, allowsWrites: true, expireAfter: 960, batteryPowerLimit: 8000)
        let limitedExtern = try #require(limited.configs(for: .standard).first { $0.config.unique_id == "rct_SN123_battery_power_extern" })
        #expect(limitedExtern.config.min == -8000 && limitedExtern.config.max == 8000)
        let strategy = try #require(configs["rct_SN123_soc_strategy"])
        #expect(strategy.options == ["SOC", "Constant", "External", "Middle battery voltage", "Internal", "Schedule"])
        let energy = try #require(configs["rct_SN123_energy_grid_feed"])
        #expect(energy.state_class == "total_increasing" && energy.unit_of_measurement == "kWh" && energy.device_class == "energy")
        let state = try #require(configs["rct_SN123_inverter_state"])
        #expect(state.device_class == "enum" && state.options?.contains("Feed in") == true)
        #expect(Set(state.options ?? []).count == state.options?.count)
    }

    @Test("Topics are keyed by the name; the node id keeps only letters, digits and _")
    func topics() {
        let topics = BridgeTopics(discoveryPrefix: "ha", topicPrefix: "home/rct", name: "roof-west")
        #expect(topics.state("battery_soc") == "home/rct/roof-west/state/battery_soc")
        #expect(topics.command("soc_min") == "home/rct/roof-west/set/soc_min")
        #expect(topics.config("sensor", "battery_soc") == "ha/sensor/rct_roof_west/battery_soc/config")
        #expect(topics.homeAssistantStatus == "ha/status")
    }
}

@Suite("Energy totals never go down")
struct MonotonicGuardTests {
    @Test("A smaller value is held back; equal and larger pass; keys are apart")
    func guardsEachKey() {
        var energy = MonotonicGuard()
        let admitted = [(100.0, "a"), (100, "a"), (99.9, "a"), (5, "b"), (101, "a"), (.nan, "a")].map { value, key in
            energy.admit(value, for: key)
        }
        #expect(admitted == [true, true, false, true, true, false])
        #expect(energy.highest(of: "a") == 101)
    }
}
