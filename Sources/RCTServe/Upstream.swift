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
    /// The longest wait between attempts to reopen the link: short, so that reads work again
    /// within seconds of the inverter coming back.
    public var maximumBackoff: Double
    /// Seconds nothing is sent after the device sent its bootloader signature.
    public var bootloaderPause: Double
    /// Seconds of silence from the device since a request went out, after which the inverter
    /// counts as gone (switched off, stopped) and the link is opened again.
    public var silenceLimit: Double
    /// Seconds without any exchange after which the link is checked with a read of
    /// ``probe``, so a dead inverter is noticed while no client asks anything.
    public var keepAlive: Double
    /// The shortest time a read is given before it is sent again, however fast answers come;
    /// the timeout follows the measured answer times between this and the client timeout.
    public var answerTimeFloor: Double

    /// The object read to check that the device answers: after opening the link, before any
    /// client is admitted, and when the link has been idle for ``keepAlive`` seconds.
    public static let probe = Frame(command: .read, objectID: ObjectID(0x7924ABD9)) // inverter_sn

    /// A configuration; backoff from 0.5 s, doubling up to 2 s; 30 s of quiet after a
    /// bootloader signature; the inverter gone after twice the timeout (at least 3 s) of
    /// silence; a check every 5 s while idle; reads sent again after 0.3 s at the least.
    public init(open: @escaping @Sendable () throws -> any Transport, clientOptions: Client.Options,
                makeTracePrinter: @escaping @Sendable () -> TraceHandler? = { nil },
                initialBackoff: Double = 0.5, maximumBackoff: Double = 2, bootloaderPause: Double = 30,
                silenceLimit: Double? = nil, keepAlive: Double = 5, answerTimeFloor: Double = 0.3) {
        self.open = open
        self.clientOptions = clientOptions
        self.makeTracePrinter = makeTracePrinter
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.bootloaderPause = bootloaderPause
        self.silenceLimit = silenceLimit ?? max(3, 2 * clientOptions.timeout)
        self.keepAlive = keepAlive
        self.answerTimeFloor = answerTimeFloor
    }
}

/// Why the upstream loop gave up on an open link.
private enum LinkEnd: Error {
    /// The client reported a failure of the link.
    case client(ClientError)
    /// The device sent nothing for the silence limit while requests were under way.
    case silent(Double)
}

