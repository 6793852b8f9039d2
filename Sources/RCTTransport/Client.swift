import RCTProtocol

/// Request and response over any ``Transport``: one request outstanding at a time.
///
/// The protocol has no transaction id, so an answer is matched by command (a RESPONSE
/// or LONG_RESPONSE), object id and, for plant frames, address. Everything else on the
/// link (echoes of our own requests, other clients' traffic, unsolicited frames) is
/// ignored. Reads are retried; writes never are, since a write that went out even
/// partly may have taken effect.
public final class Client {
    /// Timing and retry policy.
    public struct Options: Sendable {
        /// Seconds to wait for each answer.
        public var timeout: Double
        /// Extra attempts for a read that got no usable answer.
        public var retries: Int
        /// Seconds to keep between the end of one exchange and the next request.
        public var minimumGap: Double
        /// Whether a received signal ends waits (turn off while handing control back).
        public var stopsOnSignal: Bool
        /// Seconds of silence inside an unfinished frame after which the decoder is told the
        /// line went quiet, so a long answer whose LEN promises more bytes than were sent is
        /// closed at what arrived instead of waiting for the timeout.
        public var quietGap: Double

        /// Two-second timeout, two retries, no gap, stop on signals, 50 ms quiet gap.
        public init(timeout: Double = 2, retries: Int = 2, minimumGap: Double = 0, stopsOnSignal: Bool = true,
                    quietGap: Double = Client.defaultQuietGap) {
            self.timeout = timeout
            self.retries = retries
            self.minimumGap = minimumGap
            self.stopsOnSignal = stopsOnSignal
            self.quietGap = quietGap
        }
    }

    /// The default quiet gap: 50 ms. At 115200 baud a pause that long inside a frame is
    /// about 570 byte times, far more than a UART or the Wi-Fi module leaves between the
    /// bytes of one answer in the captures we know of; an attempt that comes too early costs
    /// nothing, since a frame is only closed where its checksum holds.
    public static let defaultQuietGap = 0.05

    /// The link in use.
    public let transport: any Transport
    /// The policy in force; may be changed between requests.
    public var options: Options
    private var decoder = FrameDecoder()
    private var pending: [DecodedFrame] = []
    private var lastExchange: Deadline?
    private let trace: TraceHandler?
    private let started = Deadline.now
    private var sawBootloader = false
    /// Requests sent again because the first attempt got no usable answer (for `-v`).
    public private(set) var retriedRequests = 0
    /// Told each time a read is asked again after it got no usable answer: the object's name,
    /// the attempt about to go out and how many there will be at most. A person at a terminal
    /// then sees that rct is waiting, not stuck.
    public var retrying: ((_ object: String, _ attempt: Int, _ attempts: Int) -> Void)?

    /// A client on `transport`; `trace` sees every byte in and out.
    public init(transport: any Transport, options: Options = Options(), trace: TraceHandler? = nil) {
        self.transport = transport
        self.options = options
        self.trace = trace
    }

    /// Reads `object` and decodes the answer with its response type.
    ///
    /// `payload` is sent with history objects (a timestamp); those requests go out as
    /// WRITE, as the device expects, but change nothing and are retried like reads.
    public func read(_ object: ObjectInfo, payload: [UInt8] = []) throws(ClientError) -> Value {
        let request = Self.readRequest(object, payload: payload)
        var lastProblem: String?
        let attempts = options.retries + 1
        for attempt in 0..<attempts {
            if attempt > 0 {
                retriedRequests += 1
                retrying?(object.name, attempt + 1, attempts)
            }
            try send(request)
            guard let answer = try awaitAnswer(for: request) else { continue }
            do {
                return try ValueCodec.decode(answer.payload, as: object.responseType)
            } catch {
                // A response cut short by another request still carries a valid CRC.
                lastProblem = error.description
            }
        }
        if let lastProblem { throw .malformedAnswer(object: object.name, reason: lastProblem) }
        throw .noAnswer(object: object.name, attempts: attempts, timeout: options.timeout)
    }

