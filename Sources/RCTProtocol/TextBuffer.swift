/// Text built as UTF-8 bytes: the one implementation of how numbers, hex and timestamps are
/// written, fast enough for dumps of millions of lines. The `String` forms
/// (``NumberText``, ``WriteRule/format(_:decimals:)``, ``ValueText/timestamp(_:)``,
/// ``HexText``) are made from it.
public struct TextBuffer: Sendable {
    /// Room for the text: always filled with bytes up to its capacity, so writing needs no
    /// per-byte bookkeeping by the array; the text is its first ``count`` bytes.
    private var storage: [UInt8]
    /// How many bytes of text there are.
    public private(set) var count = 0

    /// An empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 64) {
        storage = Array(repeating: 0, count: max(capacity, 32))
    }

    /// The text as a string.
    public var string: String { String(decoding: storage[..<count], as: UTF8.self) }

    /// How many bytes of text fit before the buffer must grow.
    public var capacity: Int { storage.count }

    /// Whether there is no text.
    public var isEmpty: Bool { count == 0 }

    /// The string made by `body`.
    public static func string(capacity: Int = 32, _ body: (inout TextBuffer) -> Void) -> String {
        var buffer = TextBuffer(capacity: capacity)
        body(&buffer)
        return buffer.string
    }

    /// Hands the text to `body` as bytes, e.g. to write it to a file.
    public func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<count])) }
    }

    /// Empties the buffer and keeps its room.
    public mutating func removeAll() {
        count = 0
    }

    /// Writes at most `maximum` bytes at the end through `body`, which returns how many it
    /// wrote: one check for room and one exclusive access for a whole field.
    @inline(__always)
    private mutating func write(maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        if count + maximum > storage.count { grow(toHold: count + maximum) }
        let start = count
        let written = storage.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return 0 }
            return body(base + start)
        }
        count = start + written
    }

    private mutating func grow(toHold needed: Int) {
        storage.append(contentsOf: repeatElement(0, count: max(needed, 2 * storage.count) - storage.count))
    }

    /// Appends `text`.
    public mutating func append(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append($0) }) == nil {
            var text = text
            text.withUTF8 { append($0) }
        }
    }

    /// Appends the text of a literal, e.g. `append(literal: "  crc ok")`: quicker on every
    /// dump line than a `String`, whose short forms are not stored as bytes in a row.
    public mutating func append(literal text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    /// Appends `bytes` as they are.
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        write(maximum: bytes.count) { target in
            target.update(from: source, count: bytes.count)
            return bytes.count
        }
    }

    /// Appends `text` with its control characters (C0, DEL and C1) and backslashes escaped,
    /// as `\n`, `\r`, `\t`, `\\` or `\u{1B}`: text from the wire stays on one line and
    /// cannot drive the terminal it is shown in.
    public mutating func appendEscaped(_ text: String) {
        var text = text
        text.withUTF8 { appendEscaped(utf8: $0) }
    }

    /// Appends UTF-8 `bytes` escaped as ``appendEscaped(_:)`` says: the runs between the
    /// characters to escape are copied whole. In UTF-8 a C1 control is the two bytes C2 80
    /// to C2 9F, and no other character contains a byte below 0x80.
    private mutating func appendEscaped(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let scalar: UInt8
            if byte < 0x20 || byte == 0x7F || byte == 0x5C {
                scalar = byte
            } else if byte == 0xC2, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) {
                scalar = bytes[index + 1]
            } else {
                index += 1
                continue
            }
            append(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            switch scalar {
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x5C: append("\\\\")
            default:
                append("\\u{")
                appendHex(UInt64(scalar), digits: 2)
                append(ascii: UInt8(ascii: "}"))
            }
            index += scalar < 0x80 ? 1 : 2
            runStart = index
        }
        append(UnsafeBufferPointer(rebasing: bytes[runStart...]))
    }

    /// Appends `text` and spaces up to `width` bytes.
    public mutating func append(_ text: String, paddedTo width: Int) {
        let start = count
        append(text)
        appendSpaces(width - (count - start))
    }

    /// Appends `number` spaces, if it is above zero.
    public mutating func appendSpaces(_ number: Int) {
        guard number > 0 else { return }
        write(maximum: number) { target in
            target.update(repeating: UInt8(ascii: " "), count: number)
            return number
        }
    }

    /// Appends one ASCII byte.
    public mutating func append(ascii byte: UInt8) {
        write(maximum: 1) { target in
            target.pointee = byte
            return 1
        }
    }

    /// Appends `value` in decimal.
    public mutating func appendDecimal(_ value: Int64) {
        if value < 0 { append(ascii: UInt8(ascii: "-")) }
        appendDigits(value.magnitude, minimumCount: 1)
    }

    /// Appends the decimal digits of `value`, zero-padded to `minimumCount`.
    public mutating func appendDigits(_ value: UInt64, minimumCount: Int) {
        write(maximum: max(20, minimumCount)) { Self.put(value, minimumCount: minimumCount, at: $0) }
    }

    /// Writes the decimal digits of `value`, zero-padded to `minimumCount`, at `target`;
    /// returns how many.
    @inline(__always)
    private static func put(_ value: UInt64, minimumCount: Int, at target: UnsafeMutablePointer<UInt8>) -> Int {
        var length = 1
        var limit: UInt64 = 10
        // A UInt64 has at most 20 digits; the limit stops growing before it would overflow.
        while length < 20 && value >= limit {
            length += 1
            limit = limit &* 10
        }
        let total = max(length, minimumCount)
        var rest = value
        var index = total
        while index > 0 {
            index -= 1
            target[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        return total
    }

    /// Appends `value` in upper-case hex, zero-padded to at least `digits` digits.
    public mutating func appendHex(_ value: UInt64, digits: Int) {
        let total = max(digits, (64 - value.leadingZeroBitCount + 3) / 4)
        if total == 8 { return appendEightHexDigits(UInt32(truncatingIfNeeded: value)) }
        write(maximum: total) { target in
            var rest = value
            var index = total
            while index > 0 {
                index -= 1
                target[index] = Self.hexDigit(UInt8(truncatingIfNeeded: rest) & 0xF)
                rest &>>= 4
            }
            return total
        }
    }

    /// Appends the eight hex digits of `value` (offsets and object ids, on every dump line)
    /// computed side by side in one word: each nibble moved into a byte of its own, then
    /// turned into its ASCII digit in all eight bytes at once.
    private mutating func appendEightHexDigits(_ value: UInt32) {
        var spread = UInt64(value)
        spread = (spread & 0xFFFF_0000) << 16 | (spread & 0x0000_FFFF)
        spread = (spread & 0x0000_FF00_0000_FF00) << 8 | (spread & 0x0000_00FF_0000_00FF)
        spread = (spread & 0x00F0_00F0_00F0_00F0) << 4 | (spread & 0x000F_000F_000F_000F)
        // Now byte i holds nibble i, the lowest first. Bytes of 10 and above get 7 more, to
        // go from '9' + 1 to 'A'.
        let letters = ((spread &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        let ascii = spread &+ 0x3030_3030_3030_3030 &+ letters &* 7
        // The highest nibble first in memory: the highest byte first.
        let digits = ascii.bigEndian
        write(maximum: 8) { target in
            UnsafeMutableRawPointer(target).storeBytes(of: digits, as: UInt64.self)
            return 8
        }
    }

    /// Appends `bytes` as upper-case hex pairs with `separator` between them, e.g. `2B 02 05`.
    public mutating func appendHex(_ bytes: [UInt8], separator: StaticString = " ") {
        let gap = separator.utf8CodeUnitCount
        write(maximum: bytes.count * (2 + gap)) { target in
            var index = 0
            for byte in bytes {
                if index > 0 {
                    (target + index).update(from: separator.utf8Start, count: gap)
                    index += gap
                }
                target[index] = Self.hexDigit(byte >> 4)
                target[index + 1] = Self.hexDigit(byte & 0xF)
                index += 2
            }
            return index
        }
    }

    /// The ASCII upper-case hex digit for `nibble` (0 to 15).
    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "A") &+ (nibble &- 10)
    }

    /// Appends `value` with exactly `decimals` digits after the point (see
    /// ``WriteRule/format(_:decimals:)``).
    public mutating func appendFixed(_ value: Double, decimals: Int) {
        guard let scaled = Self.scaled(value, decimals: decimals) else { return append("\(value)") }
        appendScaled(scaled, decimals: decimals, negative: value < 0 && scaled != 0)
    }

    /// The magnitude of `value` times 10^`decimals`, rounded to a whole number; nil for
    /// infinity, NaN, and from 9 × 10^15 on: beyond 2^53 doubles are no longer whole numbers
    /// to the last digit, and a float from the wire can be 3.4e38. Swift's own shortest form
    /// says such a number exactly.
    private static func scaled(_ value: Double, decimals: Int) -> UInt64? {
        guard value.isFinite else { return nil }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        guard abs(value) * scale < 9.0e15 else { return nil }
        return UInt64((abs(value) * scale).rounded())
    }

    /// Appends `scaled` with a point before its last `decimals` digits (12345 and 2 make
    /// `123.45`, 5 and 2 make `0.05`), after a minus sign if `negative`: one write.
    private mutating func appendScaled(_ scaled: UInt64, decimals: Int, negative: Bool) {
        var digits = 1
        var limit: UInt64 = 10
        while digits < 20 && scaled >= limit {
            digits += 1
            limit = limit &* 10
        }
        digits = max(digits, decimals + 1)
        let total = digits + (decimals > 0 ? 1 : 0) + (negative ? 1 : 0)
        write(maximum: total) { target in
            var rest = scaled
            var index = total
            for placed in 0..<digits {
                if placed == decimals && decimals > 0 {
                    index -= 1
                    target[index] = UInt8(ascii: ".")
                }
                index -= 1
                target[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
            if negative { target[0] = UInt8(ascii: "-") }
            return total
        }
    }

    /// Appends like ``appendScaled(_:decimals:negative:)`` without the zeros that end the
    /// fraction, nor a point left bare.
    private mutating func appendTrimmed(_ scaled: UInt64, decimals: Int, negative: Bool) {
        var scaled = scaled
        var decimals = decimals
        while decimals > 0 && scaled % 10 == 0 {
            scaled /= 10
            decimals -= 1
        }
        appendScaled(scaled, decimals: decimals, negative: negative)
    }

    /// Appends `value` with the precision rule of ``NumberText``.
    public mutating func appendNumber(_ value: Double) {
        guard value.isFinite else { return append("\(value)") }
        guard value != 0 else { return append(ascii: UInt8(ascii: "0")) }
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
        guard let scaled = Self.scaled(value, decimals: decimals) else { return append("\(value)") }
        appendTrimmed(scaled, decimals: decimals, negative: value < 0 && scaled != 0)
    }

    /// Appends a fraction as a percentage with one decimal, e.g. `62.0`.
    public mutating func appendPercent(_ fraction: Double) {
        guard fraction.isFinite else { return append("\(fraction)") }
        if abs(fraction * 100) >= NumberText.scientificFrom { return appendScientific(fraction * 100) }
        appendFixed(fraction * 100, decimals: 1)
    }

    /// Appends `value` (finite, at least 10^15 in magnitude) as four significant digits and a
    /// power of ten, e.g. `-1.233e+15`.
    private mutating func appendScientific(_ value: Double) {
        // The largest power of ten not above the number, from the table, then one division by
        // it: one rounding, where dividing by ten step by step made one a step. The binary
        // exponent e gives it within one: the number is at least 2^e, so its decimal
        // exponent is at least floor(e · log10 2) and at most one more; the steps below
        // settle it against the table's doubles.
        let magnitude = abs(value)
        let powers = Self.powersOfTen
        var low = min(powers.count - 1, max(0, Int((Double(magnitude.exponent) * 0.301_029_995_663_981_2).rounded(.down))))
        while low + 1 < powers.count && powers[low + 1] <= magnitude { low += 1 }
        while low > 0 && powers[low] > magnitude { low -= 1 }
        var exponent = Int64(low)
        // From 1 to 10: four digits, the last three after the point.
        let mantissa = magnitude / powers[low]
        var digits = UInt64((mantissa * 1000).rounded())
        if digits >= 10_000 {
            // Rounded up to 10: one more power of ten.
            exponent += 1
            digits = UInt64((mantissa * 100).rounded())
        }
        appendTrimmed(digits, decimals: NumberText.significantDigits - 1, negative: value < 0)
        append(literal: "e+")
        appendDecimal(exponent)
    }

    /// 10^0 to 10^308, each the double nearest to it (Swift reads decimal text correctly
    /// rounded); 10^309 is beyond the largest double.
    private static let powersOfTen: [Double] = (0...308).map { Double("1e\($0)") ?? .infinity }

    /// Appends seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ` (UTC, proleptic Gregorian), or
    /// with `microseconds` as `YYYY-MM-DDTHH:MM:SS.uuuuuuZ`.
    public mutating func appendTimestamp(_ seconds: Int64, microseconds: Int? = nil) {
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
        // Sign and up to 20 year digits, 15 for the rest of date and time, 7 for a fraction
        // of up to 6 digits, and the Z: all in one write.
        write(maximum: 44) { target in
            var index = 0
            if year < 0 {
                target[0] = UInt8(ascii: "-")
                index = 1
            }
            index += Self.put(year.magnitude, minimumCount: year < 0 ? 1 : 4, at: target + index)
            func put(_ number: Int64, after separator: UInt8) {
                target[index] = separator
                target[index + 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: number / 10)
                target[index + 2] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: number % 10)
                index += 3
            }
            put(month, after: UInt8(ascii: "-"))
            put(day, after: UInt8(ascii: "-"))
            put(secondsOfDay / 3600, after: UInt8(ascii: "T"))
            put(secondsOfDay % 3600 / 60, after: UInt8(ascii: ":"))
            put(secondsOfDay % 60, after: UInt8(ascii: ":"))
            if let microseconds {
                target[index] = UInt8(ascii: ".")
                // At most six digits: a capture's microseconds are below a million.
                index += 1 + Self.put(UInt64(min(max(0, microseconds), 999_999)), minimumCount: 6, at: target + index + 1)
            }
            target[index] = UInt8(ascii: "Z")
            return index + 1
        }
    }
}
