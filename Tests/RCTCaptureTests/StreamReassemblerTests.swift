import RCTCapture
import Testing

@Suite("TCP stream reassembly")
struct StreamReassemblerTests {
    /// A stream cut into segments of 1 to 7 bytes, starting at `first` (sequence numbers wrap).
    static func segments(of stream: [UInt8], first: UInt32, seed: UInt64) -> [(UInt32, [UInt8])] {
        var random = seed
        var result: [(UInt32, [UInt8])] = []
        var offset = 0
        while offset < stream.count {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            let size = min(stream.count - offset, Int(random >> 61) + 1)
            result.append((first &+ UInt32(offset), Array(stream[offset..<(offset + size)])))
            offset += size
        }
        return result
    }

    /// The bytes and gaps of `pieces`, joined.
    static func joined(_ pieces: [StreamReassembler.Piece]) -> (bytes: [UInt8], missing: [Int]) {
        var bytes: [UInt8] = [], missing: [Int] = []
        for piece in pieces {
            switch piece {
            case let .bytes(chunk): bytes += chunk
            case let .missing(count): missing.append(count)
            }
        }
        return (bytes, missing)
    }

    static let stream = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37) }

    @Test("Any order, with duplicates and overlapping retransmissions, across the 2^32 wrap: the stream comes out whole",
          arguments: 0..<30)
    func anyOrder(seed: UInt64) {
        let first: UInt32 = seed % 2 == 0 ? 1000 : UInt32.max - 100
        var segments = Self.segments(of: Self.stream, first: first, seed: seed)
        // Duplicates and a retransmission that overlaps two segments.
        segments += segments.prefix(5)
        segments.append((first &+ 10, Array(Self.stream[10..<40])))
        var random = seed &+ 1
        for index in segments.indices.dropFirst().reversed() {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            segments.swapAt(index, Int(random >> 33) % index + 1)
        }
        var reassembler = StreamReassembler()
        var pieces = reassembler.add(sequence: first &- 1, isSYN: true, payload: [])
        for (sequence, payload) in segments { pieces += reassembler.add(sequence: sequence, isSYN: false, payload: payload) }
        pieces += reassembler.finish()
        let (bytes, missing) = Self.joined(pieces)
        #expect(bytes == Self.stream)
        #expect(missing.isEmpty)
    }

    @Test("A segment the capture lost becomes a gap of its size; what follows still comes out")
    func gap() {
        var reassembler = StreamReassembler()
        var pieces: [StreamReassembler.Piece] = []
        var segments = Self.segments(of: Self.stream, first: 5000, seed: 7)
        let (lostSequence, lostPayload) = segments.remove(at: 20)
        for (sequence, payload) in segments {
            pieces += reassembler.add(sequence: sequence, isSYN: false, payload: payload)
        }
        pieces += reassembler.finish()
        let (bytes, missing) = Self.joined(pieces)
        let at = Int(lostSequence - 5000)
        #expect(missing == [lostPayload.count])
        #expect(bytes == Array(Self.stream[..<at] + Self.stream[(at + lostPayload.count)...]))
    }

    @Test("More held out of order than the limit: the gap is given up on at once, memory stays bounded")
    func bounded() {
        var reassembler = StreamReassembler(maximumHeld: 50)
        var pieces = reassembler.add(sequence: 0, isSYN: false, payload: [1, 2, 3])
        // 10 bytes lost, then 60 bytes in order behind the gap.
        for offset in stride(from: 13, to: 73, by: 10) {
            pieces += reassembler.add(sequence: UInt32(offset), isSYN: false, payload: Array(repeating: 9, count: 10))
        }
        let (bytes, missing) = Self.joined(pieces)
        #expect(missing == [10])
        #expect(bytes.count == 63)
        #expect(Self.joined(reassembler.finish()).bytes.isEmpty)
    }

    @Test("A capture that starts mid-connection starts the stream at its first segment")
    func midStream() {
        var reassembler = StreamReassembler()
        let pieces = reassembler.add(sequence: 777, isSYN: false, payload: [1, 2]) + reassembler.add(sequence: 779, isSYN: false, payload: [3])
        #expect(Self.joined(pieces).bytes == [1, 2, 3])
    }
}
