import RCTProtocol

/// Link faults seen in the field, injected on purpose: garbage bursts, split writes,
/// echoes, unsolicited frames, answers cut short (with a valid CRC) and dropped answers.
public struct FaultInjection: Sendable {
    /// A piece of output and how long to pause before it, in seconds.
    public struct Chunk: Sendable, Equatable {
        /// Pause before sending.
        public var delay: Double
        /// The bytes to send.
        public var bytes: [UInt8]
    }

    /// How likely each kind of fault is per answer, 0 to 1.
    public let rate: Double
    private var random: SeededGenerator

    /// Faults drawn from `seed` at `rate`.
    public init(seed: UInt64, rate: Double = 0.2) {
        self.rate = min(1, max(0, rate))
        self.random = SeededGenerator(seed: seed)
    }

    private mutating func chance(_ probability: Double) -> Bool {
        Double.random(in: 0..<1, using: &random) < probability
    }

    /// What the link carries in answer to `request`, given the device's clean `answers`,
    /// which go on the wire as `quirks` says.
    public mutating func disturb(_ answers: [Frame], request: Frame, quirks: WireQuirks = WireQuirks()) -> [Chunk] {
        var chunks: [Chunk] = []
        if chance(rate) {
            chunks.append(Chunk(delay: 0, bytes: (try? request.encoded()) ?? []))
        }
        if chance(rate) {
            let size = Int.random(in: 1...16, using: &random)
            let burst = (0..<size).map { _ in
                chance(0.3) ? [FrameByte.start, FrameByte.escape][Int.random(in: 0...1, using: &random)]
                    : UInt8.random(in: 0...255, using: &random)
            }
            chunks.append(Chunk(delay: 0, bytes: burst))
        }
        if chance(rate / 2) {
            let voltage = (try? ValueCodec.encode(.float(410.5), as: .float)) ?? []
            let stray = Frame(command: .response, objectID: ObjectID(0x65EED11B), payload: voltage)
            chunks.append(Chunk(delay: 0, bytes: (try? stray.encoded()) ?? []))
        }
        for answer in answers {
            if chance(rate / 2) { continue }
            var frame = answer
            if chance(rate / 2), !frame.payload.isEmpty {
                frame.payload.removeLast(Int.random(in: 1...frame.payload.count, using: &random))
            }
            let bytes = quirks.wire(frame)
            if chance(rate), bytes.count > 2 {
                let cut = Int.random(in: 1..<bytes.count, using: &random)
                chunks.append(Chunk(delay: 0, bytes: Array(bytes[..<cut])))
                chunks.append(Chunk(delay: Double.random(in: 0.001...0.02, using: &random), bytes: Array(bytes[cut...])))
            } else {
                chunks.append(Chunk(delay: 0, bytes: bytes))
            }
        }
        return chunks
    }
}
