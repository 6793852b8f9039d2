#if canImport(Glibc)
import Glibc
#endif

/// A point in monotonic time by which a wait must end.
public struct Deadline: Sendable, Comparable {
    /// Nanoseconds on the monotonic clock.
    public let nanoseconds: Int64

    /// The current monotonic time.
    public static var now: Deadline {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Deadline(nanoseconds: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }

    /// The deadline `seconds` from now.
    public static func after(seconds: Double) -> Deadline {
        now.adding(seconds: seconds)
    }

    /// The longest move a deadline takes, in seconds (about 31 years): more would not fit
    /// its nanoseconds.
    public static let longestMove = 1e9

    /// This deadline moved by `seconds`. Any Double is taken: a move beyond ``longestMove``
    /// (a user's `--duration 1e300`, infinity) is cut to that, and NaN moves nothing.
    public func adding(seconds: Double) -> Deadline {
        let bounded = seconds.isNaN ? 0 : min(max(seconds, -Self.longestMove), Self.longestMove)
        return Deadline(nanoseconds: nanoseconds + Int64((bounded * 1e9).rounded()))
    }

    /// Seconds left until the deadline, never negative.
    public var remainingSeconds: Double {
        max(0, Double(nanoseconds - Deadline.now.nanoseconds) / 1e9)
    }

    /// Seconds from this point until now: how long ago a start was (negative while it is
    /// still ahead).
    public var elapsedSeconds: Double {
        Double(Deadline.now.nanoseconds - nanoseconds) / 1e9
    }

    /// Milliseconds left, rounded up and capped at `cap`, for poll(2).
    public func pollTimeout(cap: Int32 = 100) -> Int32 {
        let remaining = nanoseconds - Deadline.now.nanoseconds
        if remaining <= 0 { return 0 }
        return Int32(min(Int64(cap), (remaining + 999_999) / 1_000_000))
    }

    /// Whether the deadline has passed.
    public var hasPassed: Bool { Deadline.now.nanoseconds >= nanoseconds }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
