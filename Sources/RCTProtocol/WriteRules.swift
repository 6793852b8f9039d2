/// The writable parameters users actually set, with the limits this tool enforces.
///
/// The vendor publishes no limits; these follow community knowledge (see
/// `Documentation/Safety.md`). Anything not listed here cannot be written with `rct`.
public enum WriteRules {
    /// How far a float read back may be from the value written and still confirm it.
    public static let floatTolerance = 0.005

    /// The battery power limit in W that `rct serve` clamps `battery_power_extern` to by
    /// default: the range of the write table.
    public static let defaultBatteryPowerLimit = 6000.0

    private static let fraction = WriteRule.Kind.number(range: 0...1, decimals: 2)

    /// The id of the strategy selector.
    public static let socStrategyID = ObjectID(0xF168B748)
    /// The id of the external battery power setpoint.
    public static let batteryPowerExternID = ObjectID(0xBD008E29)
    /// The id of the minimum state of charge.
    public static let socMinID = ObjectID(0xCE266F0F)
    /// The id of the maximum state of charge.
    public static let socMaxID = ObjectID(0x97997C93)
    /// The id of the grid recharge threshold.
    public static let socChargeID = ObjectID(0xBD3A23C3)
    /// The id of the switch that allows charging from the grid.
    public static let useGridPowerID = ObjectID(0x36A9E9A6)

    /// Strategy values of ``socStrategyID``.
    public enum Strategy {
        /// The battery follows an external setpoint (``batteryPowerExternID``).
        public static let external: Int64 = 2
        /// The inverter's own management; the factory setting.
        public static let `internal`: Int64 = 4
    }

    /// Every writable parameter.
    public static let all: [WriteRule] = [
        WriteRule(name: "power_mng.soc_strategy", id: socStrategyID, type: .enumeration,
                  kind: .choice([
                      EnumLabel(value: 0, label: "SOC"), EnumLabel(value: 1, label: "Constant"),
                      EnumLabel(value: 2, label: "External"), EnumLabel(value: 3, label: "Middle battery voltage"),
                      EnumLabel(value: 4, label: "Internal"), EnumLabel(value: 5, label: "Schedule"),
                  ]),
                  defaultValue: .integer(4),
                  note: "when an external mode ends the device may fall back to 4 (Internal)"),
        WriteRule(name: "power_mng.soc_target_set", id: ObjectID(0xD1DFC969), type: .float, kind: fraction,
                  defaultValue: .float(0.5)),
        WriteRule(name: "power_mng.battery_power_extern", id: batteryPowerExternID, type: .float,
                  kind: .number(range: -6000...6000, decimals: 0), defaultValue: .float(0), unit: "W",
                  note: "positive discharges, negative charges; hand control back with 0; through rct serve, values beyond its --battery-power-limit (default 6000 W) are clamped to it"),
        WriteRule(name: "power_mng.soc_min", id: socMinID, type: .float, kind: fraction, defaultValue: .float(0.07)),
        WriteRule(name: "power_mng.soc_max", id: socMaxID, type: .float, kind: fraction, defaultValue: .float(0.97)),
        WriteRule(name: "power_mng.soc_charge_power", id: ObjectID(0x1D2994EA), type: .float,
                  kind: .number(range: 0...6000, decimals: 0), defaultValue: .float(100), unit: "W"),
        WriteRule(name: "power_mng.soc_charge", id: socChargeID, type: .float, kind: fraction,
                  defaultValue: .float(0.05),
                  note: "keep below soc_min; on some firmware writing it also moves soc_min and soc_min_island"),
        WriteRule(name: "power_mng.soc_min_island", id: ObjectID(0x8EBF9574), type: .float, kind: fraction,
                  defaultValue: .float(0.07)),
        WriteRule(name: "power_mng.use_grid_power_enable", id: useGridPowerID, type: .bool, kind: .flag,
                  defaultValue: .bool(false)),
        WriteRule(name: "p_rec_lim[1]", id: ObjectID(0x54829753), type: .float,
                  kind: .number(range: 0...6000, decimals: 0), defaultValue: nil, unit: "W"),
        WriteRule(name: "buf_v_control.power_reduction", id: ObjectID(0xFE1AA500), type: .float,
                  kind: .number(range: 0...1, decimals: 3), defaultValue: .float(1)),
    ]

    /// The rule for a parameter name, if it is writable.
    public static func rule(named name: String) -> WriteRule? {
        all.first { $0.name == name }
    }

    /// The rule for an id, if it is writable.
    public static func rule(for id: ObjectID) -> WriteRule? {
        all.first { $0.id == id }
    }

    /// Checks the rules that tie parameters together, on the values they will have after a write.
    ///
    /// `settings` maps ids to the values in effect (current values overlaid with the new ones);
    /// a rule whose parameters are not all present is not checked.
    public static func crossCheck(_ settings: [ObjectID: Value]) -> [CrossFieldFinding] {
        var findings: [CrossFieldFinding] = []
        let minimum = settings[socMinID]?.numericValue
        if let minimum, let maximum = settings[socMaxID]?.numericValue, minimum > maximum + floatTolerance / 10 {
            findings.append(.error("power_mng.soc_min (\(WriteRule.format(minimum, decimals: 2))) must not exceed power_mng.soc_max (\(WriteRule.format(maximum, decimals: 2)))"))
        }
        if let minimum, let charge = settings[socChargeID]?.numericValue, charge >= minimum {
            findings.append(.warning("power_mng.soc_charge (\(WriteRule.format(charge, decimals: 2))) should stay below power_mng.soc_min (\(WriteRule.format(minimum, decimals: 2))), or the battery recharges from the grid as soon as it reaches its minimum"))
        }
        return findings
    }
}

/// The outcome of a rule that ties parameters together.
public enum CrossFieldFinding: Sendable, Hashable, CustomStringConvertible {
    /// The combination is refused; nothing may be written.
    case error(String)
    /// The combination is allowed but probably not meant.
    case warning(String)

    /// Whether the finding refuses the write.
    public var isError: Bool { if case .error = self { true } else { false } }

    public var description: String {
        switch self {
        case let .error(text), let .warning(text): text
        }
    }
}
