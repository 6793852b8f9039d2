import RCTProtocol

/// What the web page shows: the latest value of every catalogue entry, and a bounded history
/// of the power flow and the state of charge. A plain value without I/O, fed by the poller
/// and read by the HTTP handlers under the owner's lock.
public struct LiveValues: Sendable {
    /// One entry's latest value, as the page shows it.
    public struct Reading: Sendable, Equatable {
        /// The catalogue key.
        public let key: String
        /// The value as read.
        public let value: Value
        /// When it was read, seconds since 1970.
        public let time: Double
    }

    /// One point of the history: when, and each charted key's value in the unit shown.
    public struct Sample: Sendable, Equatable {
        /// Seconds since 1970.
        public let time: Double
        /// The charted values in ``LiveValues/chartedKeys`` order; nil where none was read yet.
        public let values: [Double?]
    }

    /// The keys charted, in order: the power flow and the state of charge.
    public static let chartedKeys = ["pv_a_power", "pv_b_power", "battery_power", "grid_power", "house_power", "battery_soc"]

    /// How many samples are kept: the oldest go first.
    public let capacity: Int
    /// The least time between two samples kept, in seconds: the chart's resolution, so a
    /// fast poll does not make the history heavier.
    public let spacing: Double
    /// The latest reading of each key.
    public private(set) var latest: [String: Reading] = [:]
    private var ring: [Sample] = []
    private var start = 0

    /// An empty store that keeps `capacity` samples (at least one), `spacing` seconds apart
    /// at the least.
    public init(capacity: Int, spacing: Double = 0) {
        self.capacity = max(1, capacity)
        self.spacing = spacing
    }

    /// The capacity for `hours` of history at one sample every `interval` seconds.
    public static func capacity(hours: Double, interval: Double) -> Int {
        Int((hours * 3600 / max(interval, 0.1)).rounded(.up))
    }

    /// Takes a value read for `entry` at `time` (seconds since 1970).
    public mutating func record(_ value: Value, of entry: Catalogue.Entry, at time: Double) {
        latest[entry.key] = Reading(key: entry.key, value: value, time: time)
    }

    /// Keeps a sample of every charted key's latest value, at the end of a round of the poll,
    /// unless the last one kept is less than ``spacing`` old; says whether it kept one.
    @discardableResult
    public mutating func sample(at time: Double) -> Bool {
        if let last = lastSample, time - last.time < spacing { return false }
        let sample = Sample(time: time, values: Self.chartedKeys.map { key in
            latest[key].flatMap { reading in reading.value.numericValue.map { Self.shown($0, key: key) } }
        })
        if ring.count < capacity {
            ring.append(sample)
        } else {
            ring[start] = sample
            start = (start + 1) % capacity
        }
        return true
    }

    /// The newest sample.
    public var lastSample: Sample? {
        ring.isEmpty ? nil : ring[(start + ring.count - 1) % ring.count]
    }

    /// The samples kept, oldest first.
    public func history() -> [Sample] {
        Array(ring[start...] + ring[..<start])
    }

    /// A charted value in the unit the chart shows: percent for the state of charge, watts.
    private static func shown(_ raw: Double, key: String) -> Double {
        key == "battery_soc" ? (raw * 1000).rounded() / 10 : raw.rounded()
    }
}
