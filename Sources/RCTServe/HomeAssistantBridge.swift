import Dispatch
import Logging
import RCTControl
import RCTProtocol
import RCTTransport
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
    /// Whether settings and actions take commands (`--allow-writes`).
    public var allowsWrites: Bool
    /// The range of `battery_power_extern`, ± this many W (`--battery-power-limit`).
    public var batteryPowerLimit: Double

    /// A configuration with the documented defaults.
    public init(mqtt: MQTTSettings, name: String? = nil, discoveryPrefix: String = "homeassistant",
                topicPrefix: String = "rct", allowsWrites: Bool = false,
                batteryPowerLimit: Double = WriteRules.defaultBatteryPowerLimit) {
        self.mqtt = mqtt
        self.name = name
        self.discoveryPrefix = discoveryPrefix
        self.topicPrefix = topicPrefix
        self.allowsWrites = allowsWrites
        self.batteryPowerLimit = batteryPowerLimit
    }
}

/// Publishes the inverter to Home Assistant over MQTT and carries out its commands.
///
/// Values come from the ``InverterPoller``; the MQTT connection starts once the inverter
/// has said who it is (its serial number names the topics unless `--name` does). Commands
/// are taken one at a time on a thread of their own, through the gateway like any client's
/// request: a setting is validated by its write rule, cross-checked, written once and read
/// back (the path of `rct set`), and its state is the value read back. A battery action
/// (hold, charge) runs on its own thread with a time limit and hands back at its end, on
/// `OFF`, on shutdown and when the link is lost. Every outcome goes to the result topic.
public final class HomeAssistantBridge: Sendable {
    private enum Job: Sendable {
        case republish
        case command(topic: String, payload: [UInt8])
    }

    private struct RunningAction {
        let name: String
        var stopReason: String?
    }

    private struct State {
        var discovery: Discovery?
        var connection: MQTTConnection?
        var threads: [WorkerThread] = []
        var actionThreads: [WorkerThread] = []
        var states: [String: String] = [:]
        var settings: [ObjectID: Value] = [:]
        var energy = MonotonicGuard()
        var available = false
        var jobs: [Job] = []
        var action: RunningAction?
        var stopping = false
    }

    /// Commands waiting beyond this are refused, so a flood cannot queue writes for later.
    static let maximumWaitingCommands = 16

    private let configuration: BridgeConfiguration
    private let catalogue: Catalogue
    private let gateway: Gateway
    private let timeout: Double
    private let expireAfter: Int
    private let logger: Logger
    private let state = Mutex(State())
    private let jobArrived = DispatchSemaphore(value: 0)

