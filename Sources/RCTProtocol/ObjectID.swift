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
        let value: UInt32?
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            value = UInt32(text.dropFirst(2), radix: 16)
        } else if !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) {
            value = UInt32(text)
        } else {
            value = nil
        }
        guard let value else { return nil }
        self.rawValue = value
    }

    /// Upper-case hex with a `0x` prefix and eight digits, e.g. `0xF168B748`.
    public var description: String { "0x" + hex(rawValue, digits: 8) }

    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The four bytes of the id in wire order.
    var bytes: [UInt8] { rawValue.bigEndianBytes }
}

/// Upper-case hex of `value`, zero-padded to `digits`.
func hex(_ value: some BinaryInteger, digits: Int) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
}

extension UInt32 {
    /// The four bytes, most significant first.
    var bigEndianBytes: [UInt8] {
        [UInt8(truncatingIfNeeded: self >> 24), UInt8(truncatingIfNeeded: self >> 16),
         UInt8(truncatingIfNeeded: self >> 8), UInt8(truncatingIfNeeded: self)]
    }
}
