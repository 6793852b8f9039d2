import Dispatch
import Logging
import RCTControl
import RCTProtocol
import RCTTransport
import Synchronization

/// Carries out the commands of Home Assistant (over MQTT) and of the web page: one path for
/// both, so a setting or an action means the same wherever it is asked for.
///
/// Commands are taken one at a time on a thread of their own, through the gateway like any
/// client's request: a setting is validated by its write rule, cross-checked, written once
/// and read back (the path of `rct set`). A battery action (hold, charge) runs on its own
/// thread with a time limit and hands back at its end, on `OFF`, on shutdown and when the
/// link is lost. Every outcome goes to every observer (the MQTT result topic, the page's
/// event stream) and to the log; the one that settles a command also to whoever asked.
public final class CommandDesk: Sendable {
    /// A command: the same payloads over MQTT (Documentation/MQTT.md) and from the page.
    public enum Request: Sendable, Equatable {
        /// Set the catalogue setting `key` to what `payload` says (`30`, `External`, `ON`).
        case set(key: String, payload: [UInt8])
        /// Run the action `key`: `hold` (`ON`, `OFF`), `charge` (JSON or `OFF`),
        /// `reserve_PRESET` (`PRESS`).
        case action(key: String, payload: [UInt8])

        /// How results name it: `set soc_min`, `hold`, `reserve_winter`.
        public var command: String {
            switch self {
            case let .set(key, _): "set \(key.prefix(64))"
            case let .action(key, _): String(key.prefix(64))
            }
        }

        var payload: [UInt8] {
            switch self {
            case let .set(_, payload), let .action(_, payload): payload
            }
        }
    }

    /// Who hears what the desk does.
    public struct Observer: Sendable {
        /// Every result: outcomes, and the steps and progress of actions.
        public var result: @Sendable (CommandResult) -> Void = { _ in }
        /// A setting's value as read back after a write or a step.
        public var read: @Sendable (Catalogue.Entry, Value) -> Void = { _, _ in }

        /// An observer that hears nothing until its members are set.
        public init() {}
    }

    /// The answer to the one who asked: the result that settles the command.
    public typealias Reply = @Sendable (CommandResult) -> Void

    private struct Job: Sendable {
        let request: Request
        let source: String
        let reply: Reply?
    }

    private struct RunningAction {
        let name: String
        var stopReason: String?
    }

    private struct State {
        var jobs: [Job] = []
        var observers: [Observer] = []
        var action: RunningAction?
        var worker: WorkerThread?
        var actionThreads: [WorkerThread] = []
        var stopping = false
    }

    /// Commands waiting beyond this are refused, so a flood cannot queue writes for later.
    static let maximumWaitingCommands = 16

    /// How long a stop waits for a running action to hand back: under systemd's default
    /// stop timeout of 90 s, so the daemon says what it could not do rather than being killed.
    static let handBackGrace = 60.0

    /// Whether settings and actions are carried out (`--allow-writes`); refused otherwise.
    public let allowsWrites: Bool
    private let catalogue: Catalogue
    private let gateway: Gateway
    /// The range of `battery_power_extern`, ± this many W (`--battery-power-limit`).
    public let batteryPowerLimit: Double
    private let timeout: Double
    private let logger: Logger
    private let state = Mutex(State())
    private let jobArrived = DispatchSemaphore(value: 0)

    /// A desk for `gateway`; `timeout` bounds each of its requests, the gateway's queue
    /// included; `batteryPowerLimit` is the range of `battery_power_extern` in watts.
    public init(catalogue: Catalogue, gateway: Gateway, allowsWrites: Bool, batteryPowerLimit: Double, timeout: Double,
                logger: Logger) {
        self.catalogue = catalogue
        self.gateway = gateway
        self.allowsWrites = allowsWrites
        self.batteryPowerLimit = batteryPowerLimit
        self.timeout = timeout
        self.logger = logger
    }

    /// Adds an observer; call before the first command.
    public func observe(_ observer: Observer) {
        state.withLock { $0.observers.append(observer) }
    }

    /// The action running now (`hold`, `charge`), if any.
    public var runningAction: String? { state.withLock { $0.action?.name } }

