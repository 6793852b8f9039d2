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

        /// Two-second timeout, two retries, no gap, stop on signals.
        public init(timeout: Double = 2, retries: Int = 2, minimumGap: Double = 0, stopsOnSignal: Bool = true) {
            self.timeout = timeout
            self.retries = retries
            self.minimumGap = minimumGap
            self.stopsOnSignal = stopsOnSignal
        }
    }

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
        let command: Command = payload.isEmpty ? .read : (payload.count > Frame.maximumPayload(for: .write) ? .longWrite : .write)
        let request = Frame(command: command, objectID: object.id, payload: payload)
        var lastProblem: String?
        let attempts = options.retries + 1
        for _ in 0..<attempts {
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
            decode(try receive(until: deadline)).forEach(handle)
        }
    }

    /// Sends a frame as is, after the minimum gap; for requests built elsewhere.
    public func send(_ frame: Frame) throws(ClientError) {
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
        pending.removeAll()
        try checkSignal()
        emitTrace(.sent, bytes, [.frame(DecodedFrame(frame: frame, offset: 0, wireLength: bytes.count))])
        do {
            try transport.send(bytes, deadline: .after(seconds: options.timeout))
        } catch {
            throw .transport(error)
        }
        lastExchange = .now
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

    /// Whether `frame` is the device's answer to `request`.
    static func answers(_ frame: Frame, _ request: Frame) -> Bool {
        frame.command.isResponse && frame.objectID == request.objectID
            && frame.command.isPlant == request.command.isPlant
            && (!frame.command.isPlant || frame.address == request.address)
    }

    private func pump(until deadline: Deadline) throws(ClientError) {
        try checkSignal()
        let bytes = try receive(until: deadline)
        guard !bytes.isEmpty else { return }
        for output in decode(bytes) {
            switch output {
            case let .frame(decoded): pending.append(decoded)
            case .event(.bootloader): sawBootloader = true
            case .event: break
            }
        }
        if sawBootloader { throw .bootloader }
    }

    /// Feeds received bytes to the decoder; traces them with what they decoded to.
    private func decode(_ bytes: [UInt8]) -> [DecoderOutput] {
        var outputs: [DecoderOutput] = []
        decoder.append(bytes)
        while let output = decoder.next() { outputs.append(output) }
        emitTrace(.received, bytes, outputs)
        return outputs
    }

    private func receive(until deadline: Deadline) throws(ClientError) -> [UInt8] {
        do {
            // Short slices, so a signal is noticed quickly.
            return try transport.receive(deadline: min(deadline, .after(seconds: 0.1)))
        } catch {
            throw .transport(error)
        }
    }

    private func checkSignal() throws(ClientError) {
        if options.stopsOnSignal, let signal = Interruption.signal { throw .interrupted(signal: signal) }
    }

    private func emitTrace(_ direction: TraceEntry.Direction, _ bytes: [UInt8], _ decoded: [DecoderOutput]) {
        guard let trace, !bytes.isEmpty else { return }
        let time = Double(Deadline.now.nanoseconds - started.nanoseconds) / 1e9
        trace(TraceEntry(time: time, direction: direction, bytes: bytes, decoded: decoded))
    }
}
