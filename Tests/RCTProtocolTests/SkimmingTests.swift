import RCTProtocol
import Testing

@Suite("Skimming: counting frames without copying them out")
struct SkimmingTests {
    /// What `next()` says of a stream, as skimming would say it: runs of frames as counts.
    static func expected(_ outputs: [DecoderOutput]) -> [SkimmedOutput] {
        mergingRuns(outputs.map { output in
            switch output {
            case .frame: .frames(count: 1)
            case let .event(event): .event(event)
            }
        })
    }

    /// The outputs with consecutive runs of frames joined into one: where skimming cuts a run
    /// depends on the chunks, what it counts must not.
    static func mergingRuns(_ outputs: [SkimmedOutput]) -> [SkimmedOutput] {
        var merged: [SkimmedOutput] = []
        for output in outputs {
            if case let .frames(count) = output, case let .frames(before)? = merged.last {
                merged[merged.count - 1] = .frames(count: before + count)
            } else {
                merged.append(output)
            }
        }
        return merged
    }

    static func skimAll(_ chunks: [[UInt8]]) -> [SkimmedOutput] {
        mergingRuns(drain(chunks) { $0.nextSkimming() })
    }

    @Test("Random streams with noise, escapes and wrong LENs: skimming finds what next() finds, at every kind of split",
          arguments: 0..<40)
    func sameAsNext(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var stream: [UInt8] = []
        for _ in 0..<30 {
            let frame = WrongLengthTests.randomLongOrShort(using: &rng)
            if frame.command.isLong, Bool.random(using: &rng) {
                stream += try WrongLengthTests.wrongLength(frame, delta: [-16, 480, -3, 9][Int.random(in: 0..<4, using: &rng)])
            } else {
                stream += try frame.encoded()
            }
            stream += WrongLengthTests.randomGap(using: &rng)
            if Int.random(in: 0..<5, using: &rng) == 0 {
                // A frame whose checksum fails.
                var broken = try frame.encoded()
                broken[broken.count - 1] ^= 0x5A
                stream += broken
            }
        }
        let reference = Self.expected(decodeAll([stream]))
        #expect(reference.contains { if case .frames = $0 { true } else { false } })
        for chunks in [[stream], stream.map { [$0] }, randomSplit(stream, using: &rng, maximum: 97)] {
            #expect(Self.skimAll(chunks) == reference, "seed \(seed)")
        }
    }
}
