import FoundationEssentials
import RCTProtocol

/// The topics of one inverter's bridge, all keyed by its `--name`.
public struct BridgeTopics: Sendable, Equatable {
    /// Home Assistant's discovery prefix (`homeassistant`).
    public let discoveryPrefix: String
    /// The prefix of our own topics (`rct`).
    public let topicPrefix: String
    /// The inverter's name in topics and unique ids (its serial number unless told otherwise).
    public let name: String

    /// Topics for inverter `name`.
    public init(discoveryPrefix: String = "homeassistant", topicPrefix: String = "rct", name: String) {
        self.discoveryPrefix = discoveryPrefix
        self.topicPrefix = topicPrefix
        self.name = name
    }

    /// Where every topic of this inverter starts.
    public var base: String { "\(topicPrefix)/\(name)" }
    /// `online` or `offline`, retained; also the last will.
    public var availability: String { "\(base)/availability" }
    /// One JSON object per command outcome and per action step.
    public var result: String { "\(base)/result" }
    /// Home Assistant says `online` here when it starts.
    public var homeAssistantStatus: String { "\(discoveryPrefix)/status" }
    /// The retained state of an entity.
    public func state(_ key: String) -> String { "\(base)/state/\(key)" }
    /// Where Home Assistant sends a new value for a setting.
    public func command(_ key: String) -> String { "\(base)/set/\(key)" }
    /// Where an action is started (and stopped).
    public func action(_ key: String) -> String { "\(base)/action/\(key)" }
    /// The retained discovery config of one entity.
    public func config(_ component: String, _ key: String) -> String {
        "\(discoveryPrefix)/\(component)/\(nodeID)/\(key)/config"
    }
    /// The node id in discovery topics and the start of every unique id.
    public var nodeID: String {
        "rct_" + String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}

/// What the inverter says about itself, for Home Assistant's device block.
public struct InverterIdentity: Sendable, Equatable {
    /// `inverter_sn`.
    public var serialNumber: String
    /// `android_description`, the inverter's own description of itself.
    public var model: String?
    /// `svnversion`, the control software's version.
    public var firmware: String?

    /// An identity.
    public init(serialNumber: String, model: String?, firmware: String?) {
        self.serialNumber = serialNumber
        self.model = model
        self.firmware = firmware
    }
}

/// One Home Assistant discovery config, as JSON keys Home Assistant documents.
public struct DiscoveryConfig: Codable, Sendable, Equatable {
    /// The device block shared by every entity of one inverter. Only keys that Home Assistant
    /// 2024.1 takes: it drops a whole config for one key it does not know in this block
    /// (`serial_number` came in 2024.2), so the serial number is in the identifier and the
    /// name instead.
    public struct Device: Codable, Sendable, Equatable {
        public var identifiers: [String]
        public var name: String
        public var manufacturer: String
        public var model: String?
        public var sw_version: String?
    }

    public var name: String
    public var unique_id: String
    public var object_id: String
    public var state_topic: String?
    public var command_topic: String?
    public var availability_topic: String
    public var device: Device
    public var device_class: String?
    public var state_class: String?
    public var unit_of_measurement: String?
    public var entity_category: String?
    public var options: [String]?
    public var min: Double?
    public var max: Double?
    public var step: Double?
    public var mode: String?
    public var payload_on: String?
    public var payload_off: String?
    public var payload_press: String?
    public var expire_after: Int?
}

/// The retained config messages that make one inverter appear in Home Assistant.
public struct Discovery: Sendable {
    /// Topics and names.
    public let topics: BridgeTopics
    /// What the inverter said about itself.
    public let identity: InverterIdentity
    /// Whether settings and actions take commands (`--allow-writes`).
    public let allowsWrites: Bool
    /// Seconds after which Home Assistant shows a sensor unavailable if no new value came:
    /// three slow polls, so one missed poll does not blank the dashboard.
    public let expireAfter: Int
    /// The range of `battery_power_extern`'s number entity, ± this many W.
    public let batteryPowerLimit: Double

    /// A discovery for one inverter.
    public init(topics: BridgeTopics, identity: InverterIdentity, allowsWrites: Bool, expireAfter: Int,
                batteryPowerLimit: Double = WriteRules.defaultBatteryPowerLimit) {
        self.topics = topics
        self.identity = identity
        self.allowsWrites = allowsWrites
        self.expireAfter = expireAfter
        self.batteryPowerLimit = batteryPowerLimit
    }

