import Testing
@testable import RCTProtocol

@Suite("Text built as bytes")
struct TextBufferTests {
    @Test("Hex numbers are upper case and zero-padded, the eight-digit ids and offsets too", arguments: [
        (UInt64(0), 8, "00000000"), (0xF168_B748, 8, "F168B748"), (0xFFFF_FFFF, 8, "FFFFFFFF"), (0x0A0B_0C0D, 8, "0A0B0C0D"),
        (0x1234_5678_9A, 8, "123456789A"), (0x2B, 2, "2B"), (0x5, 1, "5"), (0xABC, 2, "ABC"), (0x9, 4, "0009"),
        (UInt64.max, 8, "FFFFFFFFFFFFFFFF"), (0x8000_0000, 8, "80000000"),
    ])
    func hexNumbers(value: UInt64, digits: Int, text: String) {
        #expect(TextBuffer.string { $0.appendHex(value, digits: digits) } == text)
    }

    @Test("Every value of a nibble in every place of an eight-digit hex number")
    func everyNibble() {
        for place in 0..<8 {
            for nibble in UInt64(0)...15 {
                let value = nibble << UInt64(4 * place) | 0x1111_1111 & ~(0xF << UInt64(4 * place))
                var expected = String(value, radix: 16, uppercase: true)
                expected = String(repeating: "0", count: 8 - expected.count) + expected
                #expect(TextBuffer.string { $0.appendHex(value, digits: 8) } == expected)
            }
        }
    }

    @Test("Byte dumps: hex pairs with any separator, empty for no bytes")
    func hexBytes() {
        #expect(HexText.format([0x2B, 0x01, 0xFF]) == "2B 01 FF")
        #expect(HexText.format([0x2B, 0x01, 0xFF], separator: "") == "2B01FF")
        #expect(HexText.format([0x00], separator: ", ") == "00")
        #expect(HexText.format([UInt8]()) == "")
        #expect(HexText.format(Payload([0xD9, 0x23, 0x88, 0x25])) == "D9 23 88 25")
    }

    @Test("Text from the wire stays on one line and cannot drive a terminal", arguments: [
        ("PS 6.0 BAT 10.0", "PS 6.0 BAT 10.0"), ("a\nb", "a\\nb"), ("\r\t", "\\r\\t"), ("\u{1B}[2J", "\\u{1B}[2J"),
        ("back\\slash", "back\\\\slash"), ("\u{7F}\u{85}\u{9F}", "\\u{7F}\\u{85}\\u{9F}"), ("Wärme ☀", "Wärme ☀"),
        ("\u{1}", "\\u{01}"), ("\u{A0}\u{C0}x\u{80}end", "\u{A0}\u{C0}x\\u{80}end"),
    ])
    func escaped(text: String, shown: String) {
        #expect(ValueText.describe(.string(text)) == shown)
        #expect(!shown.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
    }

    @Test("Decimal digits, padded and not", arguments: [
        (UInt64(0), 1, "0"), (7, 3, "007"), (123_456, 6, "123456"), (UInt64.max, 1, "18446744073709551615"), (42, 0, "42"),
    ])
    func digits(value: UInt64, minimum: Int, text: String) {
        #expect(TextBuffer.string { $0.appendDigits(value, minimumCount: minimum) } == text)
    }

    @Test("Capture times carry microseconds before the Z")
    func microseconds() {
        #expect(TextBuffer.string { $0.appendTimestamp(1_700_000_000, microseconds: 42) } == "2023-11-14T22:13:20.000042Z")
        #expect(TextBuffer.string { $0.appendTimestamp(0) } == "1970-01-01T00:00:00Z")
    }

    @Test("A buffer grows past its first capacity and keeps everything, and empties for reuse")
    func growth() {
        var buffer = TextBuffer(capacity: 1)
        for index in 0..<1000 { buffer.appendDecimal(Int64(index % 10)) }
        #expect(buffer.count == 1000)
        #expect(buffer.string == String((0..<1000).map { Character(String($0 % 10)) }))
        buffer.removeAll()
        #expect(buffer.isEmpty && buffer.string.isEmpty)
        buffer.append("né")
        #expect(buffer.withBytes { Array($0) } == Array("né".utf8))
    }
}
