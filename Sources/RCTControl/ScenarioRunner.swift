import RCTProtocol
import RCTTransport

/// Runs the field scenarios so that the inverter is never left in a forced state by accident.
///
/// Every step is a verified write (``ParameterWriter``). Once the forced state is entered,
/// hand-back runs whatever ends the scenario: the normal end, a signal, or a lost link.
/// A failed hand-back is retried with backoff, each time reading first and writing only
/// what is not yet back, and if it still fails the error says exactly what state the
/// inverter may be in.
public final class ScenarioRunner {
    /// Timing of the holding phase and of hand-back.
    public struct Timing: Sendable {
        /// Seconds between progress reads.
        public var pollInterval: Double
        /// Seconds between checks that the forced setting is still in place.
        public var reassertInterval: Double
        /// Hand-back attempts before giving up.
        public var handBackAttempts: Int
        /// Seconds before the first hand-back retry; doubled each time.
        public var handBackBackoff: Double

        /// Progress every 5 s, re-assert every 30 s, hand-back up to 5 times from 1 s.
        public init(pollInterval: Double = 5, reassertInterval: Double = 30, handBackAttempts: Int = 5, handBackBackoff: Double = 1) {
            self.pollInterval = pollInterval
            self.reassertInterval = reassertInterval
            self.handBackAttempts = handBackAttempts
            self.handBackBackoff = handBackBackoff
        }
    }

    private var client: Client
    private let reconnect: () throws -> Client
    private let timing: Timing
    private let report: (ScenarioEvent) -> Void
    private let stopRequest: () -> String?

    /// A runner on `client`; `reconnect` opens a fresh link when the old one was lost.
    /// `stopRequest` is asked while holding (several times a second): a reason ends the hold
    /// and hands back, as the end of the time does; nil holds on.
    public init(client: Client, timing: Timing = Timing(), reconnect: @escaping () throws -> Client,
                stopRequest: @escaping () -> String? = { nil }, report: @escaping (ScenarioEvent) -> Void) {
        self.client = client
        self.timing = timing
        self.reconnect = reconnect
        self.stopRequest = stopRequest
        self.report = report
    }

    // MARK: - Plans

    /// The steps of `charge`, for --dry-run.
    public static func chargePlan(power: Double) -> [ScenarioEvent] {
        [.planned(phase: .enter, name: "power_mng.use_grid_power_enable", value: "true (if it is off; restored afterwards)"),
         .planned(phase: .enter, name: "power_mng.soc_strategy", value: "2 (External)"),
         .planned(phase: .enter, name: "power_mng.battery_power_extern", value: WriteRule.format(-power, decimals: 0)),
         .planned(phase: .handBack, name: "power_mng.soc_strategy", value: "the value before (normally 4, Internal)"),
         .planned(phase: .handBack, name: "power_mng.battery_power_extern", value: "0"),
         .planned(phase: .handBack, name: "power_mng.use_grid_power_enable", value: "the value before")]
    }

    /// The steps of `hold`, for --dry-run.
    public static let holdPlan: [ScenarioEvent] = [
        .planned(phase: .enter, name: "power_mng.soc_strategy", value: "2 (External)"),
        .planned(phase: .enter, name: "power_mng.battery_power_extern", value: "0"),
        .planned(phase: .handBack, name: "power_mng.soc_strategy", value: "the value before (normally 4, Internal)"),
        .planned(phase: .handBack, name: "power_mng.battery_power_extern", value: "0"),
    ]

    // MARK: - Scenarios

    /// Charges the battery from the grid with `power` watts until the state of charge reaches
    /// `targetSOC` or `maxDuration` seconds pass, then hands control back.
    public func charge(power: Double, targetSOC: Double?, maxDuration: Double) throws(ControlError) {
        let extern = try Self.externRule().validated(.float(Float(-power)))
        let before = try snapshot(includeGrid: true)
        var restore: [(WriteRule, Value)] = [(Self.rule(WriteRules.socStrategyID), before.strategy),
                                            (Self.externRule(), .float(0))]
        var enter: [(WriteRule, Value)] = []
        if before.grid == .bool(false) {
            enter.append((Self.rule(WriteRules.useGridPowerID), .bool(true)))
            restore.append((Self.rule(WriteRules.useGridPowerID), .bool(false)))
        } else {
            report(.note("power_mng.use_grid_power_enable is already on; left as it is"))
        }
        enter += [(Self.rule(WriteRules.socStrategyID), .integer(WriteRules.Strategy.external)), (Self.externRule(), extern)]
        try run(enter: enter, restore: restore, until: Deadline.after(seconds: maxDuration)) { soc in
            if let targetSOC, let soc, soc >= targetSOC - 1e-6 {
                return "the state of charge reached \(NumberText.percent(soc)) %"
            }
            return nil
        }
    }

