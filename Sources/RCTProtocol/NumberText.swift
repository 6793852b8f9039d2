/// How numbers are written for people: with the precision the quantity deserves, not
/// every binary digit of a float.
///
/// The rule, in one place for every command: four significant digits, but never fewer
/// than the digits before the point (an energy counter of 12345678 Wh stays whole), with
/// trailing zeros after the point left off. Fractions from 0 to 1 (``ObjectInfo/isFraction``)
/// are written as percentages with one decimal: 0.6201432 is `62.0`.
public enum NumberText {
    /// Significant digits kept.
    public static let significantDigits = 4

    /// `value` with four significant digits (all of its integer digits), e.g. `0.55`,
    /// `230.5`, `12345678`.
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        guard value != 0 else { return "0" }
        var magnitude = abs(value)
        var decimals = significantDigits - 1
        while magnitude >= 10 && decimals > 0 {
            magnitude /= 10
            decimals -= 1
        }
        while magnitude < 1 && decimals < 12 {
            magnitude *= 10
            decimals += 1
        }
        return trimmed(WriteRule.format(value, decimals: decimals))
    }

    /// A fraction as a percentage with one decimal, without the sign, e.g. `62.0`.
    public static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "\(fraction)" }
        return WriteRule.format(fraction * 100, decimals: 1)
    }

    /// `text` without trailing zeros after a decimal point (and without a bare point).
    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var result = Substring(text)
        while result.last == "0" { result = result.dropLast() }
        if result.last == "." { result = result.dropLast() }
        return result == "-0" ? "0" : String(result)
    }
}
