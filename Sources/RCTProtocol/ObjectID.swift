/// The opaque 32-bit number that names an object on the device.
public struct ObjectID: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The number as sent on the wire (big-endian).
    public let rawValue: UInt32

    /// Wraps a raw object number.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Wraps a raw object number.
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// Reads an id written as `0x` hex (`0xF168B748`) or as a decimal number; nil for anything else.
    public init?(parsing text: some StringProtocol) {
        self.init(utf8: Substring(text).utf8)
    }

    /// Reads an id from the UTF-8 bytes of its text, as ``init(parsing:)`` reads the text.
    init?<Text: Collection<UInt8>>(utf8 text: Text) {
        var digits = text[...]
        var radix: UInt64 = 10
        if digits.count > 2, digits.first == UInt8(ascii: "0"),
           digits.dropFirst().first == UInt8(ascii: "x") || digits.dropFirst().first == UInt8(ascii: "X") {
            digits = digits.dropFirst(2)
            radix = 16
        }
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where radix == 16: digit = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F") where radix == 16: digit = UInt64(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            value = value * radix + digit
        }
        guard value <= UInt64(UInt32.max) else { return nil }
        self.rawValue = UInt32(value)
    }

    /// Upper-case hex with a `0x` prefix and eight digits, e.g. `0xF168B748`.
    public var description: String { "0x" + hex(rawValue, digits: 8) }

    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The four bytes of the id in wire order.
    var bytes: [UInt8] { rawValue.bigEndianBytes }
}

/// Upper-case hex of `value`, zero-padded to `digits`.
func hex(_ value: some BinaryInteger, digits: Int) -> String {
    TextBuffer.string { $0.appendHex(UInt64(truncatingIfNeeded: value), digits: digits) }
}

extension UInt32 {
    /// The four bytes, most significant first.
    var bigEndianBytes: [UInt8] {
        [UInt8(truncatingIfNeeded: self >> 24), UInt8(truncatingIfNeeded: self >> 16),
         UInt8(truncatingIfNeeded: self >> 8), UInt8(truncatingIfNeeded: self)]
    }
}