    /// Sends one WRITE of `value` to `object`. Never retried and not acknowledged by current
    /// firmware: confirm it by reading back.
    public func write(_ value: Value, to object: ObjectInfo) throws(ClientError) {
        let payload: [UInt8]
        do {
            payload = try ValueCodec.encode(value, as: object.requestType)
        } catch {
            throw .invalidRequest(error.description)
        }
        try send(Frame(command: .write, objectID: object.id, payload: payload))
        // Give a device that does acknowledge the time to do so, and drop the answer.
        let settle = Deadline.after(seconds: min(0.2, options.timeout))
        while !settle.hasPassed { try pump(until: settle) }
        pending.removeAll()
    }

    /// Waits passively and hands over every frame and diagnostic until `deadline`.
    public func listen(until deadline: Deadline, _ handle: (DecoderOutput) -> Void) throws(ClientError) {
        while !deadline.hasPassed {
            try checkSignal()
            decode(try receiveOrQuiet(until: deadline)).forEach(handle)
        }
    }

    /// Sends a frame as is, after the minimum gap; for requests built elsewhere.
    public func send(_ frame: Frame) throws(ClientError) {
        try transmit(frame, forgettingEarlierFrames: true)
    }

    /// Sends one request of a window kept by the caller (a gateway's upstream side): frames
    /// that arrived before it stay, since they may answer a request still in flight. Collect
    /// the answers with ``receiveFrames(until:)``.
    public func sendInWindow(_ frame: Frame) throws(ClientError) {
        try transmit(frame, forgettingEarlierFrames: false)
    }

    /// The frames that arrived by `deadline`, returned as soon as some did (or a quiet line
    /// closed one); empty when none came.
    public func receiveFrames(until deadline: Deadline) throws(ClientError) -> [Frame] {
        while pending.isEmpty && !deadline.hasPassed { try pump(until: deadline) }
        defer { pending.removeAll() }
        return pending.map(\.frame)
    }

    /// Notes that an exchange of a caller-kept window ended now, for the minimum gap.
    public func exchangeEnded() { lastExchange = .now }

    /// Sends a frame after the minimum gap. Frames that arrived before it are dropped when
    /// `forgettingEarlierFrames` (they cannot answer it), kept for a windowed read (they may
    /// answer a request still in flight).
    private func transmit(_ frame: Frame, forgettingEarlierFrames: Bool) throws(ClientError) {
        let bytes: [UInt8]
        do {
            bytes = try frame.encoded()
        } catch {
            throw .invalidRequest(error.description)
        }
        if sawBootloader { throw .bootloader }
        if let last = lastExchange {
            let ready = last.adding(seconds: options.minimumGap)
            while !ready.hasPassed { try pump(until: ready) }
        }
        // Whatever arrived before this request cannot be its answer.
        if forgettingEarlierFrames { pending.removeAll() }
        try checkSignal()
        emitTrace(.sent, bytes, [.frame(DecodedFrame(frame: frame, offset: 0, wireLength: bytes.count))])
        do {
            try transport.send(bytes, deadline: .after(seconds: options.timeout))
        } catch {
            throw .transport(error)
        }
        lastExchange = .now
    }

    /// One read of ``read(_:window:)``: an object and, for a history object, the timestamp.
    public struct ReadRequest: Sendable, Equatable {
        /// The object read.
        public let object: ObjectInfo
        /// The timestamp sent with a history request (empty for ordinary objects).
        public let payload: [UInt8]

        /// A read of `object`, with `payload` for history objects.
        public init(_ object: ObjectInfo, payload: [UInt8] = []) {
            self.object = object
            self.payload = payload
        }
    }