    /// Locks discharge (External with 0 W) for `duration` seconds, or until stopped, then hands back.
    public func hold(duration: Double?) throws(ControlError) {
        let before = try snapshot(includeGrid: false)
        let enter = [(Self.rule(WriteRules.socStrategyID), Value.integer(WriteRules.Strategy.external)),
                     (Self.externRule(), Value.float(0))]
        let restore = [(Self.rule(WriteRules.socStrategyID), before.strategy), (Self.externRule(), Value.float(0))]
        try run(enter: enter, restore: restore, until: duration.map { Deadline.after(seconds: $0) }) { _ in nil }
    }

    /// Sets the emergency reserve: `minimum` for soc_min and `charge` (below it) for soc_charge,
    /// validated together and both verified at the end.
    public func reserve(minimum: Double, charge: Double) throws(ControlError) {
        let minRule = Self.rule(WriteRules.socMinID)
        let chargeRule = Self.rule(WriteRules.socChargeID)
        let (minValue, chargeValue) = try Self.reserveValues(minimum: minimum, charge: charge)
        let writer = ParameterWriter(client: client)
        for warning in try writer.crossCheck([WriteRules.socMinID: minValue, WriteRules.socChargeID: chargeValue]) {
            report(.note(warning))
        }
        // Order the writes so that soc_charge stays below soc_min at every moment: raise soc_min
        // first, lower soc_charge first.
        let currentMin = try writer.current(minRule).numericValue ?? 0
        let order = minimum >= currentMin ? [(minRule, minValue), (chargeRule, chargeValue)]
                                          : [(chargeRule, chargeValue), (minRule, minValue)]
        for (rule, value) in order {
            report(.step(phase: .apply, outcome: try writer.set(rule, to: value)))
        }
        // On some firmware writing soc_charge moves soc_min (and soc_min_island): put it back once.
        if !minRule.matches(try writer.current(minRule), minValue) {
            report(.note("writing power_mng.soc_charge moved power_mng.soc_min; setting it again"))
            report(.step(phase: .apply, outcome: try writer.set(minRule, to: minValue)))
        }
        for (rule, value) in [(chargeRule, chargeValue), (minRule, minValue)] {
            let now = try writer.current(rule)
            guard rule.matches(now, value) else {
                throw .verificationFailed(name: rule.name, wrote: rule.describe(value), readBack: rule.describe(now))
            }
        }
    }

    /// The reserve as the values to write: soc_min and soc_charge, each accepted by its write
    /// rule, with soc_charge below soc_min. Callers use it to refuse bad input before connecting.
    @discardableResult
    public static func reserveValues(minimum: Double, charge: Double) throws(ControlError) -> (minimum: Value, charge: Value) {
        let minValue = try rule(WriteRules.socMinID).validated(.float(Float(minimum)))
        let chargeValue = try rule(WriteRules.socChargeID).validated(.float(Float(charge)))
        guard charge < minimum - 1e-9 else {
            throw .refused("power_mng.soc_charge (\(WriteRule.format(charge, decimals: 2))) must stay below power_mng.soc_min (\(WriteRule.format(minimum, decimals: 2)))")
        }
        return (minValue, chargeValue)
    }

    // MARK: - The forced state and its hand-back

    private struct Snapshot {
        var strategy: Value
        var grid: Value?
    }

    private func snapshot(includeGrid: Bool) throws(ControlError) -> Snapshot {
        let writer = ParameterWriter(client: client)
        let strategy = try writer.current(Self.rule(WriteRules.socStrategyID))
        let grid = includeGrid ? try writer.current(Self.rule(WriteRules.useGridPowerID)) : nil
        return Snapshot(strategy: strategy, grid: grid)
    }