extension Gateway {
    /// Owns the upstream link on the calling thread until ``stop()``: opens it, checks that
    /// the device answers, keeps the scheduler's window of reads (or one write) under way,
    /// watches for traffic it did not cause and for silence, and reopens the link with
    /// backoff when it is lost. The gateway counts as up only while the device answers.
    /// `opened` is called once, after the first attempt to open the link, whatever its outcome.
    public func runUpstream(_ upstream: UpstreamConfiguration, firstAttemptDone opened: () -> Void = {}) {
        let watch = LinkWatch(gateway: self)
        let printer = upstream.makeTracePrinter()
        var client: Client?
        var backoff = upstream.initialBackoff
        var failures = 0
        var everOpened = false
        var firstAttempt = true
        // The scheduler hands out at most its window of reads; this keeps them matched.
        var window = ReadWindow<UpstreamRead>(capacity: configuration.scheduling.window)
        var timer = AnswerTimer(floor: upstream.answerTimeFloor, ceiling: upstream.clientOptions.timeout)
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
                    let recent = recentTraffic
                    let opened = Client(transport: transport, options: options) { entry in
                        watch.observe(entry)
                        recent?.record(entry, at: WebSite.wallClock)
                        printer?(entry)
                    }
                    // Open is not enough (a stopped device's TCP stack still accepts): it must answer.
                    do throws(ClientError) {
                        try probe(opened)
                    } catch {
                        transport.close()
                        throw error
                    }
                    client = opened
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
                        logger.error("cannot open the upstream link: \(error); retrying every \(Self.seconds(upstream.maximumBackoff)) s at most; clients are refused meanwhile")
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
            do throws(LinkEnd) {
                do throws(ClientError) {
                    // Start whatever may start now: reads join the window, a write runs alone.
                    while let work = takeWork().work {
                        try start(work, on: link, window: &window, timer: timer)
                    }
                    if window.isEmpty {
                        if let work = nextWork(waitingUpTo: 0.02) {
                            try start(work, on: link, window: &window, timer: timer)
                        } else if watch.lastExchange.map({ $0.elapsedSeconds > upstream.keepAlive }) ?? true {
                            // Idle for a while: ask the device something, so a dead one is noticed.
                            try start(.read(UpstreamConfiguration.probe), on: link, window: &window, timer: timer)
                        } else {
                            // Nothing to do: read what the link carries, so traffic of others is seen.
                            try link.listen(until: .after(seconds: 0.001)) { _ in }
                        }
                    } else {
                        try collect(on: link, window: &window, timer: &timer)
                    }
                } catch {
                    throw .client(error)
                }
                if let since = watch.unansweredSince, since.elapsedSeconds > upstream.silenceLimit {
                    throw .silent(since.elapsedSeconds)
                }
            } catch {
                // What was under way is given up with the link (the scheduler drops it too).
                window.removeAll()
                link.transport.close()
                client = nil
                setLink(up: false)
                switch error {
                case .client(.bootloader):
                    logger.critical("the inverter sends its bootloader signature (stuck after a failed update): nothing more is sent for \(Self.seconds(upstream.bootloaderPause)) s")
                    pause(upstream.bootloaderPause)
                case let .client(error):
                    logger.error("upstream link lost: \(error.description); reconnecting, clients are refused meanwhile")
                    pause(backoff)
                case let .silent(seconds):
                    logger.error("upstream link silent for \(Self.seconds(seconds)) s with requests under way: the inverter counts as gone; reconnecting, clients are refused meanwhile")
                    pause(backoff)
                }
            }
        }
    }

    /// Reads ``UpstreamConfiguration/probe`` on a link just opened; throws when it gets no answer.
    private func probe(_ link: Client) throws(ClientError) {
        guard let object = Registry.standard.object(id: UpstreamConfiguration.probe.objectID) else { return }
        _ = try link.read(object)
    }

    /// `seconds` for a log line: whole seconds, or one decimal below ten.
    static func seconds(_ seconds: Double) -> String {
        seconds >= 10 ? "\(Int(seconds.rounded()))" : "\((seconds * 10).rounded() / 10)"
    }

    /// What a read under way upstream is for.
    struct UpstreamRead {
        let work: GatewayScheduler.Work
        /// The registry's object, when known: its answers are checked to hold a whole value.
        let object: ObjectInfo?
    }

    /// Starts a job: a read is sent and joins the window; a write (which the scheduler hands
    /// out only when nothing else is under way) is carried out to the end, read-back included.
    private func start(_ work: GatewayScheduler.Work, on link: Client, window: inout ReadWindow<UpstreamRead>,
                       timer: AnswerTimer) throws(ClientError) {
        switch work {
        case let .write(rule, value, id):
            try write(rule, value, for: id, as: work, on: link)
        case let .read(request):
            try link.sendInWindow(request)
            window.sent(request, tag: UpstreamRead(work: work, object: Registry.standard.object(id: request.objectID)),
                        at: .now, deadline: .after(seconds: timer.timeout))
        }
    }

    /// Takes the answers that came for the reads under way; sends again a read whose answer
    /// did not come in time or does not hold a whole value, up to the retries (objects the
    /// registry does not know get one attempt: they may not exist on the device, which then
    /// stays silent); ends a read with no answer after its last attempt.
    private func collect(on link: Client, window: inout ReadWindow<UpstreamRead>, timer: inout AnswerTimer) throws(ClientError) {
        let soonest = window.soonestDeadline ?? .after(seconds: 0.02)
        for frame in try link.receiveFrames(until: min(soonest, .after(seconds: 0.02))) {
            guard let index = window.index(answeredBy: frame) else { continue }
            let read = window.flights[index].tag
            // An answer cut short by another request still has a valid CRC: only whole values
            // of known objects are passed on.
            if let object = read.object, (try? ValueCodec.decode(frame.payload, as: object.responseType)) == nil {
                logger.debug("upstream answer for \(object.name) does not hold a whole \(object.responseType.rawValue); asking again")
                try retryOrEnd(index, on: link, window: &window, timer: &timer)
                continue
            }
            let flight = window.remove(at: index)
            link.exchangeEnded()
            metrics.answers.increment()
            let nanoseconds = Deadline.now.nanoseconds - flight.started.nanoseconds
            metrics.answerTime.recordNanoseconds(nanoseconds)
            metrics.recentAnswerTimes.record(Double(nanoseconds) / 1e9)
            if flight.attempts == 1 { timer.record(Double(nanoseconds) / 1e9) }
            complete(read.work, answer: frame, retried: flight.attempts > 1, lateAnswers: 2 * timer.timeout)
        }
        while let index = window.indexOfOverdue(at: .now) {
            timer.backOff()
            try retryOrEnd(index, on: link, window: &window, timer: &timer)
        }
    }

    /// Sends the read at `index` again, in place, or ends it without an answer after its
    /// last attempt.
    private func retryOrEnd(_ index: Int, on link: Client, window: inout ReadWindow<UpstreamRead>,
                            timer: inout AnswerTimer) throws(ClientError) {
        let flight = window.flights[index]
        guard flight.attempts <= (flight.tag.object == nil ? 0 : link.options.retries) else {
            _ = window.remove(at: index)
            metrics.timeouts.increment()
            complete(flight.tag.work, answer: nil, lateAnswers: 2 * timer.timeout)
            return
        }
        try link.sendInWindow(flight.request)
        window.resent(at: index, deadline: .after(seconds: timer.timeout))
    }

    /// Carries out a write that `id` asked for on the open link: cross-checked, written once,
    /// read back; then ends `work`.
    private func write(_ rule: WriteRule, _ value: Value, for id: GatewayClientID, as work: GatewayScheduler.Work,
                       on link: Client) throws(ClientError) {
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
    /// When the first request went out that the device has not followed with any byte: the
    /// start of a silence while being asked. Nil once it sends anything.
    private(set) var unansweredSince: Deadline?
    /// When a request last went out.
    private(set) var lastExchange: Deadline?
    private var unreported = 0
    private var lastReport: Double?

    /// One foreign-traffic warning per minute at most.
    static let reportInterval = 60.0

    init(gateway: Gateway) { self.gateway = gateway }

    func observe(_ entry: TraceEntry) {
        if !entry.bytes.isEmpty {
            switch entry.direction {
            case .received:
                unansweredSince = nil
            case .sent:
                lastExchange = .now
                if unansweredSince == nil { unansweredSince = .now }
            }
        }
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
            case (.received, .event(.skipped)), (.received, .event(.interrupted)), (.received, .event(.oversize)):
                gateway.metrics.resyncs.increment()
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