    /// Reads every request with up to `window` of them in flight at once, and returns the
    /// outcomes in the order asked.
    ///
    /// Answers are matched to requests by object id (and, for plant frames, address), as
    /// for a single read; two requests for the same object are never in flight together,
    /// since their answers could not be told apart. A request without a usable answer
    /// within the timeout is sent again on its own, up to the retries, while the others go
    /// on. With a window of 1 this is ``read(_:payload:)`` for each request in turn. Errors
    /// of the link itself (and a signal) end the whole read.
    public func read(_ requests: [ReadRequest], window: Int) throws(ClientError) -> [Result<Value, ClientError>] {
        guard window > 1, requests.count > 1 else {
            var results: [Result<Value, ClientError>] = []
            for request in requests {
                do {
                    results.append(.success(try read(request.object, payload: request.payload)))
                } catch {
                    if case .malformedAnswer = error { results.append(.failure(error)); continue }
                    if case .noAnswer = error { results.append(.failure(error)); continue }
                    throw error
                }
            }
            return results
        }
        var results = [Result<Value, ClientError>?](repeating: nil, count: requests.count)
        var attempts = [Int](repeating: 0, count: requests.count)
        var problems = [String?](repeating: nil, count: requests.count)
        var waiting = Array(requests.indices)
        // Tagged by the index of the request.
        var inFlight = ReadWindow<Int>(capacity: window)
        var done = 0
        func settle(_ index: Int, _ result: Result<Value, ClientError>) {
            results[index] = result
            done += 1
        }
        // A request that got nothing usable goes again first, or fails after its last attempt.
        func retryOrFail(_ index: Int) {
            if attempts[index] <= options.retries {
                waiting.insert(index, at: 0)
                retriedRequests += 1
                retrying?(requests[index].object.name, attempts[index] + 1, options.retries + 1)
            } else if let problem = problems[index] {
                settle(index, .failure(.malformedAnswer(object: requests[index].object.name, reason: problem)))
            } else {
                settle(index, .failure(.noAnswer(object: requests[index].object.name, attempts: attempts[index], timeout: options.timeout)))
            }
        }
        // The next waiting request that may go now: room in the window, and its object not under way.
        func nextToSend() -> Int? {
            guard inFlight.hasRoom else { return nil }
            return waiting.firstIndex { !inFlight.isReading(requests[$0].object.id) }
        }
        pending.removeAll()
        while done < requests.count {
            while let next = nextToSend() {
                let index = waiting.remove(at: next)
                let frame = Self.readRequest(requests[index].object, payload: requests[index].payload)
                try transmit(frame, forgettingEarlierFrames: false)
                attempts[index] += 1
                inFlight.sent(frame, tag: index, at: .now, deadline: .after(seconds: options.timeout))
            }
            for decoded in pending {
                guard let slot = inFlight.index(answeredBy: decoded.frame) else { continue }
                let index = inFlight.remove(at: slot).tag
                lastExchange = .now
                do {
                    settle(index, .success(try ValueCodec.decode(decoded.frame.payload, as: requests[index].object.responseType)))
                } catch {
                    // A response cut short by another request still carries a valid CRC.
                    problems[index] = error.description
                    retryOrFail(index)
                }
            }
            pending.removeAll()
            // Sent again as a new request: it waits for room like the others.
            while let slot = inFlight.indexOfOverdue(at: .now) {
                retryOrFail(inFlight.remove(at: slot).tag)
            }
            guard done < requests.count else { break }
            // Room in the window and something to send: send it before waiting.
            if nextToSend() != nil { continue }
            try pump(until: inFlight.soonestDeadline ?? .after(seconds: 0.1))
        }
        // Every request was settled exactly once: a late answer to an earlier attempt settles the retry.
        return results.compactMap { $0 }
    }

