/// How numbers are written for people: with the precision the quantity deserves, not
/// every binary digit of a float.
///
/// The rule, in one place for every command: four significant digits, but never fewer
/// than the digits before the point (an energy counter of 12345678 Wh stays whole), with
/// trailing zeros after the point left off; from 10^15 on, four significant digits and a power
/// of ten (`1.224e+40`). Fractions from 0 to 1 (``ObjectInfo/isFraction``)
/// are written as percentages with one decimal: 0.6201432 is `62.0`.
public enum NumberText {
    /// Significant digits kept.
    public static let significantDigits = 4

    /// `value` with four significant digits (all of its integer digits), e.g. `0.55`,
    /// `230.5`, `12345678`.
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        guard value != 0 else { return "0" }
        if abs(value) >= scientificFrom { return scientific(value) }
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
        if abs(fraction * 100) >= scientificFrom { return scientific(fraction * 100) }
        return WriteRule.format(fraction * 100, decimals: 1)
    }

    /// From this magnitude on, numbers are written in scientific notation. No real quantity
    /// of an inverter comes near it; a float from a broken or random payload can be 3.4e38,
    /// whose whole digits would say nothing.
    public static let scientificFrom = 1e15

    /// `value` as four significant digits and a power of ten, e.g. `-1.233e+15`.
    private static func scientific(_ value: Double) -> String {
        var mantissa = abs(value)
        var exponent = 0
        while mantissa >= 10 {
            mantissa /= 10
            exponent += 1
        }
        var digits = WriteRule.format(mantissa, decimals: significantDigits - 1)
        if digits.hasPrefix("10") {
            exponent += 1
            digits = WriteRule.format(mantissa / 10, decimals: significantDigits - 1)
        }
        return (value < 0 ? "-" : "") + trimmed(digits) + "e+\(exponent)"
    }

    /// `text` without trailing zeros after a decimal point (and without a bare point).
    /// Works on the UTF-8 bytes: this runs for every number of a dump.
    private static func trimmed(_ text: String) -> String {
        let bytes = text.utf8
        guard bytes.contains(UInt8(ascii: ".")) else { return text }
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[bytes.index(before: end)] == UInt8(ascii: "0") { end = bytes.index(before: end) }
        if end > bytes.startIndex, bytes[bytes.index(before: end)] == UInt8(ascii: ".") { end = bytes.index(before: end) }
        let result = Substring(bytes[..<end])
        return result == "-0" ? "0" : String(result)
    }
}
