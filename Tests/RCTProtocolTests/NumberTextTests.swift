import Testing
@testable import RCTProtocol

@Suite("Numbers as people read them")
struct NumberTextTests {
    @Test("Four significant digits, all integer digits, no trailing zeros", arguments: [
        (0.55, "0.55"), (0.6201432, "0.6201"), (230.456, "230.5"), (49.987, "49.99"), (6000, "6000"),
        (12_345_678.9, "12345679"), (-412.25, "-412.3"), (0.000123456, "0.0001235"), (0, "0"), (-0.00001, "-0.00001"),
        (1, "1"), (410.5, "410.5"), (Double(Float(0.3)), "0.3"), (1e-15, "0"),
    ])
    func significant(value: Double, text: String) {
        #expect(NumberText.format(value) == text)
    }

    @Test("Fractions as percentages with one decimal", arguments: [
        (0.6201432, "62.0"), (0.55, "55.0"), (1, "100.0"), (0, "0.0"), (0.07, "7.0"), (0.0049, "0.5"),
    ])
    func percent(fraction: Double, text: String) {
        #expect(NumberText.percent(fraction) == text)
    }

    @Test("Any float the wire can carry is written, never trapped on: huge, tiny, infinite, NaN", arguments: [
        Double(Float.greatestFiniteMagnitude), -Double(Float.greatestFiniteMagnitude), 1e20, -9.3e18, 9.0e15, 1e16,
        Double(Float.leastNonzeroMagnitude), Double(Float.infinity), -Double(Float.infinity), Double(Float.nan),
    ])
    func extremes(value: Double) throws {
        let text = NumberText.format(value)
        #expect(!text.isEmpty)
        #expect(!NumberText.percent(value).isEmpty)
        #expect(!WriteRule.format(value, decimals: 3).isEmpty)
        if value.isFinite && abs(value) >= NumberText.scientificFrom {
            let read = try #require(Double(text), "\(text)")
            #expect(abs(read - value) <= abs(value) * 5e-4, "\(text)")
        }
    }

    @Test("From 10^15 on: four significant digits and a power of ten", arguments: [
        (1.2239686789009889e40, "1.224e+40"), (-1232644603904000.0, "-1.233e+15"), (9.99996e15, "1e+16"),
        (Double(Float.greatestFiniteMagnitude), "3.403e+38"), (1e15, "1e+15"), (999_999_999_999_999, "999999999999999"),
        (-1e38, "-1e+38"), (9.99949e22, "9.999e+22"), (9.99951e22, "1e+23"), (1.0000001e23, "1e+23"),
        (Double.greatestFiniteMagnitude, "1.798e+308"), (1e308, "1e+308"), (4.5e307, "4.5e+307"),
    ])
    func scientific(value: Double, text: String) {
        #expect(NumberText.format(value) == text)
    }

    @Test("Scientific notation over every decimal exponent: the mantissa from 1 to below 10, the value kept", arguments: 15...308)
    func everyExponent(exponent: Int) throws {
        let power = try #require(Double("1e\(exponent)"))
        for value in [power, power.nextDown, power.nextUp, power * 1.0004, power * 9.9994, power * 3.3].filter({ $0.isFinite && $0 >= NumberText.scientificFrom }) {
            let text = NumberText.format(value)
            let parts = text.split(separator: "e+")
            let mantissa = try #require(Double(String(parts[0])), "\(text)")
            #expect(parts.count == 2 && mantissa >= 1 && mantissa < 10, "\(value): \(text)")
            let read = try #require(Double(text), "\(text)")
            #expect(abs(read - value) <= value * 5e-4, "\(value): \(text)")
        }
    }

    @Test("Every object listed as a fraction exists, and the list covers every float with a % unit")
    func fractions() {
        let fractions = Registry.standard.objects.filter(\.isFraction).map(\.name)
        #expect(fractions.count == 11)
        for object in Registry.standard.objects where object.unit == "%" {
            #expect(object.isFraction, "\(object.name) has unit % but is not listed as a fraction")
        }
        #expect(Registry.standard.object(named: "power_mng.soc_min")?.displayUnit == "%")
        #expect(Registry.standard.object(named: "battery.voltage")?.displayUnit == "V")
    }

    @Test("A fraction list naming an unknown object is refused")
    func unknownFraction() {
        #expect(throws: RegistryError.unknownName("b")) {
            try Registry(table: "0x1\ta\tfloat\tfloat", fractions: "b\twhy")
        }
    }
}
