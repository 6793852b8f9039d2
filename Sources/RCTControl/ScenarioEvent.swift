import RCTProtocol

/// What a scenario reports as it goes, for text or JSON output.
public enum ScenarioEvent: Sendable, Equatable {
    /// A planned step (dry run): set `name` to `value`, in `phase`.
    case planned(phase: ScenarioPhase, name: String, value: String)
    /// A setting was made (or found already in place) and verified.
    case step(phase: ScenarioPhase, outcome: WriteOutcome)
    /// Progress while holding: state of charge, battery power (W, positive discharging), seconds left.
    case progress(soc: Double?, power: Double?, remaining: Double?)
    /// A setting the device dropped was written again.
    case reasserted(name: String)
    /// Why the holding phase ended.
    case ending(reason: String)
    /// Hand-back could not be done yet; it will be tried again after `delay` seconds.
    case handBackRetry(attempt: Int, delay: Double, cause: String)
    /// Informational line (a skipped step, a warning).
    case note(String)
}

/// The parts of a scenario.
public enum ScenarioPhase: String, Sendable, Equatable {
    /// Putting the inverter into the forced state.
    case enter
    /// Giving control back to the inverter.
    case handBack = "hand_back"
    /// A one-shot change (reserve).
    case apply
}
