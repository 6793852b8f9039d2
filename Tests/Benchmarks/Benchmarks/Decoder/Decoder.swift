import Benchmark
import RCTProtocol
import RCTSimulator

/// A realistic capture: mostly short float and integer responses, some strings and
/// requests, and a long timeseries answer now and then, as a busy monitor sees it.
struct Capture {
    var bytes: [UInt8] = []
    var frames = 0

    init(megabytes: Int, noisy: Bool, seed: UInt64 = 1) {
        var random = SeededGenerator(seed: seed)
        let objects: [UInt32] = [0x959930BF, 0xF168B748, 0x400F015B, 0x1AC87AA0, 0x91617C58, 0xDB2D69AE, 0x65EED11B]
        while bytes.count < megabytes << 20 {
            if noisy && random.next() % 5 == 0 {
                // A burst of garbage, rich in start and escape bytes, before 20 % of the frames.
                for _ in 0..<(1 + random.next() % 24) {
                    let roll = random.next()
                    bytes.append(roll % 3 == 0 ? [0x2B, 0x2D, 0x00][Int(roll / 3 % 3)] : UInt8(truncatingIfNeeded: roll >> 8))
                }
            }
            let kind = random.next() % 100
            let id = ObjectID(objects[Int(random.next() % UInt64(objects.count))])
            let frame: Frame
            switch kind {
            case 0..<70: frame = Frame(command: .response, objectID: id, payload: (0..<4).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            case 70..<85: frame = Frame(command: .read, objectID: id)
            case 85..<97: frame = Frame(command: .response, objectID: ObjectID(0x7924ABD9), payload: Array("SIM0000000000001".utf8))
            default: frame = Frame(command: .longResponse, objectID: ObjectID(0x5293B668), payload: (0..<164).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            }
            bytes += (try? frame.encoded()) ?? []
            frames += 1
        }
    }
}

/// Decodes `capture` `repeats` times in 64 KiB chunks, as a reader would; returns the frames found.
@inline(never)
func decode(_ capture: Capture, repeats: Int) -> Int {
    var decoder = FrameDecoder()
    var found = 0
    let chunk = 1 << 16
    for _ in 0..<repeats {
        var start = 0
        while start < capture.bytes.count {
            let end = min(start + chunk, capture.bytes.count)
            decoder.append(capture.bytes[start..<end])
            while let output = decoder.next() {
                if case .frame = output { found += 1 }
            }
            start = end
        }
    }
    decoder.finish()
    while let output = decoder.next() { if case .frame = output { found += 1 } }
    return found
}

let benchmarks: @Sendable () -> Void = {
    let clean = Capture(megabytes: 16, noisy: false)
    let noisy = Capture(megabytes: 16, noisy: true)
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .peakMemoryResident, .mallocCountTotal]
    let configuration = Benchmark.Configuration(metrics: metrics, maxDuration: .seconds(10), maxIterations: 20)

    Benchmark("Clean stream, 16 MB", configuration: configuration) { benchmark in
        let found = decode(clean, repeats: 1)
        precondition(found == clean.frames, "lost frames on a clean stream: \(found) of \(clean.frames)")
        blackHole(found)
    }

    // The same decoder memory whatever the length: compare peak memory with the 16 MB run.
    Benchmark("Clean stream, 256 MB (16 MB fed 16 times)", configuration: configuration) { benchmark in
        blackHole(decode(clean, repeats: 16))
    }

    Benchmark("Noisy stream, 16 MB, garbage before 20 % of frames", configuration: configuration) { benchmark in
        let found = decode(noisy, repeats: 1)
        // Every intact frame must come back; garbage may by chance form an extra valid frame.
        precondition(found >= noisy.frames, "recovered \(found) of \(noisy.frames) intact frames")
        blackHole(found)
    }
}
