/// Text built as UTF-8 bytes: the one implementation of how numbers, hex and timestamps are
/// written, fast enough for dumps of millions of lines. The `String` forms
/// (``NumberText``, ``WriteRule/format(_:decimals:)``, ``ValueText/timestamp(_:)``,
/// ``HexText``) are made from it.
public struct TextBuffer: Sendable {
    /// The text so far.
    public var bytes: [UInt8]

    /// An empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The text as a string.
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// The string made by `body`.
    public static func string(capacity: Int = 32, _ body: (inout TextBuffer) -> Void) -> String {
        var buffer = TextBuffer(capacity: capacity)
        body(&buffer)
        return buffer.string
    }

    /// Appends `text`.
    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends `text` and spaces up to `width` bytes.
    public mutating func append(_ text: String, paddedTo width: Int) {
        let start = bytes.count
        append(text)
        let written = bytes.count - start
        if written < width { bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: width - written)) }
    }

    /// Appends one ASCII byte.
    public mutating func append(ascii byte: UInt8) {
        bytes.append(byte)
    }

    /// Appends `value` in decimal.
    public mutating func appendDecimal(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude, minimumCount: 1)
    }

    /// Appends the decimal digits of `value`, zero-padded to `minimumCount`.
    public mutating func appendDigits(_ value: UInt64, minimumCount: Int) {
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // room for 20 digits
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { scratch in
            repeat {
                scratch[31 - count] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            if count < minimumCount { bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: minimumCount - count)) }
            bytes.append(contentsOf: scratch[(32 - count)...])
        }
    }

    /// Appends `value` in upper-case hex, zero-padded to at least `digits` digits.
    public mutating func appendHex(_ value: UInt64, digits: Int) {
        let count = max(digits, (64 - value.leadingZeroBitCount + 3) / 4)
        for index in 0..<count {
            bytes.append(HexText.digits[Int(truncatingIfNeeded: value >> UInt64(4 * (count - 1 - index))) & 0xF])
        }
    }

    /// Appends `value` with exactly `decimals` digits after the point (see
    /// ``WriteRule/format(_:decimals:)``).
    public mutating func appendFixed(_ value: Double, decimals: Int) {
        guard value.isFinite else { return append("\(value)") }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        // Beyond 2^53 doubles are no longer whole numbers to the last digit, and beyond 2^63
        // they do not fit Int64: a float from the wire can be 3.4e38. Swift's own shortest
        // form says such a number exactly.
        guard abs(value) * scale < 9.0e15 else { return append("\(value)") }
        let scaled = (abs(value) * scale).rounded()
        let whole = UInt64(scaled / scale)
        if value < 0 && scaled != 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(whole, minimumCount: 1)
        if decimals > 0 {
            bytes.append(UInt8(ascii: "."))
            appendDigits(UInt64(scaled - Double(whole) * scale), minimumCount: decimals)
        }
    }

    /// Appends `value` with the precision rule of ``NumberText``.
    public mutating func appendNumber(_ value: Double) {
        guard value.isFinite else { return append("\(value)") }
        guard value != 0 else { return bytes.append(UInt8(ascii: "0")) }
        if abs(value) >= NumberText.scientificFrom { return appendScientific(value) }
        var magnitude = abs(value)
        var decimals = NumberText.significantDigits - 1
        while magnitude >= 10 && decimals > 0 {
            magnitude /= 10
            decimals -= 1
        }
        while magnitude < 1 && decimals < 12 {
            magnitude *= 10
            decimals += 1
        }
        let start = bytes.count
        appendFixed(value, decimals: decimals)
        trimZeros(from: start)
    }

    /// Appends a fraction as a percentage with one decimal, e.g. `62.0`.
    public mutating func appendPercent(_ fraction: Double) {
        guard fraction.isFinite else { return append("\(fraction)") }
        if abs(fraction * 100) >= NumberText.scientificFrom { return appendScientific(fraction * 100) }
        appendFixed(fraction * 100, decimals: 1)
    }

    /// Appends `value` as four significant digits and a power of ten, e.g. `-1.233e+15`.
    private mutating func appendScientific(_ value: Double) {
        var mantissa = abs(value)
        var exponent: Int64 = 0
        while mantissa >= 10 {
            mantissa /= 10
            exponent += 1
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        appendFixed(mantissa, decimals: NumberText.significantDigits - 1)
        if bytes[start...].starts(with: [UInt8(ascii: "1"), UInt8(ascii: "0")]) {
            // Rounded up to 10: one more power of ten.
            bytes.removeSubrange(start...)
            exponent += 1
            appendFixed(mantissa / 10, decimals: NumberText.significantDigits - 1)
        }
        trimZeros(from: start)
        append("e+")
        appendDecimal(exponent)
    }

    /// Drops trailing zeros after a decimal point written from `start` on, and a bare point;
    /// `-0` becomes `0`.
    private mutating func trimZeros(from start: Int) {
        guard bytes[start...].contains(UInt8(ascii: ".")) else { return }
        while bytes.last == UInt8(ascii: "0") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        if bytes.count - start == 2, bytes[start] == UInt8(ascii: "-"), bytes[start + 1] == UInt8(ascii: "0") {
            bytes.removeSubrange(start...)
            bytes.append(UInt8(ascii: "0"))
        }
    }

    /// Appends seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ` (UTC, proleptic Gregorian).
    public mutating func appendTimestamp(_ seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondsOfDay = seconds - days * 86400
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        if year < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(year.magnitude, minimumCount: year < 0 ? 1 : 4)
        appendTwoDigits(month, after: UInt8(ascii: "-"))
        appendTwoDigits(day, after: UInt8(ascii: "-"))
        appendTwoDigits(secondsOfDay / 3600, after: UInt8(ascii: "T"))
        appendTwoDigits(secondsOfDay % 3600 / 60, after: UInt8(ascii: ":"))
        appendTwoDigits(secondsOfDay % 60, after: UInt8(ascii: ":"))
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Appends `separator` and `number` (0 to 99) as two digits.
    private mutating func appendTwoDigits(_ number: Int64, after separator: UInt8) {
        bytes.append(separator)
        bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: number / 10))
        bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: number % 10))
    }
}
