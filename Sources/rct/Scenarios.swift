import ArgumentParser
import RCTControl
import RCTProtocol
import RCTTransport

/// Options shared by the scenarios that force the inverter and hand it back.
struct ScenarioOptions: ParsableArguments {
    @Flag(name: .customLong("dry-run"), help: "Print the plan and send nothing.")
    var dryRun = false

    // Optional, with the default in the help text: swift-argument-parser would print its own
    // default after ours in --help, and only ours reaches the man page.
    @Option(name: .customLong("poll"), help: ArgumentHelp("Seconds between progress reads (default 5).", valueName: "seconds"))
    var pollOption: Double?
    var poll: Double { pollOption ?? 5 }

    @Option(name: .customLong("reassert"), help: ArgumentHelp("Seconds between checks that the forced setting still holds (default 30).", valueName: "seconds"))
    var reassertOption: Double?
    var reassert: Double { reassertOption ?? 30 }

    @Option(name: .customLong("hand-back-attempts"), help: ArgumentHelp("How often to try handing control back before giving up (default 5; waiting 1 s after the first failure and twice as long after each).", valueName: "n"))
    var handBackAttemptsOption: Int?
    var handBackAttempts: Int { handBackAttemptsOption ?? 5 }

    func validate() throws {
        guard (1...20).contains(handBackAttempts) else { throw ValidationError("--hand-back-attempts must be 1 to 20") }
        guard poll >= 0.05 && poll <= 3600 else { throw ValidationError("--poll must be 0.05 to 3600 seconds") }
        guard reassert >= 0.05 && reassert <= 86400 else { throw ValidationError("--reassert must be 0.05 to 86400 seconds") }
    }

    var timing: ScenarioRunner.Timing {
        .init(pollInterval: poll, reassertInterval: reassert, handBackAttempts: handBackAttempts)
    }
}

/// Prints scenario events as text or JSON lines.
struct ScenarioPrinter {
    let json: Bool

    func print(_ event: ScenarioEvent) {
        guard !json else { return JSONLine.print(ScenarioRecord(event)) }
        switch event {
        case let .planned(phase, name, value):
            Console.out("plan \(phase.rawValue): \(name) = \(value)")
        case let .step(phase, outcome):
            let rule = outcome.rule
            let change = outcome.written ? "\(rule.describe(outcome.old)) -> \(rule.describe(outcome.new)), verified"
                : "already \(rule.describe(outcome.old)), verified"
            Console.out("\(phase.rawValue): \(rule.name) \(change)")
        case let .progress(soc, power, remaining):
            // As `rct get` shows them: the state of charge in percent, power in watts.
            let socText = soc.map { OutputText.value(.float(Float($0)), of: Registry.standard.object(named: "battery.soc")) } ?? "?"
            let powerText = power.map { OutputText.value(.float(Float($0)), of: Registry.standard.object(named: "g_sync.p_acc_lp")) } ?? "?"
            let time = remaining.map { "\(DurationText.format($0)) left" } ?? "until stopped"
            Console.out("progress: state of charge \(socText), battery \(powerText), \(time)")
        case let .reasserted(name):
            Console.out("re-asserted \(name) (the device had dropped it)")
        case let .ending(reason):
            Console.out("ending: \(reason); handing control back")
        case let .handBackRetry(attempt, delay, cause):
            Console.out("hand-back attempt \(attempt) failed (\(cause)); trying again in \(WriteRule.format(delay, decimals: 1)) s")
        case let .note(text):
            Console.out("note: \(text)")
        }
    }
}

/// A scenario event as one JSON line: `event` names the kind, the other members depend on
/// it (Documentation/Scenarios.md).
private struct ScenarioRecord: Encodable {
    let event: ScenarioEvent

    init(_ event: ScenarioEvent) { self.event = event }

