import Synchronization

/// The latest answer times of the upstream link, for the percentiles the web page shows: a
/// plain value without I/O, a ring of the last ``capacity`` times.
public struct AnswerTimes: Sendable, Equatable {
    /// How many times are kept: the oldest go first.
    public let capacity: Int
    private var ring: [Double] = []
    private var next = 0

    /// An empty window of `capacity` times (at least one).
    public init(capacity: Int = 1000) {
        self.capacity = max(1, capacity)
    }

    /// Takes one answer time, in seconds.
    public mutating func record(_ seconds: Double) {
        guard seconds.isFinite, seconds >= 0 else { return }
        if ring.count < capacity {
            ring.append(seconds)
        } else {
            ring[next] = seconds
        }
        next = (next + 1) % capacity
    }

    /// How many times are kept now.
    public var count: Int { ring.count }

    /// The time below which `fraction` (0...1) of the kept times lie, by the nearest-rank
    /// method: one of the times recorded, never an interpolation. Nil while none is kept.
    public func percentile(_ fraction: Double) -> Double? {
        guard !ring.isEmpty else { return nil }
        let sorted = ring.sorted()
        let rank = Int((min(max(fraction, 0), 1) * Double(sorted.count)).rounded(.up))
        return sorted[max(rank, 1) - 1]
    }
}

/// ``AnswerTimes`` shared between the upstream thread, which records, and the HTTP handlers.
public final class SharedAnswerTimes: Sendable {
    private let times = Mutex(AnswerTimes())

    /// Takes one answer time, in seconds.
    func record(_ seconds: Double) { times.withLock { $0.record(seconds) } }

    /// The kept times as they are now.
    public var current: AnswerTimes { times.withLock { $0 } }
}
