/// How long to wait for the device's answer before asking again: a timeout that follows the
/// answer times measured on the link, as TCP's retransmission timer does (RFC 6298).
///
/// A fixed timeout long enough for the slowest answer makes every retry come late: a client
/// that gives up after 2 s never sees an answer the gateway asked for again after its own
/// 2 s. This one is the smoothed answer time plus four times its variation, kept between
/// ``floor`` and ``ceiling``; it starts at the ceiling, doubles after each timeout (up to the
/// ceiling) and is measured only from answers to requests sent once (Karn's rule: an answer
/// to a request sent twice cannot be timed). A plain value: the owner reads the clock.
public struct AnswerTimer: Sendable, Equatable {
    /// The shortest timeout, in seconds, however fast answers come.
    public let floor: Double
    /// The longest timeout, in seconds (the configured `--timeout`).
    public let ceiling: Double
    private var smoothed: Double?
    private var variation = 0.0
    private var backedOff: Double?

    /// A timer between `floor` and `ceiling` seconds, at the ceiling until it has measured.
    public init(floor: Double, ceiling: Double) {
        self.ceiling = max(ceiling, 0.001)
        self.floor = min(max(floor, 0.001), self.ceiling)
    }

    /// The timeout now, in seconds.
    public var timeout: Double {
        if let backedOff { return backedOff }
        guard let smoothed else { return ceiling }
        return min(ceiling, max(floor, smoothed + 4 * variation))
    }

    /// Takes the time an answer took to a request that was sent once.
    public mutating func record(_ seconds: Double) {
        guard seconds.isFinite, seconds >= 0 else { return }
        backedOff = nil
        guard let previous = smoothed else {
            smoothed = seconds
            variation = seconds / 2
            return
        }
        variation = 0.75 * variation + 0.25 * abs(previous - seconds)
        smoothed = 0.875 * previous + 0.125 * seconds
    }

    /// A request got no answer in time: wait twice as long (up to the ceiling) until an answer
    /// is measured again.
    public mutating func backOff() {
        backedOff = min(ceiling, 2 * timeout)
    }
}
