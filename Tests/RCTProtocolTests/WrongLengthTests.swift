import Testing
@testable import RCTProtocol

/// Long frames whose LEN field is wrong, as one firmware sends most of its LONG_RESPONSEs.
@Suite("Long frames with a wrong LEN")
struct WrongLengthTests {
    /// A real answer to a history request (`logger.minutes_soc_log_ts` at 0x6AC0A704), with the
    /// device's 0x00 in front: LEN says 16, but 32 bytes of id and data follow.
    static let captured: [UInt8] = [
        0x00, 0x2B, 0x06, 0x00, 0x10, 0x52, 0x93, 0xB6, 0x68, 0x6A, 0xC0, 0xA7, 0x04, 0x6A, 0xC0, 0x58, 0x58, 0x58,
        0x58, 0xF0, 0x40, 0x6A, 0xC0, 0x58, 0x58, 0x58, 0x58, 0xAA, 0xE5, 0x6A, 0xC0, 0x27, 0x08, 0x3E, 0x68, 0xD4,
        0x90, 0x8C, 0xC0,
    ]

    static let capturedFrame = Frame(command: .longResponse, objectID: ObjectID(0x5293_B668),
                                     payload: Array(captured[9..<(captured.count - 2)]))

    static let follower = Frame(command: .response, objectID: ObjectID(0x959930BF), payload: [0x3F, 0x1E, 0xC0, 0x00])

    @Test("The captured frame alone: recovered, with LEN as declared and as found")
    func capturedAlone() throws {
        let outputs = decodeAll([Self.captured])
        #expect(frames(outputs) == [Self.capturedFrame])
        #expect(events(outputs).isEmpty)
        guard case let .frame(decoded)? = outputs.first else { return }
        #expect(decoded.declaredLength == 16)
        #expect(decoded.frame.payload.count + 4 == 32)
        #expect(decoded.offset == 1)
        #expect(decoded.wireLength == Self.captured.count - 1)
        let value = try ValueCodec.decode(decoded.frame.payload, as: .timeseries)
        guard case let .timeseries(series) = value else {
            Issue.record("not a timeseries: \(value)")
            return
        }
        #expect(series.requestedTime == 0x6AC0_A704)
        #expect(series.samples.count == 3)
    }

    @Test("The captured frame followed by another frame with its 0x00, split at every point")
    func capturedFollowedEverySplit() throws {
        let stream = Self.captured + [0x00] + (try Self.follower.encoded())
        let expected = [Self.capturedFrame, Self.follower]
        for cut in 0...stream.count {
            let outputs = decodeAll([Array(stream[..<cut]), Array(stream[cut...])])
            #expect(frames(outputs) == expected, "cut at \(cut)")
            #expect(events(outputs).isEmpty, "cut at \(cut): \(events(outputs))")
        }
        #expect(frames(decodeAll(stream.map { [$0] })) == expected)
        #expect(frames(decodeAll([stream])) == expected)
    }

    @Test("The captured frame followed by another frame without 0x00, and by keep-alives")
    func capturedFollowedOtherwise() throws {
        let next = try Self.follower.encoded()
        for gap in [[], Array("AT+\r".utf8), [0x2B, 0x3C, 0xE1], [0x2B, 0x2B, 0x2B, 0x0D, 0x0A], [0x00, 0x00]] as [[UInt8]] {
            let stream = Self.captured + gap + next
            #expect(frames(decodeAll([stream])) == [Self.capturedFrame, Self.follower], "gap \(gap)")
            #expect(frames(decodeAll(stream.map { [$0] })) == [Self.capturedFrame, Self.follower], "gap \(gap)")
        }
    }

    @Test("A live link: the last frame is closed by the quiet step, not by waiting for LEN")
    func quietClosesTheLastFrame() throws {
        for delta in [-16, -1, 1, 472, 480] {
            let wire = try Self.wrongLength(Self.capturedFrame, delta: delta)
            for tail in [[], [0x00]] as [[UInt8]] {
                var decoder = FrameDecoder()
                decoder.append([0x00] + wire + tail)
                #expect(decoder.next() == nil, "delta \(delta): nothing before the line is quiet")
                decoder.lineWentQuiet()
                guard case let .frame(decoded)? = decoder.next() else {
                    Issue.record("delta \(delta), tail \(tail): the quiet step did not close the frame")
                    continue
                }
                #expect(decoded.frame == Self.capturedFrame)
                #expect(decoded.declaredLength == 32 + delta)
                #expect(decoder.next() == nil)
                // What comes after is decoded as usual.
                decoder.append((tail.isEmpty ? [0x00] : []) + (try Self.follower.encoded()))
                #expect(frames(Self.drain(&decoder)) == [Self.follower])
            }
        }
    }

    @Test("The quiet step leaves a frame still arriving alone, and it completes later")
    func quietWaitsForAFrameInProgress() throws {
        let wire = try Self.capturedFrame.encoded()
        for cut in 2..<(wire.count - 1) {
            var decoder = FrameDecoder()
            decoder.append(wire[..<cut])
            decoder.lineWentQuiet()
            let early = Self.drain(&decoder)
            #expect(frames(early).isEmpty, "cut at \(cut)")
            decoder.append(wire[cut...])
            #expect(frames(Self.drain(&decoder)) == [Self.capturedFrame], "cut at \(cut)")
        }
    }

