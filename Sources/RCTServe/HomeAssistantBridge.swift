import Logging
import RCTProtocol
import Synchronization

/// What `rct serve --mqtt` needs besides the gateway.
public struct BridgeConfiguration: Sendable {
    /// The broker.
    public var mqtt: MQTTSettings
    /// The inverter's name in topics (`--name`); its serial number when nil.
    public var name: String?
    /// Home Assistant's discovery prefix.
    public var discoveryPrefix: String
    /// The prefix of our own topics.
    public var topicPrefix: String

    /// A configuration with the documented defaults. Whether settings take commands, and
    /// the range of `battery_power_extern`, are the command desk's.
    public init(mqtt: MQTTSettings, name: String? = nil, discoveryPrefix: String = "homeassistant", topicPrefix: String = "rct") {
        self.mqtt = mqtt
        self.name = name
        self.discoveryPrefix = discoveryPrefix
        self.topicPrefix = topicPrefix
    }
}

/// Publishes the inverter to Home Assistant over MQTT and carries out its commands.
///
/// Values come from the ``InverterPoller``; the MQTT connection starts once the inverter
/// has said who it is (its serial number names the topics unless `--name` does). Commands
/// on the command and action topics go to the ``CommandDesk``, which the web page shares;
/// every result it reports, whoever asked, goes to the result topic, and a setting's state
/// is the value read back.
public final class HomeAssistantBridge: Sendable {
    private struct State {
        var discovery: Discovery?
        var connection: MQTTConnection?
        var thread: WorkerThread?
        var states: [String: String] = [:]
        /// When each state was last published, on the monotonic clock.
        var published: [String: Double] = [:]
        var settings: [ObjectID: Value] = [:]
        var energy = MonotonicGuard()
        var available = false
        var stopping = false
    }

    private let configuration: BridgeConfiguration
    private let catalogue: Catalogue
    private let desk: CommandDesk
    private let expireAfter: Int
    private let refreshInterval: Double
    private let logger: Logger
    private let state = Mutex(State())

    /// A bridge whose commands `desk` carries out; `slowInterval` sets how long Home
    /// Assistant keeps a value without news.
    public init(configuration: BridgeConfiguration, catalogue: Catalogue, desk: CommandDesk, slowInterval: Double, logger: Logger) {
        self.configuration = configuration
        self.catalogue = catalogue
        self.desk = desk
        self.expireAfter = Int(3 * slowInterval + 60)
        self.refreshInterval = slowInterval
        self.logger = logger
    }

    /// What the poller tells the bridge.
    public var listener: InverterPoller.Listener {
        var listener = InverterPoller.Listener()
        listener.identified = { [self] identity in start(identity) }
        listener.read = { [self] entry, value, _ in publish(value, of: entry) }
        listener.availability = { [self] up in setAvailable(up) }
        return listener
    }

    // MARK: - Start and stop

    private func start(_ identity: InverterIdentity) {
        let topics = BridgeTopics(discoveryPrefix: configuration.discoveryPrefix, topicPrefix: configuration.topicPrefix,
                                  name: configuration.name ?? identity.serialNumber)
        let connection = MQTTConnection(
            settings: configuration.mqtt, clientID: "rct-serve-\(topics.nodeID)", will: (topics.availability, "offline"),
            subscriptions: [topics.homeAssistantStatus, topics.command("+"), topics.action("+")], logger: logger,
            connected: { [self] in republish() },
            received: { [self] topic, payload in received(topic, payload) })
        let started: Bool = state.withLock { state in
            guard state.discovery == nil, !state.stopping else { return false }
            state.discovery = Discovery(topics: topics, identity: identity, allowsWrites: desk.allowsWrites,
                                        expireAfter: expireAfter, batteryPowerLimit: desk.batteryPowerLimit)
            state.connection = connection
            return true
        }
        guard started else { return }
        logger.info("MQTT: publishing \(identity.serialNumber) as \(topics.base); discovery under \(topics.discoveryPrefix)/; \(desk.allowsWrites ? "settings and actions take commands" : "read-only")")
        let thread = WorkerThread { connection.run() }
        if thread == nil { logger.error("MQTT: no thread for the connection; nothing is published") }
        state.withLock { $0.thread = thread }
    }

