import Testing
@testable import RCTProtocol

@Suite("Stream decoder")
struct FrameDecoderTests {
    static let sample: [Frame] = [
        Frame(command: .read, objectID: ObjectID(0x959930BF)),
        Frame(command: .response, objectID: ObjectID(0x959930BF), payload: [0x3F, 0x2B, 0x2D, 0x00]),
        Frame(command: .write, objectID: ObjectID(0xF168B748), payload: [0x02]),
        Frame(command: .longResponse, objectID: ObjectID(0x2B2B2B2B), payload: Array(0...255) + [0x2B, 0x2D]),
        Frame(command: .plantResponse, objectID: ObjectID(0x1234), payload: [1, 2, 3], address: 0x2D00_2B00),
    ]

    static var stream: [UInt8] { sample.flatMap { try! $0.encoded() } }

    @Test("Byte by byte gives the same frames as one chunk")
    func byteByByte() {
        let chunks = Self.stream.map { [$0] }
        #expect(frames(decodeAll(chunks)) == Self.sample)
        #expect(events(decodeAll(chunks)).isEmpty)
    }

    @Test("Every split into two chunks gives the same frames")
    func everyTwoWaySplit() {
        let stream = Self.stream
        for cut in 0...stream.count {
            let outputs = decodeAll([Array(stream[..<cut]), Array(stream[cut...])])
            #expect(frames(outputs) == Self.sample, "cut at \(cut)")
            #expect(events(outputs).isEmpty, "cut at \(cut)")
        }
    }

    @Test("Every split into three chunks gives the same frames")
    func everyThreeWaySplit() {
        let stream = Array(Self.stream.prefix(60))
        let expected = frames(decodeAll([stream]))
        for first in 0...stream.count {
            for second in first...stream.count {
                let outputs = decodeAll([Array(stream[..<first]), Array(stream[first..<second]), Array(stream[second...])])
                #expect(frames(outputs) == expected)
            }
        }
    }

    @Test("Random splits give the same frames", arguments: 0..<50)
    func randomSplits(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        #expect(frames(decodeAll(randomSplit(Self.stream, using: &rng))) == Self.sample)
    }

    @Test("Offsets and wire lengths point at the frames in the stream")
    func offsets() throws {
        let outputs = decodeAll([Self.stream])
        var expected = 0
        for output in outputs {
            guard case let .frame(decoded) = output else { continue }
            #expect(decoded.offset == expected)
            expected += decoded.wireLength
        }
        #expect(expected == Self.stream.count)
    }

    @Test("A stray 00 before the start byte is passed over silently")
    func strayZero() throws {
        let frame = try Self.sample[2].encoded()
        let outputs = decodeAll([[0x00] + frame + [0x00] + frame])
        #expect(frames(outputs) == [Self.sample[2], Self.sample[2]])
        #expect(events(outputs).isEmpty)
    }

    @Test("Keep-alives, EXTENSION and bridge bursts are skipped without losing frames")
    func knownNoise() throws {
        let frame = try Self.sample[1].encoded()
        let noise: [[UInt8]] = [Array("AT+\r".utf8), [0x2B, 0x3C, 0xE1], [0x2B, 0x2B, 0x2B, 0x0D, 0x0A]]
        let stream = noise[0] + frame + noise[1] + frame + noise[2] + frame
        for chunking in [[stream], stream.map { [$0] }] {
            let outputs = decodeAll(chunking)
            #expect(frames(outputs) == [Self.sample[1], Self.sample[1], Self.sample[1]])
            #expect(events(outputs).contains(.extensionFrame(offset: 4 + frame.count)))
            #expect(events(outputs).contains(.skipped(offset: 0, count: 4)))
        }
    }

    @Test("After a CRC failure scanning resumes right after the failed start byte")
    func crcResync() throws {
        var broken = try Self.sample[2].encoded()
        broken[broken.count - 1] ^= 0xFF
        let good = try Self.sample[0].encoded()
        // A good frame hidden inside the tail of a broken one is still found.
        let stream = Array(broken.prefix(3)) + good
        let outputs = decodeAll([stream])
        #expect(frames(outputs) == [Self.sample[0]])
        let both = decodeAll([broken + good])
        #expect(frames(both) == [Self.sample[0]])
        #expect(events(both).contains { if case .crcMismatch(0, _, .write) = $0 { true } else { false } })
    }