    /// Takes `request` from `source` (`mqtt`, `the page`); `reply` hears the result that
    /// settles it. A full queue or a stopping daemon refuses it at once.
    public func submit(_ request: Request, from source: String, reply: Reply? = nil) {
        let refusal: String? = state.withLock { state in
            if state.stopping { return "rct serve is stopping" }
            guard state.jobs.count < Self.maximumWaitingCommands else {
                return "\(Self.maximumWaitingCommands) commands are already waiting"
            }
            if state.worker == nil {
                state.worker = WorkerThread { [self] in work() }
                if state.worker == nil { return "no thread for commands" }
            }
            state.jobs.append(Job(request: request, source: source, reply: reply))
            return nil
        }
        if let refusal {
            let result = CommandResult(command: request.command, payload: CommandResult.echo(request.payload), outcome: "refused",
                                       reason: refusal)
            report(result, from: source)
            reply?(result)
        } else {
            jobArrived.signal()
        }
    }

    /// Ends a running action (it hands back through the gateway, which must still be up)
    /// and the commands' thread. Returns when all of it is done, or when the hand-back has
    /// taken ``handBackGrace`` seconds (the link is down): then the log says the inverter
    /// may be left forced.
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
            logger.critical("action \(running): hand-back not confirmed within \(Int(Self.handBackGrace)) s of the stop (is the inverter link down?); power_mng.soc_strategy may still be 2 (External). Check it with 'rct get power_mng.soc_strategy power_mng.battery_power_extern'.")
            report(CommandResult(command: running, outcome: "failed", reason: "rct serve stopped before the hand-back was confirmed; the strategy may still be External"),
                   from: "rct serve")
        }
        // A stuck action's thread is left to the end of the process.
        let threads = state.withLock { state in [state.worker].compactMap { $0 } + (stuck ? [] : state.actionThreads) }
        jobArrived.signal()
        for thread in threads { thread.join() }
    }

    // MARK: - The commands' thread

    private func work() {
        var client: Client?
        while true {
            let job: Job? = state.withLock { state in state.jobs.isEmpty ? nil : state.jobs.removeFirst() }
            guard let job else {
                if state.withLock({ $0.stopping }) { return }
                _ = jobArrived.wait(timeout: .now() + .milliseconds(200))
                continue
            }
            let settle: Reply = { [self] result in
                report(result, from: job.source)
                job.reply?(result)
            }
            if state.withLock({ $0.stopping }) {
                settle(CommandResult(command: job.request.command, payload: CommandResult.echo(job.request.payload),
                                     outcome: "refused", reason: "rct serve is stopping"))
            } else if let result = handle(job.request, source: job.source, settle: settle, client: &client) {
                settle(result)
            }
        }
    }

    /// Carries out `request` and returns the result that settles it, or nil when it has
    /// been settled through `settle` already (an action says `started` before it starts).
    private func handle(_ request: Request, source: String, settle: Reply, client: inout Client?) -> CommandResult? {
        let command = request.command
        let echo = CommandResult.echo(request.payload)
        func refused(_ reason: String) -> CommandResult {
            CommandResult(command: command, payload: echo, outcome: "refused", reason: reason)
        }
        guard allowsWrites else {
            return refused("rct serve is read-only; start it with --allow-writes to take commands")
        }
        let action: ActionRequest
        switch request {
        case let .set(key, payload):
            guard let entry = catalogue.entry(key: key), entry.isSetting else { return refused("no setting called \(key.prefix(64))") }
            switch SettingValue.command(payload, for: entry, powerLimit: batteryPowerLimit) {
            case let .failure(refusal): return refused(refusal.description)
            case let .success(value): return write(value, to: entry, command: command, payload: echo, client: &client)
            }
        case let .action(key, payload):
            switch key {
            case "hold":
                switch ActionRequest.hold(payload) {
                case let .failure(refusal): return refused(refusal.description)
                case let .success(asked): action = asked
                }
            case "charge":
                switch ActionRequest.charge(payload) {
                case let .failure(refusal): return refused(refusal.description)
                case let .success(asked): action = asked
                }
            default:
                guard key.hasPrefix("reserve_"), let preset = catalogue.presets.first(where: { "reserve_\($0.key)" == key }) else {
                    return refused("no action called \(key.prefix(64))")
                }
                guard SettingValue.payloadText(payload).map({ $0.uppercased() == "PRESS" }) == .success(true) else {
                    return refused("a reserve button takes PRESS")
                }
                action = .reserve(preset)
            }
        }
        return run(action, command: command, payload: echo, source: source, settle: settle, client: &client)
    }

    private func write(_ value: Value, to entry: Catalogue.Entry, command: String, payload: String,
                       client: inout Client?) -> CommandResult {
        guard let rule = entry.rule else {
            return CommandResult(command: command, payload: payload, outcome: "refused", reason: "\(entry.object.name) is not a setting")
        }
        do throws(ControlError) {
            let link = try ensure(&client)
            let writer = ParameterWriter(client: link)
            let warnings = try writer.crossCheck([rule.id: value])
            let outcome = try writer.set(rule, to: value)
            // The read-back just made is in the gateway's cache: this costs no exchange.
            let readBack = try writer.current(rule)
            tell { $0.read(entry, readBack) }
            return CommandResult(command: command, payload: payload, outcome: outcome.written ? "written" : "unchanged",
                                 reason: warnings.isEmpty ? nil : warnings.joined(separator: "; "), parameter: rule.name,
                                 value: rule.describe(readBack))
        } catch {
            if case .client(.transport) = error { client = nil }
            let refused: Bool
            if case .refused = error { refused = true } else { refused = false }
            return CommandResult(command: command, payload: payload, outcome: refused ? "refused" : "failed",
                                 reason: error.description, parameter: rule.name)
        }
    }

    private func ensure(_ client: inout Client?, name: String = "commands") throws(ControlError) -> Client {
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

    private func run(_ action: ActionRequest, command: String, payload: String, source: String, settle: Reply,
                     client: inout Client?) -> CommandResult? {
        func refused(_ reason: String) -> CommandResult {
            CommandResult(command: command, payload: payload, outcome: "refused", reason: reason)
        }
        switch action {
        case .stop:
            let stopping: String? = state.withLock { state in
                guard state.action != nil else { return nil }
                state.action?.stopReason = "stopped by the \(command) command"
                return state.action?.name
            }
            guard let running = stopping else { return refused("no action is running") }
            return CommandResult(command: command, payload: payload, outcome: "stopping", reason: "\(running) hands back now")
        case let .reserve(preset):
            if let running = state.withLock({ $0.action?.name }) { return refused("\(running) is running; stop it first") }
            do throws(ControlError) {
                let runner = ScenarioRunner(client: try ensure(&client), reconnect: { throw ControlError.refused("no link") },
                                            report: { [self] event in report(event, of: command, from: source) })
                try runner.reserve(minimum: preset.minimum, charge: preset.charge)
                return CommandResult(command: command, payload: payload, outcome: "ended", reason: "reserve set and read back")
            } catch {
                if case .client(.transport) = error { client = nil }
                return CommandResult(command: command, payload: payload, outcome: "failed", reason: error.description)
            }
        case .hold, .charge:
            let conflict: String? = state.withLock { state in
                if let running = state.action { return running.name }
                state.action = RunningAction(name: command)
                return nil
            }
            if let conflict { return refused("\(conflict) is already running; stop it first") }
            // Said before the action's first step can be.
            settle(CommandResult(command: command, payload: payload, outcome: "started"))
            guard let thread = WorkerThread({ [self] in perform(action, command: command, source: source) }) else {
                state.withLock { $0.action = nil }
                report(CommandResult(command: command, outcome: "failed", reason: "no thread for the action"), from: source)
                return nil
            }
            state.withLock { $0.actionThreads.append(thread) }
            return nil
        }
    }

    /// Runs a hold or a charge on the calling thread, with hand-back whatever ends it; the
    /// action counts as running until its last result is said.
    private func perform(_ action: ActionRequest, command: String, source: String) {
        let last = carryOut(action, command: command, source: source)
        state.withLock { $0.action = nil }
        report(last, from: source)
    }

    private func carryOut(_ action: ActionRequest, command: String, source: String) -> CommandResult {
        do throws(ControlError) {
            var none: Client?
            let client = try ensure(&none, name: "action")
            // Hand-back waits for a lost link to come back (up to 17 minutes in all).
            let timing = ScenarioRunner.Timing(pollInterval: 5, reassertInterval: 30, handBackAttempts: 10, handBackBackoff: 1)
            let runner = ScenarioRunner(
                client: client, timing: timing,
                reconnect: { [self] in try reconnect() },
                stopRequest: { [self] in state.withLock { $0.action?.stopReason } },
                report: { [self] event in report(event, of: command, from: source) })
            switch action {
            case let .hold(duration):
                try runner.hold(duration: duration)
            case let .charge(power, target, duration):
                try runner.charge(power: power, targetSOC: target, maxDuration: duration)
            case .stop, .reserve:
                break
            }
            return CommandResult(command: command, outcome: "ended", reason: "handed back")
        } catch {
            if case .handBackFailed = error {
                logger.critical("action \(command): \(error.description)")
            }
            let handedBack: Bool
            switch error {
            case .handBackFailed, .refused: handedBack = false
            default: handedBack = true
            }
            return CommandResult(command: command, outcome: handedBack ? "ended" : "failed",
                                 reason: error.description + (handedBack ? "; handed back" : ""))
        }
    }

    private func reconnect() throws -> Client {
        let deadline = Deadline.after(seconds: 60)
        while !gateway.isLinkUp && !deadline.hasPassed && !state.withLock({ $0.stopping }) { usleepSeconds(0.1) }
        return try gateway.ownClient(named: "action", timeout: timeout)
    }

    // MARK: - Results

    private func tell(_ body: (Observer) -> Void) {
        for observer in state.withLock({ $0.observers }) { body(observer) }
    }

    private func report(_ result: CommandResult, from source: String) {
        tell { $0.result(result) }
        let said = "command \(result.command) (from \(source))"
        switch result.outcome {
        case "refused", "failed": logger.warning("\(said): \(result.outcome): \(result.reason ?? "")")
        case "written", "started", "ended": logger.notice("\(said): \(result.outcome)\(result.reason.map { ": \($0)" } ?? "")")
        default: logger.info("\(said): \(result.outcome) \(result.parameter ?? "") \(result.value ?? "")")
        }
    }

    private func report(_ event: ScenarioEvent, of command: String, from source: String) {
        switch event {
        case let .step(phase, outcome):
            // A verified step's value is what was read back: the switch follows the inverter.
            if outcome.verified, let entry = catalogue.entries.first(where: { $0.object.id == outcome.rule.id }) {
                tell { $0.read(entry, outcome.new) }
            }
            report(CommandResult(command: command, outcome: "step", reason: outcome.written ? "written and read back" : "already set",
                                 parameter: outcome.rule.name, value: outcome.rule.describe(outcome.new), phase: phase.rawValue),
                   from: source)
        case let .progress(soc, power, remaining):
            var parts = [remaining.map { "\(Int($0.rounded())) s left" } ?? "until stopped"]
            if let soc { parts.append("state of charge \(NumberText.percent(soc)) %") }
            if let power { parts.append("battery \(NumberText.format(power)) W") }
            report(CommandResult(command: command, outcome: "progress", reason: parts.joined(separator: ", ")), from: source)
        case let .reasserted(name):
            report(CommandResult(command: command, outcome: "step", reason: "set again: the inverter had dropped it", parameter: name),
                   from: source)
        case let .ending(reason):
            report(CommandResult(command: command, outcome: "ending", reason: reason), from: source)
        case let .handBackRetry(attempt, delay, cause):
            report(CommandResult(command: command, outcome: "hand_back_retry",
                                 reason: "attempt \(attempt) failed (\(cause)); again in \(NumberText.format(delay)) s"), from: source)
        case let .note(text):
            report(CommandResult(command: command, outcome: "note", reason: text), from: source)
        case .planned:
            break
        }
    }
}