    private enum CodingKeys: String, CodingKey {
        case event, phase, name, value, soc, power, remainingSeconds = "remaining_seconds", reason, attempt
        case delaySeconds = "delay_seconds", cause, text
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch event {
        case let .planned(phase, name, value):
            try container.encode("plan", forKey: .event)
            try container.encode(phase.rawValue, forKey: .phase)
            try container.encode(name, forKey: .name)
            try container.encode(value, forKey: .value)
        case let .step(phase, outcome):
            try container.encode("step", forKey: .event)
            try container.encode(phase.rawValue, forKey: .phase)
            try WriteRecord(outcome).encode(to: encoder)
        case let .progress(soc, power, remaining):
            try container.encode("progress", forKey: .event)
            try container.encode(OrNull(soc.map(Number.init)), forKey: .soc)
            try container.encode(OrNull(power.map(Number.init)), forKey: .power)
            try container.encode(OrNull(remaining.map { Number($0.rounded()) }), forKey: .remainingSeconds)
        case let .reasserted(name):
            try container.encode("reasserted", forKey: .event)
            try container.encode(name, forKey: .name)
        case let .ending(reason):
            try container.encode("ending", forKey: .event)
            try container.encode(reason, forKey: .reason)
        case let .handBackRetry(attempt, delay, cause):
            try container.encode("hand_back_retry", forKey: .event)
            try container.encode(attempt, forKey: .attempt)
            try container.encode(Number(delay), forKey: .delaySeconds)
            try container.encode(cause, forKey: .cause)
        case let .note(text):
            try container.encode("note", forKey: .event)
            try container.encode(text, forKey: .text)
        }
    }
}

/// Runs a forcing scenario with the shared set-up, output and exit codes.
private func runScenario(_ connection: ConnectionOptions, _ options: ScenarioOptions, signalIsNormalEnd: Bool,
                         _ body: (ScenarioRunner) throws -> Void) throws -> ExitStatus {
    let session = try Session(connection)
    let printer = ScenarioPrinter(json: connection.json)
    let runner = ScenarioRunner(client: session.client, timing: options.timing, reconnect: { try session.reopen() },
                                report: printer.print)
    do {
        try body(runner)
    } catch ControlError.client(.interrupted) where signalIsNormalEnd {
        // Stopping a hold is its normal end; the hand-back has been done and verified.
    }
    return .success
}

struct ChargeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "charge",
        abstract: "Charge the battery from the grid, then hand control back.",
        discussion: """
        Enables grid charging if needed, sets strategy External with battery_power_extern = -POWER, \
        and waits until the state of charge reaches --until-soc or --max-duration passes (default 4h). \
        Then, and also on Ctrl-C, SIGTERM, SIGHUP or a lost link, it hands back: the strategy as it was, \
        battery_power_extern 0, grid charging as it was. Exits 130 when stopped by a signal.
        """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var scenario: ScenarioOptions

    @Option(help: ArgumentHelp("Charging power in watts, 1 to 6000.", valueName: "watts"))
    var power: Double

    @Option(name: .customLong("until-soc"), help: ArgumentHelp("Stop when the state of charge reaches this (0 to 1).", valueName: "fraction"))
    var untilSOC: Double?

    @Option(name: .customLong("max-duration"), help: ArgumentHelp("Stop after this long at the latest: 90s, 15m, 2h (default 4h).", valueName: "duration"))
    var maxDurationOption: String?
    var maxDuration: String { maxDurationOption ?? "4h" }

    func validate() throws {
        guard power >= 1 && power <= 6000 && power == power.rounded() else {
            throw ValidationError("--power accepts whole watts from 1 to 6000; got \(NumberText.format(power))")
        }
        if let untilSOC, !(untilSOC > 0 && untilSOC <= 1) {
            throw ValidationError("--until-soc accepts more than 0 up to 1; got \(NumberText.format(untilSOC))")
        }
        guard DurationText.parse(maxDuration) != nil else {
            throw ValidationError("--max-duration: '\(maxDuration)' is not a duration (e.g. 90s, 15m, 2h)")
        }
    }

    func run() throws {
        try reportingFailures {
            try ModbusSession.refuse("charge", writes: true, connection)
            if scenario.dryRun {
                ScenarioRunner.chargePlan(power: power).forEach(ScenarioPrinter(json: connection.json).print)
                return .success
            }
            return try runScenario(connection, scenario, signalIsNormalEnd: false) { runner in
                try runner.charge(power: power, targetSOC: untilSOC, maxDuration: DurationText.parse(maxDuration) ?? 4 * 3600)
            }
        }
    }
}

