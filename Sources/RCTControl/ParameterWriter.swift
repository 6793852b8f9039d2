import RCTProtocol
import RCTTransport

/// What a verified write did.
public struct WriteOutcome: Sendable, Equatable {
    /// The parameter.
    public let rule: WriteRule
    /// The value before.
    public let old: Value
    /// The value asked for.
    public let new: Value
    /// Whether a WRITE frame went out.
    public let written: Bool
    /// Whether the value read back matches `new`.
    public let verified: Bool
}

/// Sets writable parameters safely: read first, write only when different, read back to verify.
///
/// A write is sent once and never retried: if its read-back does not match, the caller
/// hears about it instead of the inverter hearing the write again.
public struct ParameterWriter {
    /// The client used.
    public let client: Client
    /// How often a read-back that does not match yet is read again (reads are safe to repeat).
    public var readBackAttempts = 3
    /// Seconds between read-backs.
    public var readBackPause = 0.3

    /// A writer over `client`.
    public init(client: Client) { self.client = client }

    /// The current value of a writable parameter.
    public func current(_ rule: WriteRule) throws(ControlError) -> Value {
        do {
            return try client.read(object(for: rule))
        } catch {
            throw .client(error)
        }
    }

    /// Checks the rules that tie parameters together with `changes` applied to the current
    /// values; returns the warnings, throws for errors. Only reads are sent.
    public func crossCheck(_ changes: [ObjectID: Value]) throws(ControlError) -> [String] {
        let related = [WriteRules.socMinID, WriteRules.socMaxID, WriteRules.socChargeID]
        guard changes.keys.contains(where: related.contains) else { return [] }
        var settings = changes
        for id in related where settings[id] == nil {
            guard let rule = WriteRules.rule(for: id) else { continue }
            settings[id] = try current(rule)
        }
        let findings = WriteRules.crossCheck(settings)
        if let error = findings.first(where: \.isError) { throw .refused(error.description) }
        return findings.map(\.description)
    }

    /// Sets `rule`'s parameter to `value` (already validated) and verifies it.
    ///
    /// With `force` the value is written even when the device already has it. `current` is
    /// the value just read, when the caller has it, so it is not read twice.
    public func set(_ rule: WriteRule, to value: Value, force: Bool = false, current known: Value? = nil) throws(ControlError) -> WriteOutcome {
        let value = try rule.validated(value)
        let old: Value
        if let known { old = known } else { old = try current(rule) }
        if !force && rule.matches(old, value) {
            return WriteOutcome(rule: rule, old: old, new: value, written: false, verified: true)
        }
        do {
            try client.write(value, to: object(for: rule))
        } catch {
            throw .client(error)
        }
        var readBack = old
        for attempt in 0..<readBackAttempts {
            if attempt > 0 { pause(readBackPause) }
            readBack = try current(rule)
            if rule.matches(readBack, value) {
                return WriteOutcome(rule: rule, old: old, new: value, written: true, verified: true)
            }
        }
        throw .verificationFailed(name: rule.name, wrote: rule.describe(value), readBack: rule.describe(readBack))
    }

    private func object(for rule: WriteRule) -> ObjectInfo {
        Registry.standard.object(id: rule.id)
            ?? ObjectInfo(id: rule.id, name: rule.name, requestType: rule.type, responseType: rule.type)
    }
}

/// Sleeps for `seconds` without holding anything; used between read-backs and scenario polls.
func pause(_ seconds: Double) {
    let deadline = Deadline.after(seconds: seconds)
    while !deadline.hasPassed {
        if Interruption.signal != nil { return }
        let slice = min(deadline.remainingSeconds, 0.05)
        usleepSeconds(slice)
    }
}

extension WriteRule {
    /// `value` if this rule accepts it, else the refusal.
    func validated(_ value: Value) throws(ControlError) -> Value {
        do {
            try validate(value)
        } catch {
            throw .refused(error.description)
        }
        return value
    }
}
