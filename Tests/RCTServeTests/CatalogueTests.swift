import RCTControl
import RCTProtocol
import Testing
@testable import RCTServe

@Suite("Home Assistant catalogue")
struct CatalogueTests {
    let catalogue = Catalogue.standard

    @Test("The built-in catalogue reads, with unique keys, metric names in Prometheus' alphabet, and every writable power_mng parameter")
    func builtIn() {
        #expect(catalogue.entries.count >= 25)
        #expect(Set(catalogue.entries.map(\.key)).count == catalogue.entries.count)
        for entry in catalogue.entries {
            if let metric = entry.metric {
                #expect(metric.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(metric)")
                #expect(entry.isMonotonic == metric.hasSuffix("_watt_hours_total"), "\(metric)")
            }
            if entry.isSetting { #expect(entry.rule != nil, "\(entry.key)") }
        }
        let published = Set(catalogue.entries.filter(\.isSetting).map(\.object.id))
        for rule in WriteRules.all where rule.name.hasPrefix("power_mng.") {
            #expect(published.contains(rule.id), "\(rule.name) is writable but not in the catalogue")
        }
        for name in ["battery.soc", "g_sync.p_acc_lp", "g_sync.p_ac_grid_sum_lp", "g_sync.p_ac_load_sum_lp",
                     "dc_conv.dc_conv_struct[0].p_dc_lp", "energy.e_grid_feed_total", "battery.voltage",
                     "battery.temperature", "battery.soh", "prim_sm.state", "fault[0].flt"] {
            #expect(catalogue.entries.contains { $0.object.name == name }, "\(name)")
        }
        #expect(catalogue.presets.map(\.key) == ["factory", "winter", "storm"])
    }

    @Test("Every reserve preset passes the write rules and keeps soc_charge below soc_min")
    func presets() throws {
        for preset in catalogue.presets {
            try ScenarioRunner.reserveValues(minimum: preset.minimum, charge: preset.charge)
        }
    }

    @Test("A broken row is refused with its line and reason", arguments: [
        ("k\tno.such.object\tsensor\t-\t-\t-\t-\tfast\t-\t-\tName", "not in the registry"),
        ("k\tbattery.soc\tgauge\t-\t-\t-\t-\tfast\t-\t-\tName", "unknown component"),
        ("k\tbattery.soc\tsensor\t-\t-\t-\tmega\tfast\t-\t-\tName", "unknown scale"),
        ("k\tbattery.soc\tsensor\t-\t-\t-\t-\thourly\t-\t-\tName", "fast or slow"),
        ("k\tbattery.voltage\tsensor\t-\t-\t-\tpercent\tfast\t-\t-\tName", "not a fraction"),
        ("k\tbattery.soc\tnumber\t-\t-\t-\t-\tfast\t-\t-\tName", "no write rule"),
        ("k k\tbattery.soc\tsensor\t-\t-\t-\t-\tfast\t-\t-\tName", "letters, digits"),
        ("k\tbattery.soc\tsensor", "3 fields"),
    ])
    func brokenRow(row: String, reason: String) {
        #expect {
            _ = try Catalogue(table: "# header\n" + row + "\n", presets: "")
        } throws: { error in
            let text = "\(error)"
            return text.contains("line 2") && text.contains(reason)
        }
    }
}