    /// Enters, holds until `deadline` (nil: until stopped) or `finished` says why, hands back.
    private func run(enter: [(WriteRule, Value)], restore: [(WriteRule, Value)], until deadline: Deadline?,
                     finished: (Double?) -> String?) throws(ControlError) {
        var entered = false
        var failure: ControlError?
        do {
            let writer = ParameterWriter(client: client)
            for (rule, value) in enter {
                entered = true
                report(.step(phase: .enter, outcome: try writer.set(rule, to: value)))
            }
            try hold(enter, until: deadline, finished: finished)
        } catch {
            failure = error
        }
        // The reason comes before the hand-back it causes.
        if case let .client(.interrupted(signal))? = failure {
            report(.ending(reason: "stopped by \(Interruption.name(of: signal))"))
        }
        if entered {
            // A signal must not cut the hand-back short.
            Interruption.acknowledge()
            client.options.stopsOnSignal = false
            let keepStrategy: Bool
            if case .changedElsewhere(let name, _, _)? = failure, name == "power_mng.soc_strategy" {
                keepStrategy = true
            } else {
                keepStrategy = false
            }
            let steps = restore.filter { !(keepStrategy && $0.0.id == WriteRules.socStrategyID) }
            try handBack(steps)
        }
        if let failure { throw failure }
    }

    private func hold(_ forced: [(WriteRule, Value)], until deadline: Deadline?, finished: (Double?) -> String?) throws(ControlError) {
        let socObject = Registry.standard.object(named: "battery.soc")
        let powerObject = Registry.standard.object(named: "g_sync.p_acc_lp")
        var nextCheck = Deadline.after(seconds: timing.reassertInterval)
        while true {
            let soc = try socObject.map { (object) throws(ControlError) in try read(object) }?.numericValue
            let power = try powerObject.map { (object) throws(ControlError) in try read(object) }?.numericValue
            report(.progress(soc: soc, power: power, remaining: deadline?.remainingSeconds))
            if let reason = finished(soc) {
                report(.ending(reason: reason))
                return
            }
            if deadline?.hasPassed == true {
                report(.ending(reason: "the time is up"))
                return
            }
            let nextPoll = min(deadline ?? .after(seconds: timing.pollInterval), .after(seconds: timing.pollInterval))
            while !nextPoll.hasPassed && Interruption.signal == nil && stopRequest() == nil {
                pause(min(nextPoll.remainingSeconds, 0.1))
            }
            if let signal = Interruption.signal { throw .client(.interrupted(signal: signal)) }
            if let reason = stopRequest() {
                report(.ending(reason: reason))
                return
            }
            if nextCheck.hasPassed {
                try reassert(forced)
                nextCheck = .after(seconds: timing.reassertInterval)
            }
        }
    }

    private func reassert(_ forced: [(WriteRule, Value)]) throws(ControlError) {
        let writer = ParameterWriter(client: client)
        for (rule, value) in forced {
            let now = try writer.current(rule)
            if rule.matches(now, value) { continue }
            if rule.id == WriteRules.socStrategyID {
                throw .changedElsewhere(name: rule.name, expected: rule.describe(value), found: rule.describe(now))
            }
            if rule.id == WriteRules.useGridPowerID { continue }
            _ = try writer.set(rule, to: value)
            report(.reasserted(name: rule.name))
        }
    }

    private func handBack(_ steps: [(WriteRule, Value)]) throws(ControlError) {
        var delay = timing.handBackBackoff
        var lastCause = ""
        for attempt in 1...max(1, timing.handBackAttempts) {
            do {
                let writer = ParameterWriter(client: client)
                for (rule, value) in steps {
                    // set() reads first and writes only what is not back yet.
                    report(.step(phase: .handBack, outcome: try writer.set(rule, to: value)))
                }
                return
            } catch {
                lastCause = error.description
            }
            guard attempt < timing.handBackAttempts else { break }
            report(.handBackRetry(attempt: attempt, delay: delay, cause: lastCause))
            pause(delay)
            delay *= 2
            if let fresh = try? reconnect() {
                fresh.options.stopsOnSignal = false
                client = fresh
            }
        }
        let state = steps.map { "\($0.0.name) not confirmed back to \($0.0.describe($0.1))" }.joined(separator: ", ")
        throw .handBackFailed(state: state + "; power_mng.soc_strategy may still be 2 (External)", cause: lastCause)
    }

    private func read(_ object: ObjectInfo) throws(ControlError) -> Value {
        do {
            return try client.read(object)
        } catch {
            throw .client(error)
        }
    }

    private static func rule(_ id: ObjectID) -> WriteRule {
        guard let rule = WriteRules.rule(for: id) else { preconditionFailure("no write rule for \(id)") }
        return rule
    }

    private static func externRule() -> WriteRule { rule(WriteRules.batteryPowerExternID) }
}