    @Test("An unescaped start byte inside a frame starts a new frame")
    func interruption() throws {
        let good = try Self.sample[1].encoded()
        let cut = Array(good.prefix(6))
        let outputs = decodeAll([cut + good])
        #expect(frames(outputs) == [Self.sample[1]])
        #expect(events(outputs) == [.interrupted(offset: 0, count: 6)])
    }

    @Test("A stream ending inside a frame reports it as incomplete")
    func incompleteAtEnd() throws {
        let good = try Self.sample[1].encoded()
        let outputs = decodeAll([good + good.prefix(5)])
        #expect(frames(outputs) == [Self.sample[1]])
        #expect(events(outputs) == [.incomplete(offset: good.count, count: 5)])
    }

    @Test("A long frame whose LEN is too small is recovered at the next start byte")
    func longLengthTooSmall() throws {
        let long = Self.sample[3]
        let wrong = try long.encoded(lengthError: -10)
        let next = try Self.sample[0].encoded()
        let outputs = decodeAll([wrong + next])
        #expect(frames(outputs) == [long, Self.sample[0]])
        if case let .frame(decoded) = outputs.first {
            #expect(decoded.declaredLength == long.payload.count + 4 - 10)
        } else {
            Issue.record("expected the long frame first, got \(outputs)")
        }
    }

    @Test("A long frame whose LEN is too large is recovered at the next start byte")
    func longLengthTooLarge() throws {
        let long = Self.sample[3]
        let wrong = try long.encoded(lengthError: 25)
        let next = try Self.sample[0].encoded()
        #expect(frames(decodeAll([wrong + next])) == [long, Self.sample[0]])
        // ... and at the end of a finished stream too.
        #expect(frames(decodeAll([wrong])) == [long])
        #expect(frames(decodeAll(wrong.map { [$0] } + next.map { [$0] })) == [long, Self.sample[0]])
    }

    @Test("A LEN above the maximum is reported and passed over")
    func oversize() throws {
        let good = try Self.sample[0].encoded()
        let bogus: [UInt8] = [0x2B, 0x06, 0x7F, 0xFF, 0x01]
        let outputs = decodeAll([bogus + good], maximumLength: 1024)
        #expect(frames(outputs) == [Self.sample[0]])
        #expect(events(outputs).first == .oversize(offset: 0, declaredLength: 0x7FFF))
    }

    @Test("The bootloader signature is reported")
    func bootloader() {
        let outputs = decodeAll([[0x50, 0xF7], [0x05, 0xAB, 0x50, 0xF7, 0x05, 0xAB]])
        #expect(events(outputs).contains(.bootloader(offset: 0)))
    }

    @Test("Memory stays bounded on endless noise and endless frames")
    func boundedMemory() throws {
        var decoder = FrameDecoder()
        var rng = SplitMix64(seed: 7)
        let frame = try Self.sample[1].encoded()
        for round in 0..<2000 {
            let chunk = round % 2 == 0
                ? (0..<512).map { _ in UInt8.random(in: 0...255, using: &rng) }
                : Array(repeating: frame, count: 30).flatMap { $0 }
            decoder.append(chunk)
            while decoder.next() != nil {}
            #expect(decoder.bufferedByteCount <= 2 * FrameDecoder.defaultMaximumLength + 32 + chunk.count)
        }
    }

    @Test("Random frames survive encode and decode", arguments: 0..<20)
    func roundTrip(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let sent = (0..<50).map { _ in randomFrame(using: &rng, maxPayload: 300) }
        let stream = try sent.flatMap { try $0.encoded() }
        #expect(frames(decodeAll(randomSplit(stream, using: &rng))) == sent)
    }