    /// The request that reads `object`: a READ, or for a history object (with a timestamp
    /// `payload`) a WRITE, as the device expects; LONG_WRITE when the payload needs it.
    private static func readRequest(_ object: ObjectInfo, payload: [UInt8]) -> Frame {
        let command: Command = payload.isEmpty ? .read : (payload.count > Frame.maximumPayload(for: .write) ? .longWrite : .write)
        return Frame(command: command, objectID: object.id, payload: payload)
    }

    private func awaitAnswer(for request: Frame) throws(ClientError) -> Frame? {
        let deadline = Deadline.after(seconds: options.timeout)
        while true {
            if let index = pending.firstIndex(where: { Self.answers($0.frame, request) }) {
                let answer = pending[index].frame
                pending.removeAll()
                lastExchange = .now
                return answer
            }
            pending.removeAll()
            if deadline.hasPassed { return nil }
            try pump(until: deadline)
        }
    }

    /// Whether `frame` is the device's answer to `request`: a response for the same object
    /// (and, for plant frames, the same address). A history request (a timeseries or the event
    /// table, asked with a timestamp) is answered only by a page that starts with the same
    /// timestamp: the device echoes it, and a page for another time is another request's.
    public static func answers(_ frame: Frame, _ request: Frame) -> Bool {
        guard frame.command.isResponse && frame.objectID == request.objectID
            && frame.command.isPlant == request.command.isPlant
            && (!frame.command.isPlant || frame.address == request.address) else { return false }
        guard request.command.isWrite, request.payload.count == 4,
              Registry.standard.object(id: request.objectID)?.isHistory == true else { return true }
        return frame.payload.starts(with: request.payload)
    }

    private func pump(until deadline: Deadline) throws(ClientError) {
        try checkSignal()
        for output in decode(try receiveOrQuiet(until: deadline)) {
            switch output {
            case let .frame(decoded): pending.append(decoded)
            case .event(.bootloader): sawBootloader = true
            case .event: break
            }
        }
        if sawBootloader { throw .bootloader }
    }

    /// Feeds received bytes to the decoder (after a quiet spell, none: the decoder is told
    /// the line went quiet); traces them with what they decoded to.
    private func decode(_ received: Received) -> [DecoderOutput] {
        var outputs: [DecoderOutput] = []
        var bytes: [UInt8] = []
        switch received {
        case let .bytes(chunk):
            bytes = chunk
            decoder.append(chunk)
        case .quiet: decoder.lineWentQuiet()
        case .nothing: return []
        }
        while let output = decoder.next() { outputs.append(output) }
        emitTrace(.received, bytes, outputs)
        return outputs
    }

    /// What one wait on the link gave.
    private enum Received {
        /// Bytes arrived.
        case bytes([UInt8])
        /// The line stayed silent for the quiet gap inside an unfinished frame.
        case quiet
        /// Nothing arrived, and no frame is waiting to be closed.
        case nothing
    }

    /// Waits for bytes in short slices, so a signal is noticed quickly; inside an unfinished
    /// frame, the slice is the quiet gap and a silent one answers `quiet`.
    private func receiveOrQuiet(until deadline: Deadline) throws(ClientError) -> Received {
        let insideFrame = decoder.bufferedByteCount > 0
        let bytes: [UInt8]
        do {
            bytes = try transport.receive(deadline: min(deadline, .after(seconds: insideFrame ? options.quietGap : 0.1)))
        } catch {
            throw .transport(error)
        }
        if !bytes.isEmpty { return .bytes(bytes) }
        return insideFrame ? .quiet : .nothing
    }

    private func checkSignal() throws(ClientError) {
        if options.stopsOnSignal, let signal = Interruption.signal { throw .interrupted(signal: signal) }
    }

    private func emitTrace(_ direction: TraceEntry.Direction, _ bytes: [UInt8], _ decoded: [DecoderOutput]) {
        guard let trace, !bytes.isEmpty || !decoded.isEmpty else { return }
        let time = started.elapsedSeconds
        trace(TraceEntry(time: time, direction: direction, bytes: bytes, decoded: decoded))
    }
}
