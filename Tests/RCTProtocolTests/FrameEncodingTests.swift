import Testing
@testable import RCTProtocol

@Suite("Frame encoding")
struct FrameEncodingTests {
    @Test("WRITE soc_strategy = 2 is byte-exact with the field notes")
    func goldenWrite() throws {
        let frame = Frame(command: .write, objectID: ObjectID(0xF168B748), payload: [0x02])
        #expect(try frame.encoded() == [0x2B, 0x02, 0x05, 0xF1, 0x68, 0xB7, 0x48, 0x02, 0x7A, 0x40])
    }

    @Test("Every command byte, and no other byte, is recognised")
    func commandBytes() {
        for byte in UInt8.min...UInt8.max {
            #expect(Command(rawValue: byte) == Command.allCases.first { $0.rawValue == byte }, "byte \(byte)")
        }
        #expect(Command.allCases.allSatisfy { Command(rawValue: $0.rawValue) == $0 })
    }

    @Test("CRC pads odd-length input with one zero byte")
    func crcPadding() {
        let odd: [UInt8] = [0x02, 0x05, 0xF1, 0x68, 0xB7, 0x48, 0x02]
        #expect(CRC16.checksum(odd) == 0x7A40)
        #expect(CRC16.checksum(odd + [0]) == 0x7A40)
        // CRC-16/CCITT-FALSE check value for "123456789" padded to ten bytes.
        #expect(CRC16.checksum(Array("1234567890".utf8)) == 0x3218)
    }

    @Test("Every 2B and 2D after the start byte is escaped, checksum included")
    func escaping() throws {
        let frame = Frame(command: .response, objectID: ObjectID(0x2B2D2B2D), payload: [0x2B, 0x00, 0x2D])
        let wire = try frame.encoded()
        #expect(wire.first == 0x2B)
        var index = 1
        while index < wire.count {
            if wire[index] == 0x2D {
                #expect(index + 1 < wire.count)
                index += 2
            } else {
                #expect(wire[index] != 0x2B, "unescaped start byte at \(index)")
                index += 1
            }
        }
        #expect(frames(decodeAll([wire])) == [frame])
    }

    @Test("Plant frames carry the address and count it in LEN")
    func plantFrame() throws {
        let frame = Frame(command: .plantRead, objectID: ObjectID(0x959930BF), address: 0x0102_0304)
        let wire = try frame.encoded()
        #expect(Array(wire.prefix(7)) == [0x2B, 0x41, 0x08, 0x01, 0x02, 0x03, 0x04])
        #expect(frames(decodeAll([wire])) == [frame])
    }

    @Test("Long frames have a two-byte LEN")
    func longFrame() throws {
        let frame = Frame(command: .longResponse, objectID: ObjectID(0x01), payload: [UInt8](repeating: 7, count: 300))
        let wire = try frame.encoded()
        #expect(Array(wire.prefix(4)) == [0x2B, 0x06, 0x01, 0x30])
    }

    @Test("A payload too large for the command is refused", arguments: [Command.read, .write, .response, .plantWrite])
    func oversizePayload(command: Command) {
        let frame = Frame(command: command, objectID: ObjectID(1), payload: [UInt8](repeating: 0, count: 252))
        #expect(throws: FrameEncodingError.self) { try frame.encoded() }
    }

    @Test("Short frames carry up to 251 data bytes")
    func shortLimit() throws {
        #expect(Frame.maximumPayload(for: .response) == 251)
        let frame = Frame(command: .response, objectID: ObjectID(1), payload: [UInt8](repeating: 1, count: 251))
        #expect(frames(decodeAll([try frame.encoded()])) == [frame])
    }
}
