import RCTProtocol

/// What the gateway does with one frame a client sent: the write policy of `rct serve`.
///
/// Nothing a client sends reaches the inverter unless this says so. Reads pass. Requests
/// for history (timeseries and the event table) go out as WRITE frames but change nothing,
/// so they pass as reads. READ_PERIODICALLY would register the object in a list that the
/// device keeps for every client, so it is answered once, as a READ, and never forwarded.
/// Every other WRITE is refused unless writes are allowed, and then it must be a parameter
/// of the write table with a value its rule accepts; it is then carried out as `rct set`
/// does it (cross-checked, written once, read back), not forwarded as it came. Values from
/// automation are taken as ``WriteRule/adapt(_:)`` says: a number finer than the
/// parameter's step is rounded to it, `battery_power_extern` beyond the battery power limit
/// is clamped to it.
public enum RequestPolicy {
    /// The decision for one client frame.
    public enum Decision: Sendable, Equatable {
        /// Forward this request (a READ, or a history request) and route its answer back.
        case read(Frame)
        /// Carry out this verified write for the client; `adjusted` says how the value sent
        /// was rounded or clamped, if it was.
        case write(WriteRule, Value, adjusted: String? = nil)
        /// Refuse: nothing is sent upstream and the client gets no answer; the reason is logged.
        case refused(String)
        /// Not a request at all (a client sent an answer frame): dropped silently.
        case ignored
    }

    /// What to do with `frame` from a client; `allowsWrites` is `--allow-writes`, `powerLimit`
    /// the battery power limit in W (`--battery-power-limit`).
    public static func decide(_ frame: Frame, allowsWrites: Bool, powerLimit: Double = WriteRules.defaultBatteryPowerLimit,
                              registry: Registry = .standard) -> Decision {
        switch frame.command {
        case .response, .longResponse, .plantResponse, .plantLongResponse:
            return .ignored
        case .read, .plantRead:
            return .read(frame)
        case .readPeriodically, .plantReadPeriodically:
            // Answered once; the device-wide periodic list is left alone.
            let command: Command = frame.command.isPlant ? .plantRead : .read
            return .read(Frame(command: command, objectID: frame.objectID, address: frame.address))
        case .write, .longWrite, .plantWrite, .plantLongWrite:
            if let object = registry.object(id: frame.objectID), object.isHistory {
                guard case .integer? = try? ValueCodec.decode(frame.payload, as: .int32) else {
                    return .refused("a history request for \(object.name) must carry a 4-byte timestamp")
                }
                return .read(frame)
            }
            let name = registry.object(id: frame.objectID)?.name ?? frame.objectID.description
            guard allowsWrites else {
                return .refused("write to \(name) refused: the gateway is read-only (start it with --allow-writes)")
            }
            guard !frame.command.isPlant else {
                return .refused("plant write to \(name) refused: only the inverter's own parameters can be written")
            }
            guard let rule = WriteRules.rule(for: frame.objectID) else {
                return .refused("write to \(name) refused: not a parameter rct can write")
            }
            let value: Value
            do {
                value = try ValueCodec.decode(frame.payload, as: rule.type)
            } catch {
                switch error {
                case let .sizeMismatch(type, expected, actual):
                    return .refused("write to \(rule.name) refused: the write carried \(actual) bytes, a \(type.rawValue) value takes \(expected)")
                }
            }
            do {
                let limited = rule.limitingPower(to: powerLimit)
                let (adapted, change) = try limited.adapt(value)
                return .write(limited, adapted, adjusted: change.map { "\(rule.name): \($0)" })
            } catch {
                return .refused("write refused: \(error.description)")
            }
        }
    }
}
