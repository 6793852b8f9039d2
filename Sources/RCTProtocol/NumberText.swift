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
        TextBuffer.string { $0.appendNumber(value) }
    }

    /// A fraction as a percentage with one decimal, without the sign, e.g. `62.0`.
    public static func percent(_ fraction: Double) -> String {
        TextBuffer.string { $0.appendPercent(fraction) }
    }

    /// From this magnitude on, numbers are written in scientific notation. No real quantity
    /// of an inverter comes near it; a float from a broken or random payload can be 3.4e38,
    /// whose whole digits would say nothing.
    public static let scientificFrom = 1e15
}
