import Testing
import RCTProtocol
import RCTTestSupport

/// A decoder started in the middle of a stream, knowing nothing of what came before, agrees
/// with the decoder of the whole stream from the first checkpoint they share: the ground that
/// decoding a capture in parts on several threads stands on.
@Suite("Decoder checkpoints")
struct CheckpointTests {
    /// One output and the checkpoint after it; the first entry has no output and holds the
    /// checkpoint before the first byte.
    typealias Step = (output: DecoderOutput?, checkpoint: FrameDecoder.Checkpoint?)

    /// Decodes `stream` from offset `start` (a multiple of `block`) to its end, fed in blocks
    /// whose edges stand at multiples of `block`, draining after each and after the end.
    static func steps(_ stream: [UInt8], from start: Int, block: Int) -> [Step] {
        var decoder = FrameDecoder(startingAt: start)
        var steps: [Step] = [(nil, decoder.checkpoint)]
        func drain() {
            while let output = decoder.next() { steps.append((output, decoder.checkpoint)) }
        }
        var offset = start
        while offset < stream.count {
            decoder.append(stream[offset..<min(stream.count, offset + block)])
            drain()
            offset += block
        }
        decoder.finish()
        drain()
        return steps
    }

    /// A stream of everything the decoder meets: escapes, noise, long noise, CRC failures,
    /// frames cut short, long frames with a wrong LEN, bootloader signatures, 0x00s.
    static func messyStream(seed: UInt64) throws -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var stream: [UInt8] = []
        for _ in 0..<400 {
            switch Int.random(in: 0..<20, using: &rng) {
            case 0:
                stream += (0..<Int.random(in: 1...30, using: &rng)).map { _ in
                    Bool.random(using: &rng) ? [0x2B, 0x2D, 0x00, 0x50, 0xF7][Int.random(in: 0...4, using: &rng)]
                        : UInt8.random(in: 0...255, using: &rng)
                }
            case 1: stream += (0..<Int.random(in: 256...600, using: &rng)).map { _ in UInt8.random(in: 0x30...0x39, using: &rng) }
            case 2:
                var wire = try randomFrame(using: &rng).encoded()
                wire[Int.random(in: 1..<wire.count, using: &rng)] ^= 0x41
                stream += wire
            case 3:
                let wire = try randomFrame(using: &rng).encoded()
                stream += wire.prefix(Int.random(in: 1..<wire.count, using: &rng))
            case 4: stream += [0x50, 0xF7, 0x05, 0xAB]
            case 5: stream += [0x00] + WrongLengthTests.captured
            default:
                if Bool.random(using: &rng) { stream.append(0x00) }
                stream += try randomFrame(using: &rng, maxPayload: 60).encoded()
            }
        }
        return stream
    }

    /// Checks, for a part started at every block edge of `stream`, that from the first
    /// checkpoint it shares with the whole stream's decoder it gives the same outputs; returns
    /// how many parts joined, of how many.
    static func expectPartsAgree(_ stream: [UInt8], block: Int, _ comment: String) -> (joined: Int, parts: Int) {
        let whole = steps(stream, from: 0, block: block)
        var indexOf: [FrameDecoder.Checkpoint: Int] = [:]
        for (index, step) in whole.enumerated() {
            if let checkpoint = step.checkpoint { indexOf[checkpoint] = index }
        }
        var joined = 0
        var parts = 0
        for start in stride(from: block, to: stream.count, by: block) {
            parts += 1
            let part = steps(stream, from: start, block: block)
            guard let (partIndex, wholeIndex) = part.indices.lazy.compactMap({ index in
                part[index].checkpoint.flatMap { indexOf[$0] }.map { (index, $0) }
            }).first else { continue }
            joined += 1
            #expect(part[(partIndex + 1)...].map(\.output) == whole[(wholeIndex + 1)...].map(\.output),
                    "\(comment), block \(block), part from \(start)")
        }
        return (joined, parts)
    }

    @Test("From the first shared checkpoint on, a decoder started at any block edge gives the whole stream's outputs",
          arguments: 0..<12)
    func partsAgreeAfterJoining(seed: UInt64) throws {
        let stream = try Self.messyStream(seed: seed)
        var rng = SplitMix64(seed: seed &+ 1000)
        let block = Int.random(in: 64...700, using: &rng)
        let (joined, parts) = Self.expectPartsAgree(stream, block: block, "seed \(seed)")
        // Joins are the rule, not the exception: a part that never joins is decoded again
        // by the whole-stream decoder, which is correct but slow.
        #expect(parts > 20)
        #expect(joined * 10 >= parts * 9, "\(joined) of \(parts) parts joined (seed \(seed), block \(block))")
    }

    @Test("A part that passed over the start of a bootloader signature in a frame's tail does not join early")
    func signatureBegunInAFrame() throws {
        // A frame whose last byte on the wire is the signature's first: the whole stream's
        // decoder takes it as part of the frame, a part started inside the frame passes it
        // over as noise, and would report a signature when the rest of it comes as noise.
        let tail = try #require(frameEndingInSignatureStart())
        let other = try Frame(command: .response, objectID: ObjectID(0x1AD9725D), payload: [1, 2, 3, 4]).encoded()
        let stream = tail + other + [0xF7, 0x05, 0xAB] + other
        #expect(!Self.steps(stream, from: 0, block: 1).contains { step in
            if case .event(.bootloader)? = step.output { true } else { false }
        })
        let (joined, parts) = Self.expectPartsAgree(stream, block: 1, "signature in a frame's tail")
        #expect(joined > 0 && joined < parts)
    }

    @Test("A decoder started at an offset reports stream offsets, and equal states show equal checkpoints")
    func offsetsAndEquality() throws {
        let frame = try Frame(command: .response, objectID: ObjectID(0x959930BF), payload: [0x3F, 0x1E, 0xC0, 0x00]).encoded()
        var first = FrameDecoder(startingAt: 1000)
        var second = FrameDecoder(startingAt: 1000)
        #expect(first.checkpoint == second.checkpoint)
        #expect(first.checkpoint != FrameDecoder(startingAt: 999).checkpoint)
        first.append(frame + frame)
        second.append(frame + frame)
        let output = first.next()
        #expect(output?.offset == 1000)
        #expect(first.checkpoint != second.checkpoint, "one decoder is a frame further")
        _ = second.next()
        #expect(first.checkpoint == second.checkpoint)
        #expect(first.checkpoint != nil)
        // A run of skipped bytes that may go on is held: no checkpoint while it is.
        var noisy = FrameDecoder()
        noisy.append([0x41, 0x42, 0x43])
        #expect(noisy.next() == nil)
        #expect(noisy.checkpoint == nil)
    }
}
