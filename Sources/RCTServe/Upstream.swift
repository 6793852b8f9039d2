import Logging
import RCTControl
import RCTProtocol
import RCTTransport

/// How `rct serve` reaches the inverter: the same link selection, timeouts, gap and trace
/// as every other command, opened again with backoff whenever it is lost.
public struct UpstreamConfiguration: Sendable {
    /// Opens the link; called on the upstream thread, again after every loss.
    public var open: @Sendable () throws -> any Transport
    /// Timeout, retries (reads only) and the minimum gap between requests.
    public var clientOptions: Client.Options
    /// Makes the `--trace` printer, or nil without `--trace`.
    public var makeTracePrinter: @Sendable () -> TraceHandler?
    /// Seconds to wait before the first attempt to reopen a lost link; doubled after each
    /// failed attempt up to ``maximumBackoff``.
    public var initialBackoff: Double
    /// The longest wait between attempts to reopen the link.
    public var maximumBackoff: Double

    /// A configuration; backoff from 0.5 s, doubling up to 30 s.
    public init(open: @escaping @Sendable () throws -> any Transport, clientOptions: Client.Options,
                makeTracePrinter: @escaping @Sendable () -> TraceHandler? = { nil },
                initialBackoff: Double = 0.5, maximumBackoff: Double = 30) {
        self.open = open
        self.clientOptions = clientOptions
        self.makeTracePrinter = makeTracePrinter
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }
}

extension Gateway {
    /// Owns the upstream link on the calling thread until ``stop()``: opens it,
    /// carries out one job at a time, watches for traffic it did not cause, and reopens the
    /// link with backoff when it is lost. Clients stay connected throughout. `opened` is
    /// called once, after the first attempt to open the link, whatever its outcome.
    public func runUpstream(_ upstream: UpstreamConfiguration, firstAttemptDone opened: () -> Void = {}) {
        let watch = LinkWatch(gateway: self)
        let printer = upstream.makeTracePrinter()
        var client: Client?
        var backoff = upstream.initialBackoff
        var failures = 0
        var everOpened = false
        var firstAttempt = true
        defer {
            client?.transport.close()
            setLink(up: false)
        }
        while !isStopping {
            guard let link = client else {
                var failed = false
                do {
                    let transport = try upstream.open()
                    // Signals are the service's to handle: it stops this loop once whatever
                    // must still reach the inverter (a hand-back) has been sent.
                    var options = upstream.clientOptions
                    options.stopsOnSignal = false
                    client = Client(transport: transport, options: options) { entry in
                        watch.observe(entry)
                        printer?(entry)
                    }
                    if everOpened {
                        metrics.reconnects.increment()
                        logger.notice("upstream \(transport.label) open again after \(failures) failed attempt(s)")
                    } else {
                        logger.info("upstream \(transport.label) open")
                    }
                    everOpened = true
                    failures = 0
                    backoff = upstream.initialBackoff
                    setLink(up: true)
                } catch {
                    failures += 1
                    // After a loss, the loss itself was the one line; at start-up, say why once.
                    if failures == 1 && !everOpened {
                        logger.error("cannot open the upstream link: \(error); retrying with backoff up to \(Int(upstream.maximumBackoff)) s")
                    }
                    failed = true
                }
                if firstAttempt {
                    firstAttempt = false
                    opened()
                }
                if failed {
                    pause(backoff)
                    backoff = min(backoff * 2, upstream.maximumBackoff)
                }
                continue
            }
            do {
                if let work = nextWork(waitingUpTo: 0.02) {
                    try perform(work, on: link, watch: watch)
                } else {
                    // Nothing to do: read what the link carries, so traffic of others is seen.
                    try link.listen(until: .after(seconds: 0.001)) { _ in }
                }
            } catch {
                switch error {
                case .bootloader:
                    logger.critical("the inverter sends its bootloader signature (stuck after a failed update): nothing more is sent for \(Int(upstream.maximumBackoff)) s")
                    link.transport.close()
                    client = nil
                    setLink(up: false)
                    pause(upstream.maximumBackoff)
                default:
                    logger.error("upstream link lost: \(error.description); reconnecting")
                    link.transport.close()
                    client = nil
                    setLink(up: false)
                    pause(backoff)
                }
            }
        }
    }

