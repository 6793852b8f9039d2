/// Hex text for byte dumps and traces, e.g. `2B 02 05`.
public enum HexText {
    /// The bytes as upper-case hex pairs separated by `separator`.
    public static func format(_ bytes: some Collection<UInt8>, separator: StaticString = " ") -> String {
        TextBuffer.string(capacity: 3 * bytes.count) { $0.appendHex(Array(bytes), separator: separator) }
    }

    /// `value` in upper-case hex, zero-padded to at least `digits` digits, e.g. stream offsets.
    public static func number(_ value: some BinaryInteger, digits: Int) -> String {
        hex(value, digits: digits)
    }

    /// Reads hex text such as a capture pasted from a dump: pairs of hex digits,
    /// with any whitespace, `:` or `,` between them and an optional `0x` per pair.
    public static func parse(_ text: some StringProtocol) throws(HexParseError) -> [UInt8] {
        var parser = StreamingHexParser()
        var bytes = try parser.feed(Array(text.utf8))
        bytes += try parser.finish()
        return bytes
    }
}

/// Why hex text could not be read.
public struct HexParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the offending character in the text.
    public let offset: Int
    /// What was wrong there.
    public let reason: String
    public var description: String { "invalid hex at character \(offset): \(reason)" }
}

/// Reads hex text chunk by chunk, so a capture of any size can be decoded in constant memory.
public struct StreamingHexParser: Sendable {
    private var pendingNibble: UInt8?
    private var afterZero = false
    private var offset = 0

    /// A parser at the start of the text.
    public init() {}

    /// Reads the next chunk of text and returns the complete bytes in it.
    public mutating func feed(_ text: some Sequence<UInt8>) throws(HexParseError) -> [UInt8] {
        var out: [UInt8] = []
        for char in text {
            defer { offset += 1 }
            if let nibble = Self.nibble(char) {
                if let high = pendingNibble {
                    // "0x" prefixes: a pending 0 followed by x is dropped.
                    out.append(high << 4 | nibble)
                    pendingNibble = nil
                } else {
                    pendingNibble = nibble
                }
                afterZero = false
                continue
            }
            if (char == UInt8(ascii: "x") || char == UInt8(ascii: "X")) && pendingNibble == 0 {
                pendingNibble = nil
                afterZero = true
                continue
            }
            switch char {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"),
                 UInt8(ascii: ":"), UInt8(ascii: ","):
                if pendingNibble != nil {
                    throw HexParseError(offset: offset, reason: "a byte needs two hex digits")
                }
                if afterZero { throw HexParseError(offset: offset, reason: "0x without digits") }
            default:
                throw HexParseError(offset: offset, reason: "unexpected character \(Self.printable(char))")
            }
        }
        return out
    }

    /// Ends the text; fails if it stopped in the middle of a byte.
    public mutating func finish() throws(HexParseError) -> [UInt8] {
        if pendingNibble != nil || afterZero {
            throw HexParseError(offset: offset, reason: "the text ends in the middle of a byte")
        }
        return []
    }

    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func printable(_ char: UInt8) -> String {
        (0x21...0x7E).contains(char) ? "'\(Character(Unicode.Scalar(char)))'" : "0x" + hex(char, digits: 2)
    }
}
