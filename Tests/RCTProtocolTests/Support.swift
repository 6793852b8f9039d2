import RCTProtocol
import RCTSimulator

/// The simulator's seeded generator, so every random test can be replayed from its seed.
typealias SplitMix64 = SeededGenerator

/// Feeds `chunks` to a fresh decoder, ends the stream and returns everything it produced.
func decodeAll(_ chunks: [[UInt8]], maximumLength: Int = FrameDecoder.defaultMaximumLength) -> [DecoderOutput] {
    drain(chunks, maximumLength: maximumLength) { $0.next() }
}

/// Feeds `chunks` to a fresh decoder, taking what `take` gets from it after each chunk and
/// after the end of the stream.
func drain<Output>(_ chunks: [[UInt8]], maximumLength: Int = FrameDecoder.defaultMaximumLength,
                   _ take: (inout FrameDecoder) -> Output?) -> [Output] {
    var decoder = FrameDecoder(maximumLength: maximumLength)
    var out: [Output] = []
    for chunk in chunks {
        decoder.append(chunk)
        while let item = take(&decoder) { out.append(item) }
    }
    decoder.finish()
    while let item = take(&decoder) { out.append(item) }
    return out
}

/// The frames among decoder outputs.
func frames(_ outputs: [DecoderOutput]) -> [Frame] {
    outputs.compactMap { if case let .frame(decoded) = $0 { decoded.frame } else { nil } }
}

/// The events among decoder outputs.
func events(_ outputs: [DecoderOutput]) -> [DecoderEvent] {
    outputs.compactMap { if case let .event(event) = $0 { event } else { nil } }
}

/// A random frame of any command, with a payload that fits it.
func randomFrame(using rng: inout SplitMix64, maxPayload: Int = 40) -> Frame {
    let command = Command.allCases.randomElement(using: &rng)!
    let size = Int.random(in: 0...min(maxPayload, Frame.maximumPayload(for: command)), using: &rng)
    // Bias towards the bytes with a meaning on the wire, so escaping is exercised.
    let payload = (0..<size).map { _ -> UInt8 in
        Bool.random(using: &rng) ? [0x2B, 0x2D, 0x00][Int.random(in: 0...2, using: &rng)] : UInt8.random(in: 0...255, using: &rng)
    }
    return Frame(command: command, objectID: ObjectID(UInt32.random(in: 0...UInt32.max, using: &rng)),
                 payload: payload, address: UInt32.random(in: 0...UInt32.max, using: &rng))
}

/// `bytes` cut at random places into chunks of 1 to `maximum` bytes.
func randomSplit(_ bytes: [UInt8], using rng: inout SplitMix64, maximum: Int = 17) -> [[UInt8]] {
    var chunks: [[UInt8]] = []
    var index = 0
    while index < bytes.count {
        let size = Int.random(in: 1...maximum, using: &rng)
        chunks.append(Array(bytes[index..<min(bytes.count, index + size)]))
        index += size
    }
    return chunks
}