    /// Every config, as (topic, JSON payload), for `catalogue`.
    public func messages(for catalogue: Catalogue) -> [(topic: String, payload: [UInt8])] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return configs(for: catalogue).compactMap { topic, config in
            guard let data = try? encoder.encode(config) else { return nil }
            return (topic, Array(data))
        }
    }

    /// Every config for `catalogue`: one per entry, then the actions when writes are allowed.
    public func configs(for catalogue: Catalogue) -> [(topic: String, config: DiscoveryConfig)] {
        var result = catalogue.entries.map { entry in
            let component = component(of: entry)
            return (topics.config(component, entry.key), config(for: entry, as: component))
        }
        guard allowsWrites else { return result }
        var hold = base(key: "hold", name: "Hold battery (no discharge)")
        hold.state_topic = topics.state("hold")
        hold.command_topic = topics.action("hold")
        hold.payload_on = "ON"
        hold.payload_off = "OFF"
        result.append((topics.config("switch", "hold"), hold))
        for preset in catalogue.presets {
            var button = base(key: "reserve_\(preset.key)", name: preset.name)
            button.command_topic = topics.action("reserve_\(preset.key)")
            button.payload_press = "PRESS"
            button.entity_category = "config"
            result.append((topics.config("button", "reserve_\(preset.key)"), button))
        }
        return result
    }

    /// The component an entry appears as: settings become read-only sensors without
    /// `--allow-writes`, since Home Assistant's number, select and switch need a command topic.
    public func component(of entry: Catalogue.Entry) -> String {
        guard entry.isSetting, !allowsWrites else { return entry.component }
        return entry.component == "switch" ? "binary_sensor" : "sensor"
    }

    private func config(for entry: Catalogue.Entry, as component: String) -> DiscoveryConfig {
        var config = base(key: entry.key, name: entry.name)
        config.state_topic = topics.state(entry.key)
        // Home Assistant takes `config` only for entities that can be set (from 2024.2 it
        // refuses a sensor with it): a setting shown read-only is diagnostic.
        let readOnly = component == "sensor" || component == "binary_sensor"
        config.entity_category = readOnly && entry.category == "config" ? "diagnostic" : entry.category
        config.device_class = entry.deviceClass
        switch component {
        case "sensor":
            config.state_class = entry.stateClass
            config.unit_of_measurement = entry.unit
            if entry.deviceClass == "enum" { config.options = entry.object.labels.map(\.label).uniqued() }
            config.expire_after = expireAfter
        case "binary_sensor":
            config.payload_on = "ON"
            config.payload_off = "OFF"
            config.expire_after = expireAfter
        case "number":
            config.command_topic = topics.command(entry.key)
            config.unit_of_measurement = entry.unit
            config.mode = "box"
            if let rule = entry.rule?.limitingPower(to: batteryPowerLimit), case let .number(range, decimals) = rule.kind {
                let shown = SettingValue.shownDecimals(decimals, entry.scale)
                let factor = entry.scale == .percent ? 100.0 : 1.0
                config.min = range.lowerBound * factor
                config.max = range.upperBound * factor
                config.step = SettingValue.step(decimals: shown)
            }
        case "select":
            config.command_topic = topics.command(entry.key)
            if let rule = entry.rule, case let .choice(labels) = rule.kind { config.options = labels.map(\.label) }
        case "switch":
            config.command_topic = topics.command(entry.key)
            config.payload_on = "ON"
            config.payload_off = "OFF"
        default:
            break
        }
        // A setting shown as a sensor has no device class that fits it but its own.
        if component != entry.component && entry.deviceClass == nil { config.device_class = nil }
        return config
    }

    private func base(key: String, name: String) -> DiscoveryConfig {
        DiscoveryConfig(
            name: name, unique_id: "\(topics.nodeID)_\(key)", object_id: "\(topics.nodeID)_\(key)",
            state_topic: nil, command_topic: nil, availability_topic: topics.availability,
            device: .init(identifiers: [topics.nodeID], name: "RCT Power \(topics.name)", manufacturer: "RCT Power",
                          model: identity.model, sw_version: identity.firmware),
            device_class: nil, state_class: nil, unit_of_measurement: nil, entity_category: nil, options: nil,
            min: nil, max: nil, step: nil, mode: nil, payload_on: nil, payload_off: nil, payload_press: nil,
            expire_after: nil)
    }
}

extension Array where Element: Hashable {
    /// The elements without repeats, first occurrence kept.
    func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}