    @Test("Frames of every data length decode, with and without escapes", arguments: 0...64)
    func everyDataLength(payloadLength: Int) throws {
        for command in [Command.response, .longResponse, .plantResponse] {
            // Bytes 0x30...0x6F hold no start or escape byte, so the data can be taken in place.
            let plain = (0..<payloadLength).map { UInt8(0x30 + $0 % 64) }
            let frame = Frame(command: command, objectID: ObjectID(0x1122_3344), payload: plain, address: 0x0102_0304)
            #expect(frames(decodeAll([try frame.encoded()])) == [frame], "\(command), \(payloadLength) bytes")

            guard payloadLength > 0 else { continue }
            var escaped = plain
            escaped[0] = FrameByte.escape
            escaped[payloadLength - 1] = FrameByte.start
            let escapedFrame = Frame(command: command, objectID: frame.objectID, payload: escaped, address: frame.address)
            #expect(frames(decodeAll([try escapedFrame.encoded()])) == [escapedFrame], "\(command), \(payloadLength) bytes")
        }
    }

    @Test("A changed data byte fails the checksum at every position", arguments: 0...40)
    func corruptedDataByte(payloadLength: Int) {
        let frame = Frame(command: .response, objectID: ObjectID(0x1122_3344), payload: (0..<payloadLength).map { UInt8(0x30 + $0) })
        var body: [UInt8] = [frame.command.rawValue, UInt8(payloadLength + 4)] + frame.objectID.rawValue.bigEndianBytes + frame.payload
        let crc = CRC16.checksum(body)
        for position in 2..<body.count {
            body[position] ^= 0x80
            let outputs = decodeAll([escapedWire(body + [UInt8(crc >> 8), UInt8(crc & 0xFF)])])
            body[position] ^= 0x80
            #expect(frames(outputs).isEmpty, "byte \(position) of \(payloadLength)")
            #expect(events(outputs).contains { if case .crcMismatch = $0 { true } else { false } })
        }
    }

    @Test("Random garbage between frames never loses an intact frame", arguments: 0..<300)
    func garbageBetweenFrames(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var stream: [UInt8] = []
        var sent: [Frame] = []
        var garbageFrames: [Frame] = []
        for _ in 0..<40 {
            if Int.random(in: 0..<5, using: &rng) == 0 {
                let garbage = (0..<Int.random(in: 1...24, using: &rng)).map { _ in
                    Bool.random(using: &rng) ? [0x2B, 0x2D, 0x00, 0x06, 0x05][Int.random(in: 0...4, using: &rng)]
                        : UInt8.random(in: 0...255, using: &rng)
                }
                // Garbage that by chance forms a valid frame may legitimately be reported.
                garbageFrames += frames(decodeAll([garbage]))
                stream += garbage
            }
            let frame = randomFrame(using: &rng, maxPayload: 60)
            sent.append(frame)
            stream += try frame.encoded()
        }
        let received = frames(decodeAll(randomSplit(stream, using: &rng)))
        var remaining = received[...]
        for frame in sent {
            guard let index = remaining.firstIndex(of: frame) else {
                Issue.record("lost \(frame) (seed \(seed))")
                return
            }
            remaining = remaining[(index + 1)...]
        }
        #expect(received.count <= sent.count + garbageFrames.count + 2)
    }

    @Test("Any bytes at all never crash or hang the decoder", arguments: 0..<30)
    func arbitraryBytes(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let bytes = (0..<4096).map { _ in
            Bool.random(using: &rng) ? [0x2B, 0x2D, 0x06, 0x03, 0x46, 0xFF, 0x00][Int.random(in: 0...6, using: &rng)]
                : UInt8.random(in: 0...255, using: &rng)
        }
        let outputs = decodeAll(randomSplit(bytes, using: &rng, maximum: 64), maximumLength: 512)
        #expect(outputs.allSatisfy { $0.offset < bytes.count })
    }

    /// A start byte, then `body` with every start and escape byte escaped.
    private func escapedWire(_ body: [UInt8]) -> [UInt8] {
        var wire: [UInt8] = [0x2B]
        for byte in body {
            if byte == 0x2B || byte == 0x2D { wire.append(0x2D) }
            wire.append(byte)
        }
        return wire
    }
}

extension DecoderOutput {
    var offset: Int {
        switch self {
        case let .frame(decoded): decoded.offset
        case let .event(event): event.offset
        }
    }
}
