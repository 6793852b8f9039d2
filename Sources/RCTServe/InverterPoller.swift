import Logging
import RCTProtocol
import RCTTransport
import Synchronization

/// Reads the catalogue through the gateway on a schedule, for Prometheus and MQTT: the
/// inverter's identity first, then every fast entry each fast interval and every slow one
/// each slow interval. Its reads are gateway requests like any client's, so they share the
/// one link, its fairness and its cache.
public final class InverterPoller: Sendable {
    /// What the poller tells its listeners; called on the poller's thread.
    public struct Listener: Sendable {
        /// The inverter said who it is (once per start).
        public var identified: @Sendable (InverterIdentity) -> Void = { _ in }
        /// A value was read at a time on the monotonic clock, in seconds.
        public var read: @Sendable (Catalogue.Entry, Value, Double) -> Void = { _, _, _ in }
        /// The inverter answers again (true) or the link is down (false).
        public var availability: @Sendable (Bool) -> Void = { _ in }
        /// A round of reads ended, at a time on the monotonic clock, in seconds.
        public var roundEnded: @Sendable (Double) -> Void = { _ in }

        /// A listener; set the closures it needs.
        public init() {}
    }

    /// How often entries are read.
    public struct Intervals: Sendable, Equatable {
        /// Seconds between reads of fast entries (1 unless configured): a change of power
        /// reaches the page and MQTT within 2 s (Documentation/Performance.md).
        public var fast: Double
        /// Seconds between reads of slow entries (300 unless configured).
        public var slow: Double

        /// Every second and every 5 min unless told otherwise.
        public init(fast: Double = 1, slow: Double = 300) {
            self.fast = fast
            self.slow = slow
        }
    }

    private let gateway: Gateway
    private let catalogue: Catalogue
    private let intervals: Intervals
    private let timeout: Double
    private let listeners: [Listener]
    private let stopping = Atomic<Bool>(false)

    /// A poller; `timeout` bounds each read's wait, queueing in the gateway included.
    public init(gateway: Gateway, catalogue: Catalogue, intervals: Intervals, timeout: Double, listeners: [Listener]) {
        self.gateway = gateway
        self.catalogue = catalogue
        self.intervals = intervals
        self.timeout = timeout
        self.listeners = listeners
    }

    /// Ends ``run()`` within a tenth of a second (or after the read under way).
    public func stop() { stopping.store(true, ordering: .relaxed) }

    /// Polls on the calling thread until ``stop()``.
    public func run() {
        var client: Client?
        var identified = false
        var toldWhyNotIdentified = false
        var available: Bool?
        var nextFast = Deadline.now
        var nextSlow = Deadline.now
        func announce(_ up: Bool) {
            guard available != up else { return }
            available = up
            for listener in listeners { listener.availability(up) }
        }
        while !stopping.load(ordering: .relaxed) {
            guard gateway.isLinkUp else {
                client = nil
                announce(false)
                rest(until: .after(seconds: 0.2))
                continue
            }
            do throws(ClientError) {
                let link: Client
                if let client { link = client } else { link = try makeClient() }
                client = link
                if !identified {
                    let identity = try identify(link)
                    identified = true
                    for listener in listeners { listener.identified(identity) }
                }
                let fast = nextFast.hasPassed
                let slow = nextSlow.hasPassed
                if fast { nextFast = .after(seconds: intervals.fast) }
                if slow { nextSlow = .after(seconds: intervals.slow) }
                let due = catalogue.entries.filter { ($0.interval == .fast && fast) || ($0.interval == .slow && slow) }
                // Read together through the gateway's window; one value missing is no outage.
                let values = try link.read(due.map { Client.ReadRequest($0.object) }, window: Self.window)
                guard !stopping.load(ordering: .relaxed) else { return }
                let time = Gateway.now
                for (entry, outcome) in zip(due, values) {
                    switch outcome {
                    case let .success(value):
                        announce(true)
                        for listener in listeners { listener.read(entry, value, time) }
                    case let .failure(error):
                        gateway.logger.debug("poll: \(entry.object.name): \(error.description)")
                    }
                }
                for listener in listeners { listener.roundEnded(time) }
            } catch {
                if !identified && !toldWhyNotIdentified {
                    // Nothing is published before the inverter has said who it is: say why, once.
                    gateway.logger.warning("poll: cannot read the inverter's serial number yet (\(error.description)); trying again")
                    toldWhyNotIdentified = true
                }
                gateway.logger.debug("poll: \(error.description)")
                client = nil
                announce(false)
                rest(until: .after(seconds: 0.5))
                continue
            }
            rest(until: min(nextFast, nextSlow))
        }
    }

    private func makeClient() throws(ClientError) -> Client {
        do {
            return try gateway.ownClient(named: "poller", timeout: timeout)
        } catch {
            throw .transport(error)
        }
    }

    private func identify(_ client: Client) throws(ClientError) -> InverterIdentity {
        func text(_ name: String) throws(ClientError) -> String? {
            guard let object = Registry.standard.object(named: name) else { return nil }
            guard case let .string(text) = try client.read(object) else { return nil }
            return text
        }
        guard let serial = try text("inverter_sn"), !serial.isEmpty else {
            throw .malformedAnswer(object: "inverter_sn", reason: "no serial number")
        }
        return InverterIdentity(serialNumber: serial, model: try? text("android_description"), firmware: try? text("svnversion"))
    }

    private func rest(until deadline: Deadline) {
        while !deadline.hasPassed && !stopping.load(ordering: .relaxed) {
            usleepSeconds(min(0.1, deadline.remainingSeconds))
        }
    }

    /// Reads of one poll kept in the gateway at once: as many as `rct get` keeps in flight.
    static let window = 8
}
