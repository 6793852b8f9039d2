import Prometheus
import RCTProtocol
import Synchronization

/// The catalogue's values as Prometheus metrics, set from what the poller read: a scrape
/// shows the last values and their age and never waits on the inverter.
///
/// Names follow Prometheus' conventions: `rct_` and the catalogue's metric name in base
/// units (ratios 0 to 1, watts, volts, celsius); energy totals are counters in watt-hours
/// (`_watt_hours_total`); an enum is one series per state, labelled with its name and number, 1 for
/// the current one; `rct_value_age_seconds{object=...}` says how old each value is.
public final class InverterMetrics: Sendable {
    private struct State {
        var counted: [String: Double] = [:]
        var readAt: [String: (object: String, time: Double)] = [:]
    }

    private let registry: PrometheusCollectorRegistry
    private let state = Mutex(State())

    /// Metrics in `registry`; a series appears once its value was first read, so a value
    /// never read shows as absent rather than as 0.
    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Records `value` of `entry`, read at `time` (monotonic seconds).
    public func record(_ value: Value, of entry: Catalogue.Entry, at time: Double) {
        guard let metric = entry.metric else { return }
        let number: Double
        switch value {
        // The float's shortest decimal form, so 0.55 is exported as 0.55, not 0.550000011920929.
        case let .float(float): number = Double("\(float)") ?? Double(float)
        case let .integer(integer): number = Double(integer)
        case let .bool(flag): number = flag ? 1 : 0
        default: return
        }
        guard number.isFinite else { return }
        let descriptor = MetricNameDescriptor(namespace: "rct", subsystem: "", metricName: metric, unitName: "", helpText: "\(entry.name) (\(entry.object.name)).")
        if !entry.object.labels.isEmpty {
            for label in entry.object.labels {
                registry.makeGauge(descriptor: descriptor, labels: [("state", label.label), ("code", "\(label.value)")])
                    .set(to: Double(label.value) == number ? 1 : 0)
            }
        } else if entry.isMonotonic {
            // A counter only goes up: it is raised by what the total grew since the last reading.
            let step: Double = state.withLock { state in
                let before = state.counted[entry.key] ?? 0
                guard number > before else { return 0 }
                state.counted[entry.key] = number
                return number - before
            }
            let counter = registry.makeCounter(descriptor: descriptor)
            if step > 0 { counter.increment(by: step) }
        } else {
            registry.makeGauge(descriptor: descriptor).set(to: number)
        }
        state.withLock { $0.readAt[entry.key] = (entry.object.name, time) }
    }

    /// Sets every age to the time since its value was read; called just before a scrape.
    public func updateAges(now: Double) {
        let readAt = state.withLock { $0.readAt }
        for (object, time) in readAt.values {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "rct", subsystem: "", metricName: "value_age", unitName: "seconds",
                                                 helpText: "Seconds since each exported value was read from the inverter."),
                labels: [("object", object)]).set(to: max(0, now - time))
        }
    }
}