    /// Says `offline` and closes the MQTT connection. Stop the command desk first: a
    /// running action's hand-back is reported here while the connection is still open.
    public func stop() {
        let (connection, thread) = state.withLock { state in
            state.stopping = true
            return (state.connection, state.thread)
        }
        connection?.stop()
        thread?.join()
    }

    // MARK: - Publishing

    // Messages are queued while the state is locked, so what goes out last is what the state
    // says last: a republish cannot overtake a newer value or availability.
    private func publish(_ value: Value, of entry: Catalogue.Entry) {
        let held: (Double, Double)? = state.withLock { state in
            guard let discovery = state.discovery, let connection = state.connection else { return nil }
            guard let payload = SettingValue.state(value, of: entry, component: discovery.component(of: entry)) else { return nil }
            if entry.isMonotonic, let number = value.numericValue, !state.energy.admit(number, for: entry.key) {
                return (number, state.energy.highest(of: entry.key) ?? 0)
            }
            // An unchanged value goes out again only once per slow interval, so that Home
            // Assistant keeps it (expire_after) without a message per poll.
            let now = Gateway.now
            if state.states[entry.key] == payload, let last = state.published[entry.key], now - last < refreshInterval { return nil }
            state.published[entry.key] = now
            state.states[entry.key] = payload
            connection.publish(discovery.topics.state(entry.key), payload, retain: true)
            guard entry.object.id == WriteRules.socStrategyID || entry.object.id == WriteRules.batteryPowerExternID else { return nil }
            state.settings[entry.object.id] = value
            if let hold = Self.holdState(state.settings) {
                state.states["hold"] = hold
                if desk.allowsWrites { connection.publish(discovery.topics.state("hold"), hold, retain: true) }
            }
            return nil
        }
        if let (number, highest) = held {
            logger.warning("MQTT: \(entry.object.name) read \(NumberText.format(number)), below \(NumberText.format(highest)) published before; not published, so Home Assistant sees no meter reset")
        }
    }

    /// The hold switch as the inverter has it: on while the strategy is External with 0 W.
    static func holdState(_ settings: [ObjectID: Value]) -> String? {
        guard let strategy = settings[WriteRules.socStrategyID]?.numericValue,
              let power = settings[WriteRules.batteryPowerExternID]?.numericValue else { return nil }
        return strategy == Double(WriteRules.Strategy.external) && abs(power) < 0.5 ? "ON" : "OFF"
    }

    private func setAvailable(_ up: Bool) {
        state.withLock { state in
            state.available = up
            guard let connection = state.connection, let topics = state.discovery?.topics else { return }
            connection.publish(topics.availability, up ? "online" : "offline", retain: true)
        }
    }

    private func republish() {
        state.withLock { state in
            guard let connection = state.connection, let discovery = state.discovery else { return }
            for (topic, payload) in discovery.messages(for: catalogue) {
                connection.publish(topic, payload, retain: true)
            }
            for (key, payload) in state.states where key != "hold" || desk.allowsWrites {
                connection.publish(discovery.topics.state(key), payload, retain: true)
            }
            connection.publish(discovery.topics.availability, state.available ? "online" : "offline", retain: true)
        }
    }

    private func report(_ result: CommandResult) {
        guard let (connection, topics) = state.withLock({ state in state.connection.flatMap { c in state.discovery.map { (c, $0.topics) } } }) else { return }
        connection.publish(topics.result, result.json, retain: false)
    }

    // MARK: - Commands

    /// What the bridge hears from the command desk: results on the result topic, and the
    /// value of a setting read back as its state, so the entity follows the inverter.
    public var observer: CommandDesk.Observer {
        var observer = CommandDesk.Observer()
        observer.result = { [self] result in report(result) }
        observer.read = { [self] entry, value in publish(value, of: entry) }
        return observer
    }

    private func received(_ topic: String, _ payload: [UInt8]) {
        guard let topics = state.withLock({ $0.discovery?.topics }) else { return }
        if topic == topics.homeAssistantStatus {
            if payload == Array("online".utf8) { republish() }
            return
        }
        if topic.hasPrefix(topics.command("")) {
            desk.submit(.set(key: String(topic.dropFirst(topics.command("").count)), payload: payload), from: "mqtt")
        } else if topic.hasPrefix(topics.action("")) {
            desk.submit(.action(key: String(topic.dropFirst(topics.action("").count)), payload: payload), from: "mqtt")
        }
    }
}
