import RCTProtocol

/// Believable starting values for every object, so each read gets an answer that looks like a real house.
enum PlausibleValues {
    /// Values with a meaning of their own; everything else follows its unit and type.
    private static let known: [String: Value] = [
        "battery.soc": .float(0.55),
        "battery.soc_target": .float(0.55),
        "battery.soh": .float(0.98),
        "battery.voltage": .float(412.5),
        "battery.temperature": .float(21.5),
        "battery.current": .float(0),
        "battery.stored_energy": .float(1_254_300),
        "battery.used_energy": .float(1_187_600),
        // Since midnight: a sunny half day.
        "energy.e_dc_day[0]": .float(5_240),
        "energy.e_dc_day[1]": .float(3_110),
        "energy.e_grid_feed_day": .float(4_870),
        "energy.e_grid_load_day": .float(1_260),
        "energy.e_load_day": .float(5_930),
        "g_sync.p_ac_load_sum_lp": .float(640),
        "g_sync.p_ac_grid_sum_lp": .float(-1210),
        "g_sync.p_ac_sum_lp": .float(1850),
        "g_sync.p_acc_lp": .float(0),
        "dc_conv.dc_conv_struct[0].p_dc_lp": .float(1250),
        "dc_conv.dc_conv_struct[1].p_dc_lp": .float(700),
        "inverter_sn": .string("SIM0000000000001"),
        "android_description": .string("rct simulator"),
        "svnversion": .string("RCT-SIMULATOR-1"),
        "prim_sm.state": .integer(13),
        "flash_param.write_cycles": .integer(12),
        "flash_param.erase_cycles": .integer(3),
    ]

    /// The value `object` starts with; nil for objects of unknown layout, which get no answer.
    static func initial(for object: ObjectInfo) -> Value? {
        if let value = known[object.name] { return value }
        if let rule = WriteRules.rule(for: object.id), let value = rule.defaultValue { return value }
        switch object.responseType {
        case .bool: return .bool(false)
        case .enumeration: return .integer(Int64(object.labels.first?.value ?? 0))
        case .uint8, .int8, .uint16, .int16, .uint32, .int32: return .integer(0)
        case .float:
            switch object.unit {
            case "V": return .float(230.1)
            case "Hz": return .float(50.0)
            case "°C": return .float(31.0)
            case "A": return .float(1.2)
            case "Wh": return .float(1_234_567)
            case "W": return .float(150)
            default: return .float(0)
            }
        case .string: return .string("")
        case .batteryCells:
            return .batteryCells((0..<24).map { BatteryCell(temperature: 21, millivolts: UInt16(3290 + $0 % 5), status: 0) })
        case .batteryStatistics:
            return .batteryStatistics(BatteryStatistics(
                minimumVoltage: .init(cell: 3, time: 1_700_000_000, value: 3.05),
                maximumVoltage: .init(cell: 17, time: 1_700_003_600, value: 3.45),
                minimumTemperature: .init(cell: 0, time: 1_700_000_000, value: 12),
                maximumTemperature: .init(cell: 9, time: 1_700_007_200, value: 34)))
        case .batteryResistance:
            return .batteryResistance((0..<24).map { 0.5 + Double($0 % 3) / 256 })
        case .timeseries, .eventTable, .unknown:
            return nil
        }
    }

    /// A history answer for a query at `time`: five samples, five minutes apart, before it
    /// (100 to 500, or 0.51 to 0.55 for a log of fractions such as the state of charge).
    static func history(for object: ObjectInfo, at time: Int64) -> Value? {
        switch object.responseType {
        case .timeseries:
            return .timeseries(Timeseries(requestedTime: time, samples: (1...5).map {
                .init(time: time - Int64($0) * 300, value: object.isFraction ? Float(56 - $0) / 100 : Float(100 * $0))
            }))
        case .eventTable:
            return .eventTable(EventTable(requestedTime: time, events: [
                .init(type: 0x73, time: time - 3600, elements: [WriteRules.socStrategyID.rawValue, 4, 2]),
                .init(type: 0x73, time: time - 1800, elements: [WriteRules.socStrategyID.rawValue, 2, 4]),
            ]))
        default:
            return nil
        }
    }
}