    @Test("A run of zeros after the frame is never taken into it, however long", arguments: [1, 2, 3, 16, 17, 40])
    func zerosAfterTheFrame(zeros: Int) throws {
        // A checksum followed by 00 00 checks out again, so every even run of zeros is a candidate.
        let frame = Frame(command: .longResponse, objectID: ObjectID(0), payload: [UInt8](repeating: 0, count: 20))
        let wire = try frame.encoded(lengthError: -4) + [UInt8](repeating: 0, count: zeros)
        #expect(frames(decodeAll([wire])) == [frame], "end of input")
        #expect(frames(decodeAll([wire + (try Self.follower.encoded())])) == [frame, Self.follower], "next frame")
        var decoder = FrameDecoder()
        decoder.append(wire)
        decoder.lineWentQuiet()
        #expect(frames(Self.drain(&decoder)) == [frame], "quiet line")
    }

    @Test("Short frames are never recovered by their checksum: a wrong LEN there stays an error")
    func shortFramesKeepTheirLength() throws {
        let frame = Frame(command: .response, objectID: ObjectID(0x959930BF), payload: [1, 2, 3, 4])
        let wire = try Self.wrongLength(frame, delta: 2)
        let outputs = decodeAll([wire + (try Self.follower.encoded())])
        #expect(frames(outputs) == [Self.follower])
    }

    @Test("A long frame that never closes is bounded by the maximum length")
    func neverClosing() {
        var decoder = FrameDecoder(maximumLength: 1024)
        decoder.append([0x2B, 0x06, 0x03, 0xF0])
        for _ in 0..<200 {
            decoder.append([UInt8](repeating: 0x41, count: 64))
            decoder.lineWentQuiet()
            while decoder.next() != nil {}
            #expect(decoder.bufferedByteCount <= 2 * 1024 + 16 + 64)
        }
    }

    @Test("Random streams with wrong LENs, 0x00s and noise: every frame recovered, nothing false, every split",
          arguments: 0..<60)
    func property(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var stream: [UInt8] = []
        var sent: [Frame] = []
        var wrong = 0
        for _ in 0..<24 {
            let frame = Self.randomLongOrShort(using: &rng)
            let length = frame.length
            if frame.command.isLong, Bool.random(using: &rng) {
                // Off by any amount in either direction, up to the decoder's maximum.
                let declared = Int.random(in: 0...FrameDecoder.defaultMaximumLength, using: &rng)
                stream += try Self.wrongLength(frame, delta: (declared == length ? declared + 1 : declared) - length)
                wrong += 1
            } else {
                stream += try frame.encoded()
            }
            sent.append(frame)
            stream += Self.randomGap(using: &rng)
        }
        for chunks in [[stream], stream.map { [$0] }, randomSplit(stream, using: &rng, maximum: 97)] {
            let received = frames(decodeAll(chunks))
            #expect(received == sent, "seed \(seed): \(wrong) wrong LENs, \(received.count) of \(sent.count) frames")
        }
    }

    @Test("Every two-way split of a stream of wrong-LEN frames gives the same frames", arguments: 0..<4)
    func everySplit(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed + 1000)
        var stream: [UInt8] = []
        var sent: [Frame] = []
        for index in 0..<5 {
            let frame = Frame(command: .longResponse, objectID: ObjectID(UInt32.random(in: 0...UInt32.max, using: &rng)),
                              payload: (0..<Int.random(in: 0...60, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            let delta = [-16, 480, -3, 9, -(frame.payload.count + 4)][index]
            stream += [0x00] + (try Self.wrongLength(frame, delta: delta)) + Self.randomGap(using: &rng)
            sent.append(frame)
        }
        for cut in 0...stream.count {
            #expect(frames(decodeAll([Array(stream[..<cut]), Array(stream[cut...])])) == sent, "seed \(seed), cut at \(cut)")
        }
    }

    // MARK: - Helpers

    /// Every output the decoder has for the bytes fed so far.
    static func drain(_ decoder: inout FrameDecoder) -> [DecoderOutput] {
        var outputs: [DecoderOutput] = []
        while let output = decoder.next() { outputs.append(output) }
        return outputs
    }

    /// The wire form of `frame` with LEN off by `delta`, the checksum right over the bytes sent.
    static func wrongLength(_ frame: Frame, delta: Int) throws -> [UInt8] {
        try frame.encoded(lengthError: delta)
    }

    /// A frame of a response command, long ones more often, with start and escape bytes in its data.
    static func randomLongOrShort(using rng: inout SplitMix64) -> Frame {
        let command: Command = [.longResponse, .longResponse, .plantLongResponse, .response, .plantResponse]
            .randomElement(using: &rng)!
        let size = Int.random(in: 0...(command.isLong ? 400 : 40), using: &rng)
        let payload = (0..<size).map { _ -> UInt8 in
            Bool.random(using: &rng) ? [0x2B, 0x2D, 0x00][Int.random(in: 0...2, using: &rng)] : UInt8.random(in: 0...255, using: &rng)
        }
        return Frame(command: command, objectID: ObjectID(UInt32.random(in: 0...UInt32.max, using: &rng)),
                     payload: payload, address: UInt32.random(in: 0...UInt32.max, using: &rng))
    }

    /// What stands between frames in the field: nothing, the device's 0x00, keep-alives,
    /// bridge bursts, or line noise (never a start or escape byte of its own, so it cannot
    /// begin a frame or hide the next frame's start).
    static func randomGap(using rng: inout SplitMix64) -> [UInt8] {
        let noise = (0..<Int.random(in: 1...8, using: &rng)).map { _ in
            UInt8.random(in: 0...255, using: &rng)
        }.filter { $0 != FrameByte.start && $0 != FrameByte.escape }
        let gaps: [[UInt8]] = [[], [0x00], [0x00], Array("AT+\r".utf8), [0x2B, 0x3C, 0xE1], [0x2B, 0x2B, 0x2B, 0x0D, 0x0A],
                               noise, noise + [0x00]]
        return gaps.randomElement(using: &rng)!
    }
}