struct HoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Lock battery discharge (for example while the car charges), then hand control back.",
        discussion: """
        Sets strategy External with battery_power_extern 0 and holds until --duration passes or you \
        stop it (Ctrl-C, SIGTERM, SIGHUP). Then it hands back: the strategy as it was and \
        battery_power_extern 0. It re-asserts the setting every --reassert seconds and stops if \
        someone else changes the strategy.
        """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var scenario: ScenarioOptions

    @Option(help: ArgumentHelp("How long to hold: 90s, 15m, 2h (default: until stopped).", valueName: "duration"))
    var duration: String?

    func validate() throws {
        if let duration, DurationText.parse(duration) == nil {
            throw ValidationError("--duration: '\(duration)' is not a duration (e.g. 90s, 15m, 2h)")
        }
    }

    func run() throws {
        try reportingFailures {
            try ModbusSession.refuse("hold", writes: true, connection)
            if scenario.dryRun {
                ScenarioRunner.holdPlan.forEach(ScenarioPrinter(json: connection.json).print)
                return .success
            }
            return try runScenario(connection, scenario, signalIsNormalEnd: true) { runner in
                try runner.hold(duration: duration.flatMap(DurationText.parse))
            }
        }
    }
}

struct ReserveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserve",
        abstract: "Set the emergency reserve: soc_min, and soc_charge just below it.",
        discussion: """
        Raises (or lowers) power_mng.soc_min and power_mng.soc_charge together, so the battery \
        recharges from the grid to keep the reserve. --charge defaults to 0.02 below --min. \
        --default restores the factory values 0.07 and 0.05. Both values are verified by reading back.
        """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The reserve, soc_min (0 to 1, two decimals).", valueName: "fraction"))
    var min: String?

    @Option(help: ArgumentHelp("soc_charge, below --min (default: --min minus 0.02).", valueName: "fraction"))
    var charge: String?

    @Flag(name: .customLong("default"), help: "Restore the factory values (0.07 and 0.05).")
    var factoryDefault = false

    @Flag(name: .customLong("dry-run"), help: "Print the plan and send nothing.")
    var dryRun = false

    func validate() throws {
        if factoryDefault == (min != nil) { throw ValidationError("give either --min (with an optional --charge) or --default") }
        if factoryDefault && charge != nil { throw ValidationError("--charge does not go with --default") }
    }

    func run() throws {
        try reportingFailures {
            try ModbusSession.refuse("reserve", writes: true, connection)
            guard let minRule = WriteRules.rule(for: WriteRules.socMinID),
                  let chargeRule = WriteRules.rule(for: WriteRules.socChargeID) else {
                throw Failure("the write rules for soc_min and soc_charge are missing from this build", status: .unavailable)
            }
            let minimum: Double
            let recharge: Double
            if factoryDefault {
                (minimum, recharge) = (0.07, 0.05)
            } else {
                minimum = try minRule.parse(min ?? "").numericValue ?? 0
                recharge = try charge.map { try chargeRule.parse($0).numericValue ?? 0 } ?? (minimum - 0.02)
                guard recharge >= 0 else {
                    throw Failure("power_mng.soc_charge would be below 0; give --charge", status: .badInput)
                }
            }
            try ScenarioRunner.reserveValues(minimum: minimum, charge: recharge)
            let printer = ScenarioPrinter(json: connection.json)
            if dryRun {
                printer.print(.planned(phase: .apply, name: chargeRule.name, value: chargeRule.describe(.float(Float(recharge)))))
                printer.print(.planned(phase: .apply, name: minRule.name, value: minRule.describe(.float(Float(minimum)))))
                return .success
            }
            let session = try Session(connection)
            let runner = ScenarioRunner(client: session.client, reconnect: { try session.reopen() }, report: printer.print)
            try runner.reserve(minimum: minimum, charge: recharge)
            Console.remindNotFlashed()
            return .success
        }
    }
}
