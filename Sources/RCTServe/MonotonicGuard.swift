/// Keeps energy totals from going down: Home Assistant's energy dashboard reads a smaller
/// value of a `total_increasing` sensor as a meter reset and counts the whole total again.
/// A value below the highest one let through is held back (the caller logs it).
public struct MonotonicGuard: Sendable {
    private var highest: [String: Double] = [:]

    /// A guard that has seen nothing.
    public init() {}

    /// Whether `value` of `key` may be published: not below any value let through before.
    public mutating func admit(_ value: Double, for key: String) -> Bool {
        guard value.isFinite else { return false }
        if let previous = highest[key], value < previous { return false }
        highest[key] = value
        return true
    }

    /// The highest value let through for `key`.
    public func highest(of key: String) -> Double? { highest[key] }
}