    /// A bridge for `gateway`; `timeout` bounds each of its requests, the gateway's queue
    /// included; `slowInterval` sets how long Home Assistant keeps a value without news.
    public init(configuration: BridgeConfiguration, catalogue: Catalogue, gateway: Gateway, timeout: Double,
                slowInterval: Double, logger: Logger) {
        self.configuration = configuration
        self.catalogue = catalogue
        self.gateway = gateway
        self.timeout = timeout
        self.expireAfter = Int(3 * slowInterval + 60)
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
            connected: { [self] in enqueue(.republish) },
            received: { [self] topic, payload in received(topic, payload) })
        let started: Bool = state.withLock { state in
            guard state.discovery == nil, !state.stopping else { return false }
            state.discovery = Discovery(topics: topics, identity: identity, allowsWrites: configuration.allowsWrites,
                                        expireAfter: expireAfter, batteryPowerLimit: configuration.batteryPowerLimit)
            state.connection = connection
            return true
        }
        guard started else { return }
        logger.info("MQTT: publishing \(identity.serialNumber) as \(topics.base); discovery under \(topics.discoveryPrefix)/; \(configuration.allowsWrites ? "settings and actions take commands" : "read-only")")
        let threads = [WorkerThread { connection.run() }, WorkerThread { [self] in work() }].compactMap { $0 }
        state.withLock { $0.threads += threads }
    }

    /// How long a stop waits for a running action to hand back: under systemd's default
    /// stop timeout of 90 s, so the daemon says what it could not do rather than being killed.
    static let handBackGrace = 60.0

    /// Ends a running action (it hands back through the gateway, which must still be up),
    /// says `offline`, and closes the MQTT connection. Returns when all of it is done, or
    /// when the hand-back has taken ``handBackGrace`` seconds (the link is down): then the
    /// log says the inverter may be left forced.
    public func stop() {
        let running = state.withLock { state -> String? in
            state.stopping = true
            state.action?.stopReason = "rct serve is stopping"
            return state.action?.name
        }
        let grace = Deadline.after(seconds: Self.handBackGrace)
        while state.withLock({ $0.action != nil }) && !grace.hasPassed { usleepSeconds(0.05) }
        let stuck = state.withLock { $0.action != nil }
        if let running, stuck {
            logger.critical("MQTT action \(running): hand-back not confirmed within \(Int(Self.handBackGrace)) s of the stop (is the inverter link down?); power_mng.soc_strategy may still be 2 (External). Check it with 'rct get power_mng.soc_strategy power_mng.battery_power_extern'.")
            report(CommandResult(command: running, outcome: "failed", reason: "rct serve stopped before the hand-back was confirmed; the strategy may still be External"))
        }
        // A stuck action's thread is left to the end of the process.
        let (connection, threads) = state.withLock { ($0.connection, $0.threads + (stuck ? [] : $0.actionThreads)) }
        jobArrived.signal()
        connection?.stop()
        for thread in threads { thread.join() }
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
            state.states[entry.key] = payload
            connection.publish(discovery.topics.state(entry.key), payload, retain: true)
            guard entry.object.id == WriteRules.socStrategyID || entry.object.id == WriteRules.batteryPowerExternID else { return nil }
            state.settings[entry.object.id] = value
            if let hold = Self.holdState(state.settings) {
                state.states["hold"] = hold
                if configuration.allowsWrites { connection.publish(discovery.topics.state("hold"), hold, retain: true) }
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
            for (key, payload) in state.states where key != "hold" || configuration.allowsWrites {
                connection.publish(discovery.topics.state(key), payload, retain: true)
            }
            connection.publish(discovery.topics.availability, state.available ? "online" : "offline", retain: true)
        }
    }

    private func report(_ result: CommandResult) {
        guard let (connection, topics) = state.withLock({ state in state.connection.flatMap { c in state.discovery.map { (c, $0.topics) } } }) else { return }
        connection.publish(topics.result, result.json, retain: false)
        switch result.outcome {
        case "refused", "failed": logger.warning("MQTT command \(result.command): \(result.outcome): \(result.reason ?? "")")
        case "written", "started", "ended": logger.notice("MQTT command \(result.command): \(result.outcome)\(result.reason.map { ": \($0)" } ?? "")")
        default: logger.info("MQTT command \(result.command): \(result.outcome) \(result.parameter ?? "") \(result.value ?? "")")
        }
    }

    // MARK: - Commands

    private func received(_ topic: String, _ payload: [UInt8]) {
        guard let topics = state.withLock({ $0.discovery?.topics }) else { return }
        if topic == topics.homeAssistantStatus {
            if payload == Array("online".utf8) { enqueue(.republish) }
            return
        }
        let accepted: Bool = state.withLock { state in
            guard state.jobs.count < Self.maximumWaitingCommands else { return false }
            state.jobs.append(.command(topic: topic, payload: payload))
            return true
        }
        if accepted {
            jobArrived.signal()
        } else {
            report(CommandResult(command: Self.commandName(topic, topics), payload: CommandResult.echo(payload), outcome: "refused",
                                 reason: "\(Self.maximumWaitingCommands) commands are already waiting"))
        }
    }

    private func enqueue(_ job: Job) {
        state.withLock { $0.jobs.append(job) }
        jobArrived.signal()
    }

    private func work() {
        var client: Client?
        while true {
            let job: Job? = state.withLock { state in state.jobs.isEmpty ? nil : state.jobs.removeFirst() }
            guard let job else {
                if state.withLock({ $0.stopping }) { return }
                _ = jobArrived.wait(timeout: .now() + .milliseconds(200))
                continue
            }
            switch job {
            case .republish:
                republish()
            case let .command(topic, payload):
                guard let topics = state.withLock({ $0.discovery?.topics }) else { continue }
                if state.withLock({ $0.stopping }) {
                    report(CommandResult(command: Self.commandName(topic, topics), payload: CommandResult.echo(payload),
                                         outcome: "refused", reason: "rct serve is stopping"))
                    continue
                }
                handle(topic, payload, topics, client: &client)
            }
        }
    }

    private static func commandName(_ topic: String, _ topics: BridgeTopics) -> String {
        if topic.hasPrefix(topics.command("")) { return "set " + topic.dropFirst(topics.command("").count) }
        if topic.hasPrefix(topics.action("")) { return String(topic.dropFirst(topics.action("").count)) }
        return topic
    }

    private func handle(_ topic: String, _ payload: [UInt8], _ topics: BridgeTopics, client: inout Client?) {
        let command = Self.commandName(topic, topics)
        let echo = CommandResult.echo(payload)
        func refuse(_ reason: String) {
            report(CommandResult(command: command, payload: echo, outcome: "refused", reason: reason))
        }
        guard configuration.allowsWrites else {
            return refuse("rct serve is read-only; start it with --allow-writes to take commands")
        }
        if topic.hasPrefix(topics.command("")) {
            let key = String(topic.dropFirst(topics.command("").count))
            guard let entry = catalogue.entry(key: key), entry.isSetting else { return refuse("no setting called \(key.prefix(64))") }
            switch SettingValue.command(payload, for: entry, powerLimit: configuration.batteryPowerLimit) {
            case let .failure(refusal): refuse(refusal.description)
            case let .success(value): write(value, to: entry, command: command, payload: echo, client: &client)
            }
            return
        }
        let key = String(topic.dropFirst(topics.action("").count))
        let request: Result<ActionRequest, Refusal>
        switch key {
        case "hold": request = ActionRequest.hold(payload)
        case "charge": request = ActionRequest.charge(payload)
        default:
            guard key.hasPrefix("reserve_"), let preset = catalogue.presets.first(where: { "reserve_\($0.key)" == key }) else {
                return refuse("no action called \(key.prefix(64))")
            }
            guard SettingValue.payloadText(payload).map({ $0.uppercased() == "PRESS" }) == .success(true) else {
                return refuse("a reserve button takes PRESS")
            }
            request = .success(.reserve(preset))
        }
        switch request {
        case let .failure(refusal): refuse(refusal.description)
        case let .success(action): run(action, command: command, payload: echo, client: &client)
        }
    }

    private func write(_ value: Value, to entry: Catalogue.Entry, command: String, payload: String, client: inout Client?) {
        guard let rule = entry.rule else { return }
        do throws(ControlError) {
            let link = try ensure(&client)
            let writer = ParameterWriter(client: link)
            let warnings = try writer.crossCheck([rule.id: value])
            let outcome = try writer.set(rule, to: value)
            // The read-back just made is in the gateway's cache: this costs no exchange.
            let readBack = try writer.current(rule)
            publish(readBack, of: entry)
            report(CommandResult(command: command, payload: payload, outcome: outcome.written ? "written" : "unchanged",
                                 reason: warnings.isEmpty ? nil : warnings.joined(separator: "; "), parameter: rule.name,
                                 value: rule.describe(readBack)))
        } catch {
            if case .client(.transport) = error { client = nil }
            let refused: Bool
            if case .refused = error { refused = true } else { refused = false }
            report(CommandResult(command: command, payload: payload, outcome: refused ? "refused" : "failed",
                                 reason: error.description, parameter: rule.name))
        }
    }

    private func ensure(_ client: inout Client?, name: String = "mqtt commands") throws(ControlError) -> Client {
        if let client { return client }
        do {
            let made = try gateway.ownClient(named: name, timeout: timeout)
            client = made
            return made
        } catch {
            throw .client(.transport(error))
        }
    }

    // MARK: - Actions

    private func run(_ action: ActionRequest, command: String, payload: String, client: inout Client?) {
        func refuse(_ reason: String) {
            report(CommandResult(command: command, payload: payload, outcome: "refused", reason: reason))
        }
        switch action {
        case .stop:
            let stopping: String? = state.withLock { state in
                guard state.action != nil else { return nil }
                state.action?.stopReason = "stopped by the \(command) command"
                return state.action?.name
            }
            guard let running = stopping else { return refuse("no action is running") }
            report(CommandResult(command: command, payload: payload, outcome: "stopping", reason: "\(running) hands back now"))
        case let .reserve(preset):
            if let running = state.withLock({ $0.action?.name }) { return refuse("\(running) is running; stop it first") }
            do throws(ControlError) {
                let runner = ScenarioRunner(client: try ensure(&client), reconnect: { throw ControlError.refused("no link") },
                                            report: { [self] event in report(event, of: command) })
                try runner.reserve(minimum: preset.minimum, charge: preset.charge)
                report(CommandResult(command: command, payload: payload, outcome: "ended", reason: "reserve set and read back"))
            } catch {
                if case .client(.transport) = error { client = nil }
                report(CommandResult(command: command, payload: payload, outcome: "failed", reason: error.description))
            }
        case .hold, .charge:
            let name = command
            let conflict: String? = state.withLock { state in
                if let running = state.action { return running.name }
                state.action = RunningAction(name: name)
                return nil
            }
            if let conflict { return refuse("\(conflict) is already running; send OFF to it first") }
            report(CommandResult(command: command, payload: payload, outcome: "started"))
            guard let thread = WorkerThread({ [self] in perform(action, command: command) }) else {
                state.withLock { $0.action = nil }
                return report(CommandResult(command: command, outcome: "failed", reason: "no thread for the action"))
            }
            state.withLock { $0.actionThreads.append(thread) }
        }
    }

    /// Runs a hold or a charge on the calling thread, with hand-back whatever ends it.
    private func perform(_ action: ActionRequest, command: String) {
        defer { state.withLock { $0.action = nil } }
        do throws(ControlError) {
            var none: Client?
            let client = try ensure(&none, name: "mqtt action")
            // Hand-back waits for a lost link to come back (up to 17 minutes in all).
            let timing = ScenarioRunner.Timing(pollInterval: 5, reassertInterval: 30, handBackAttempts: 10, handBackBackoff: 1)
            let runner = ScenarioRunner(
                client: client, timing: timing,
                reconnect: { [self] in try reconnect() },
                stopRequest: { [self] in state.withLock { $0.action?.stopReason } },
                report: { [self] event in report(event, of: command) })
            switch action {
            case let .hold(duration):
                try runner.hold(duration: duration)
            case let .charge(power, target, duration):
                try runner.charge(power: power, targetSOC: target, maxDuration: duration)
            default:
                return
            }
            report(CommandResult(command: command, outcome: "ended", reason: "handed back"))
        } catch {
            if case .handBackFailed = error {
                logger.critical("MQTT action \(command): \(error.description)")
            }
            let handedBack: Bool
            switch error {
            case .handBackFailed, .refused: handedBack = false
            default: handedBack = true
            }
            report(CommandResult(command: command, outcome: handedBack ? "ended" : "failed",
                                 reason: error.description + (handedBack ? "; handed back" : "")))
        }
    }

    private func reconnect() throws -> Client {
        let deadline = Deadline.after(seconds: 60)
        while !gateway.isLinkUp && !deadline.hasPassed && !state.withLock({ $0.stopping }) { usleepSeconds(0.1) }
        return try gateway.ownClient(named: "mqtt action", timeout: timeout)
    }

    private func report(_ event: ScenarioEvent, of command: String) {
        switch event {
        case let .step(phase, outcome):
            // A verified step's value is what was read back: the switch follows the inverter.
            if outcome.verified, let entry = catalogue.entries.first(where: { $0.object.id == outcome.rule.id }) {
                publish(outcome.new, of: entry)
            }
            report(CommandResult(command: command, outcome: "step", reason: outcome.written ? "written and read back" : "already set",
                                 parameter: outcome.rule.name, value: outcome.rule.describe(outcome.new), phase: phase.rawValue))
        case let .progress(soc, power, remaining):
            var parts = [remaining.map { "\(Int($0.rounded())) s left" } ?? "until stopped"]
            if let soc { parts.append("state of charge \(NumberText.percent(soc)) %") }
            if let power { parts.append("battery \(NumberText.format(power)) W") }
            report(CommandResult(command: command, outcome: "progress", reason: parts.joined(separator: ", ")))
        case let .reasserted(name):
            report(CommandResult(command: command, outcome: "step", reason: "set again: the inverter had dropped it", parameter: name))
        case let .ending(reason):
            report(CommandResult(command: command, outcome: "ending", reason: reason))
        case let .handBackRetry(attempt, delay, cause):
            report(CommandResult(command: command, outcome: "hand_back_retry",
                                 reason: "attempt \(attempt) failed (\(cause)); again in \(NumberText.format(delay)) s"))
        case let .note(text):
            report(CommandResult(command: command, outcome: "note", reason: text))
        case .planned:
            break
        }
    }
}
