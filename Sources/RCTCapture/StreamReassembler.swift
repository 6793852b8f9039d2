/// Puts the segments of one direction of a TCP connection back into stream order.
///
/// Segments are fed as captured; out comes the stream as pieces: bytes in sequence order,
/// retransmitted and duplicated bytes dropped, and the size of any gap the capture missed.
/// A gap is given up on (reported and stepped over) when more than ``maximumHeld`` bytes
/// wait behind it, or at ``finish()``. Memory is bounded by that limit.
public struct StreamReassembler: Sendable {
    /// One piece of the stream.
    public enum Piece: Sendable, Hashable {
        /// The next bytes of the stream.
        case bytes([UInt8])
        /// Bytes the capture does not have.
        case missing(Int)
    }

    /// The most bytes held out of order before the gap in front of them is given up on.
    public let maximumHeld: Int

    private var next: UInt32?
    private var held: [UInt32: [UInt8]] = [:]
    private var heldBytes = 0

    /// A reassembler for a stream whose start may or may not be in the capture.
    public init(maximumHeld: Int = 1 << 20) {
        self.maximumHeld = maximumHeld
    }

    /// Feeds a segment of this direction: its sequence number, SYN flag and payload.
    public mutating func add(sequence: UInt32, isSYN: Bool, payload: [UInt8]) -> [Piece] {
        var sequence = sequence
        if isSYN {
            // The SYN takes one sequence number; the data starts after it.
            sequence &+= 1
            if next == nil { next = sequence }
        }
        guard !payload.isEmpty else { return [] }
        // A capture that starts in the middle of a connection starts the stream here.
        let expected = next ?? sequence
        next = expected
        var pieces: [Piece] = []
        let distance = Int(Int32(bitPattern: sequence &- expected))
        if distance <= 0 {
            // A retransmission or an overlap: only what goes beyond the stream so far is new.
            let new = payload.dropFirst(-distance)
            guard !new.isEmpty else { return [] }
            pieces.append(.bytes(Array(new)))
            next = expected &+ UInt32(new.count)
            pieces += releaseHeld()
        } else {
            if let existing = held[sequence], existing.count >= payload.count { return [] }
            heldBytes += payload.count - (held[sequence]?.count ?? 0)
            held[sequence] = payload
            while heldBytes > maximumHeld { pieces += skipGap() }
        }
        return pieces
    }

    /// The end of the capture: whatever is held comes out, each gap in front of it reported.
    public mutating func finish() -> [Piece] {
        var pieces: [Piece] = []
        while !held.isEmpty { pieces += skipGap() }
        return pieces
    }

    /// Reports the gap before the earliest held segment and continues from there.
    private mutating func skipGap() -> [Piece] {
        guard let expected = next,
              let earliest = held.keys.min(by: { Int32(bitPattern: $0 &- expected) < Int32(bitPattern: $1 &- expected) })
        else { return [] }
        let gap = Int(Int32(bitPattern: earliest &- expected))
        next = earliest
        return (gap > 0 ? [.missing(gap)] : []) + releaseHeld()
    }

    /// Takes held segments that now continue the stream (trimming what overlaps).
    private mutating func releaseHeld() -> [Piece] {
        var pieces: [Piece] = []
        while let expected = next {
            var progressed = false
            for (sequence, payload) in held {
                let distance = Int(Int32(bitPattern: sequence &- expected))
                guard distance <= 0 else { continue }
                held[sequence] = nil
                heldBytes -= payload.count
                let new = payload.dropFirst(-distance)
                if !new.isEmpty {
                    pieces.append(.bytes(Array(new)))
                    next = expected &+ UInt32(new.count)
                }
                progressed = true
                break
            }
            if !progressed { break }
        }
        return pieces
    }
}
