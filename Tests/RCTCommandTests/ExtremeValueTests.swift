import Foundation
import RCTProtocol
import RCTTestSupport
import Testing

@Suite("Values at the edges of what the wire can carry")
struct ExtremeValueTests {
    @Test("decode writes the largest, smallest, infinite and NaN floats as text and JSON, and exits 0")
    func extremeFloats() throws {
        let objects: [UInt32] = [0x959930BF, 0x65EED11B, 0x400F015B]  // a fraction, volts, watts
        var bytes: [UInt8] = []
        for (index, float) in [Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude, 1e20, .infinity, .nan,
                               Float.leastNonzeroMagnitude].enumerated() {
            let frame = Frame(command: .response, objectID: ObjectID(objects[index % objects.count]),
                              payload: try ValueCodec.encode(.float(float), as: .float))
            bytes += try frame.encoded()
        }
        let hex = bytes.map { String(format: "%02X", $0) }.joined(separator: " ")
        for format in [[], ["--json"]] {
            let result = try rct(arguments: ["decode", "--hex"] + format, input: Data(hex.utf8))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.split(separator: "\n").count == 6, "\(result.stdout)")
        }
        // JSON has no words for infinity and NaN: they are null; the others read back exactly.
        let json = try rct(arguments: ["decode", "--hex", "--json"], input: Data(hex.utf8))
        let values = try json.stdout.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["value"]
        }
        #expect((values[0] as? NSNumber)?.floatValue == .greatestFiniteMagnitude)
        #expect((values[1] as? NSNumber)?.floatValue == -.greatestFiniteMagnitude)
        #expect((values[2] as? NSNumber)?.floatValue == 1e20)
        #expect(values[3] is NSNull)
        #expect(values[4] is NSNull)
        #expect((values[5] as? NSNumber)?.floatValue == .leastNonzeroMagnitude)
    }

    @Test("decode keeps a string with a line break and a terminal escape on its one line; JSON keeps it as sent")
    func controlCharacters() throws {
        let sent = "evil\n\u{1B}[2J\u{7}"
        let frame = try Frame(command: .response, objectID: ObjectID(0xEBC62737), payload: Array(sent.utf8)).encoded()
        let hex = HexText.format(frame + frame)
        let text = try rct(arguments: ["decode", "--hex"], input: Data(hex.utf8))
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 2, "\(text.stdout)")
        #expect(lines.allSatisfy { $0.contains("android_description = evil\\n\\u{1B}[2J\\u{07}  crc ok") })
        #expect(!text.stdout.utf8.contains(0x1B) && !text.stdout.utf8.contains(0x07))
        let json = try rct(arguments: ["decode", "--hex", "--json"], input: Data(hex.utf8))
        let first = try #require(json.stdout.split(separator: "\n").first)
        let object = try #require(JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect(object["value"] as? String == sent)
    }
}
