import Testing
@testable import RCTProtocol

@Suite("Write rules")
struct WriteRuleTests {
    func rule(_ name: String) throws -> WriteRule { try #require(WriteRules.rule(named: name)) }

    @Test("Enum values by number, label or unique prefix, any case", arguments: [
        ("2", Int64(2)), ("External", 2), ("extern", 2), ("EXTERNAL", 2), ("internal", 4), ("  4 ", 4),
        ("soc", 0), ("middle", 3), ("sch", 5),
    ])
    func enumParsing(text: String, expected: Int64) throws {
        #expect(try rule("power_mng.soc_strategy").parse(text) == .integer(expected))
    }

    @Test("The enum error names every accepted value")
    func enumError() throws {
        let error = #expect(throws: WriteValidationError.self) { try rule("power_mng.soc_strategy").parse("7") }
        #expect(error?.description == "power_mng.soc_strategy accepts 0..5 (0 SOC, 1 Constant, 2 External, 3 Middle battery voltage, 4 Internal, 5 Schedule); got 7")
    }

    @Test("Bad enum text is refused", arguments: ["", "-1", "6", "e", "ex", "2.0", "externalx"])
    func enumRefused(text: String) throws {
        #expect(throws: WriteValidationError.self) { try rule("power_mng.soc_strategy").parse(text) }
    }

    @Test("Numbers within range and decimals are accepted", arguments: [
        ("power_mng.soc_min", "0.3", Float(0.3)), ("power_mng.soc_min", "0", 0), ("power_mng.soc_min", "1.00", 1),
        ("power_mng.battery_power_extern", "-6000", -6000), ("power_mng.battery_power_extern", "+250", 250),
        ("buf_v_control.power_reduction", "0.705", 0.705),
    ])
    func numbers(name: String, text: String, expected: Float) throws {
        #expect(try rule(name).parse(text) == .float(expected))
    }

    @Test("Each kind of bad number gets its own reason", arguments: [
        ("power_mng.soc_min", "1.5", "power_mng.soc_min accepts 0.00..1.00 with at most 2 decimals (or 0..100 %); got 1.5; the nearest it takes is 100 %"),
        ("power_mng.soc_min", "0.075", "power_mng.soc_min accepts 0.00..1.00 with at most 2 decimals (or 0..100 %); got 0.075 (too many decimals); the nearest it takes is 8 %"),
        ("power_mng.soc_min", "55.43%", "power_mng.soc_min accepts 0.00..1.00 with at most 2 decimals (or 0..100 %); got 55.43% (a whole number is needed); the nearest it takes is 55 %"),
        ("power_mng.soc_min", "abc", "power_mng.soc_min accepts 0.00..1.00 with at most 2 decimals (or 0..100 %); got abc (not a number)"),
        ("power_mng.soc_min", "nan", "power_mng.soc_min accepts 0.00..1.00 with at most 2 decimals (or 0..100 %); got nan (NaN is not a number it can take)"),
        ("power_mng.soc_min", "-inf", "power_mng.soc_min accepts 0.00..1.00 with at most 2 decimals (or 0..100 %); got -inf (infinity is not a number it can take)"),
        ("power_mng.soc_min", "", "power_mng.soc_min accepts 0.00..1.00 with at most 2 decimals (or 0..100 %); got nothing (not a number)"),
        ("power_mng.soc_min", "1e-1", "power_mng.soc_min accepts 0.00..1.00 with at most 2 decimals (or 0..100 %); got 1e-1 (not a number)"),
        ("power_mng.soc_min", ".5", "power_mng.soc_min accepts 0.00..1.00 with at most 2 decimals (or 0..100 %); got .5 (not a number)"),
        ("power_mng.battery_power_extern", "6000.5", "power_mng.battery_power_extern accepts whole numbers -6000..6000 W; got 6000.5 (a whole number is needed); the nearest it takes is 6000"),
        ("power_mng.battery_power_extern", "-7000", "power_mng.battery_power_extern accepts whole numbers -6000..6000 W; got -7000; the nearest it takes is -6000"),
        ("power_mng.soc_charge_power", "-1", "power_mng.soc_charge_power accepts whole numbers 0..6000 W; got -1; the nearest it takes is 0"),
    ])
    func numberErrors(name: String, text: String, message: String) throws {
        let error = #expect(throws: WriteValidationError.self) { try rule(name).parse(text) }
        #expect(error?.description == message)
    }

    @Test("Booleans in the usual spellings", arguments: [("true", true), ("On", true), ("1", true), ("yes", true), ("false", false), ("off", false), ("0", false), ("NO", false)])
    func booleans(text: String, expected: Bool) throws {
        #expect(try rule("power_mng.use_grid_power_enable").parse(text) == .bool(expected))
    }

    @Test("Other boolean text is refused")
    func booleanRefused() throws {
        let error = #expect(throws: WriteValidationError.self) { try rule("power_mng.use_grid_power_enable").parse("maybe") }
        #expect(error?.description == "power_mng.use_grid_power_enable accepts true or false (also 1/0, on/off, yes/no); got maybe")
    }

    @Test("Computed values are validated too")
    func validateValues() throws {
        let power = try rule("power_mng.battery_power_extern")
        #expect(throws: Never.self) { try power.validate(.float(-6000)) }
        #expect(throws: WriteValidationError.self) { try power.validate(.float(.nan)) }
        #expect(throws: WriteValidationError.self) { try power.validate(.float(.infinity)) }
        #expect(throws: WriteValidationError.self) { try power.validate(.float(6001)) }
        #expect(throws: WriteValidationError.self) { try power.validate(.integer(1)) }
        #expect(throws: WriteValidationError.self) { try rule("power_mng.soc_strategy").validate(.integer(9)) }
    }

    @Test("Floats match within 0.005; other values exactly")
    func matching() throws {
        let soc = try rule("power_mng.soc_min")
        #expect(soc.matches(.float(0.30), .float(0.304)))
        #expect(!soc.matches(.float(0.30), .float(0.306)))
        #expect(try rule("power_mng.soc_strategy").matches(.integer(2), .integer(2)))
        #expect(try !rule("power_mng.soc_strategy").matches(.integer(2), .integer(4)))
    }

    @Test("soc_min above soc_max is an error; soc_charge not below soc_min a warning")
    func crossField() {
        let refused = WriteRules.crossCheck([WriteRules.socMinID: .float(0.5), WriteRules.socMaxID: .float(0.4)])
        #expect(refused.count == 1 && refused[0].isError)
        let warned = WriteRules.crossCheck([WriteRules.socMinID: .float(0.3), WriteRules.socChargeID: .float(0.3)])
        #expect(warned.count == 1 && !warned[0].isError)
        let fine = WriteRules.crossCheck([WriteRules.socMinID: .float(0.3), WriteRules.socMaxID: .float(0.97),
                                          WriteRules.socChargeID: .float(0.28)])
        #expect(fine.isEmpty)
    }

    @Test("Descriptions of values read like user input")
    func describe() throws {
        #expect(try rule("power_mng.soc_strategy").describe(.integer(2)) == "2 (External)")
        #expect(try rule("power_mng.soc_min").describe(.float(0.07)) == "7 %")
        #expect(try rule("buf_v_control.power_reduction").describe(.float(0.955)) == "95.5 %")
        #expect(try rule("power_mng.battery_power_extern").describe(.float(-6000)) == "-6000")
    }

    @Test("Fractions also take a percentage, with two decimals fewer", arguments: [
        ("30%", Float(0.30)), ("30 %", Float(0.30)), ("7%", Float(0.07)), ("100%", Float(1)), ("0%", Float(0)),
    ])
    func percentInput(text: String, expected: Float) throws {
        #expect(try rule("power_mng.soc_min").parse(text) == .float(expected))
        #expect(try rule("power_mng.soc_min").parse(text) == (try rule("power_mng.soc_min").parse(expected == 1 ? "1.00" : "\(expected)")))
    }

    @Test("A percentage is refused where it does not fit", arguments: [
        ("power_mng.soc_min", "30.5%", "a whole number is needed"),
        ("power_mng.soc_min", "130%", nil),
        ("power_mng.soc_min", "-5%", nil),
        ("power_mng.soc_min", "%", "not a number"),
        ("power_mng.battery_power_extern", "50%", "not a number"),
    ] as [(String, String, String?)])
    func percentRefused(name: String, text: String, reason: String?) throws {
        let error = #expect(throws: WriteValidationError.self) { try rule(name).parse(text) }
        #expect(error?.got == text)
        if let reason { #expect(error?.reason == reason) }
    }
}