    /// Carries out one job on the open link.
    private func perform(_ work: GatewayScheduler.Work, on link: Client, watch: LinkWatch) throws(ClientError) {
        switch work {
        case let .read(request):
            let started = Deadline.now
            let object = Registry.standard.object(id: request.objectID)
            var answer: Frame?
            // Objects the registry does not know may not exist on the device, which then stays
            // silent: one attempt, so a client asking for them costs one timeout, not several.
            for _ in 0...(object == nil ? 0 : link.options.retries) {
                guard let candidate = try link.exchange(request) else { continue }
                // An answer cut short by another request still has a valid CRC: only whole
                // values of known objects are passed on.
                if let object, (try? ValueCodec.decode(candidate.payload, as: object.responseType)) == nil {
                    logger.debug("upstream answer for \(object.name) does not hold a whole \(object.responseType.rawValue); asking again")
                    continue
                }
                answer = candidate
                break
            }
            if answer != nil {
                metrics.answers.increment()
                metrics.answerTime.recordNanoseconds(Deadline.now.nanoseconds - started.nanoseconds)
            } else {
                metrics.timeouts.increment()
            }
            complete(work, answer: answer)
        case let .write(rule, value, id):
            defer { complete(work, answer: nil) }
            metrics.writes.increment()
            let who = name(of: id)
            let writer = ParameterWriter(client: link)
            do {
                for warning in try writer.crossCheck([rule.id: value]) {
                    logger.warning("write from \(who): \(warning)")
                }
                let outcome = try writer.set(rule, to: value)
                let change = "\(rule.name) = \(rule.describe(value)), was \(rule.describe(outcome.old))"
                logger.notice("write from \(who): \(change): \(outcome.written ? "written and verified" : "already set, nothing sent")")
            } catch {
                if case let .client(clientError) = error, case .transport = clientError { throw clientError }
                logger.error("write from \(who): \(rule.name) = \(rule.describe(value)): \(error.description)")
            }
        }
    }

    /// Sleeps up to `seconds`, waking early for a stop.
    private func pause(_ seconds: Double) {
        let end = Deadline.after(seconds: seconds)
        while !end.hasPassed && !isStopping {
            usleepSeconds(min(0.05, end.remainingSeconds))
        }
    }
}

/// Watches everything on the upstream link for what this gateway did not cause, and counts
/// checksum failures. Lives on the upstream thread, inside the client's trace hook.
final class LinkWatch {
    private let gateway: Gateway
    /// The last requests sent: their echoes and their answers (even late ones) are ours.
    private var recent: [Frame] = []
    private var unreported = 0
    private var lastReport: Double?

    /// One foreign-traffic warning per minute at most.
    static let reportInterval = 60.0

    init(gateway: Gateway) { self.gateway = gateway }

    func observe(_ entry: TraceEntry) {
        for output in entry.decoded {
            switch (entry.direction, output) {
            case let (.sent, .frame(decoded)):
                recent.append(decoded.frame)
                if recent.count > 16 { recent.removeFirst() }
                gateway.metrics.exchanges.increment()
            case let (.received, .frame(decoded)):
                let frame = decoded.frame
                if recent.contains(frame) || recent.contains(where: { Client.answers(frame, $0) }) { continue }
                gateway.metrics.foreignFrames.increment()
                unreported += 1
            case (.received, .event(.crcMismatch)):
                gateway.metrics.crcErrors.increment()
            default:
                continue
            }
        }
        let now = Gateway.now
        if unreported > 0, lastReport.map({ now - $0 >= Self.reportInterval }) ?? true {
            gateway.logger.warning("someone else is on the inverter link: \(unreported) frame(s) this gateway did not cause (another client of the Wi-Fi module, such as the vendor app); answers may be unreliable")
            unreported = 0
            lastReport = now
        }
    }
}
