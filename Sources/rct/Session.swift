#if canImport(Glibc)
import Glibc
#endif
import RCTCapture
import RCTProtocol
import RCTTransport

/// An open link with its client, for one command.
///
/// When both --device and --host are given and the serial port opened but stays silent
/// on the first request, the session switches to TCP once, with a notice on stderr.
final class Session {
    let options: ConnectionOptions
    let plan: LinkPlan
    private(set) var client: Client
    private var mayFallBack: Bool
    /// Where --trace-pcap writes the bytes of the link, for Wireshark and `rct decode`.
    private let capture: CaptureWriter?

    init(_ options: ConnectionOptions) throws {
        Interruption.install()
        self.options = options
        plan = try LinkPlan.choose(options)
        capture = try Session.captureWriter(options.tracePcap)
        let transport = try plan.open(timeout: options.clientOptions.timeout, verbose: options.verbose)
        client = Session.client(on: transport, options.clientOptions, options, capture: capture)
        mayFallBack = transport is SerialPort && plan.endpoint != nil
    }

    /// A client on `transport` with `policy`, the trace of `options`, and the retry notice.
    private static func client(on transport: any Transport, _ policy: Client.Options, _ options: ConnectionOptions,
                               capture: CaptureWriter?) -> Client {
        let client = Client(transport: transport, options: policy, trace: tracer(options, capture: capture))
        client.retrying = retryNotice(for: transport, timeout: policy.timeout)
        return client
    }

    /// On a terminal, a line on stderr each time a read is asked again, so that a person sees
    /// rct waiting for a silent device rather than nothing for seconds; nothing for scripts.
    static func retryNotice(for transport: any Transport, timeout: Double) -> ((String, Int, Int) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        let seconds = WriteRule.format(timeout, decimals: timeout == timeout.rounded() ? 0 : 1)
        return { name, attempt, attempts in
            Console.error("rct: no answer from \(transport.label) for \(name) within \(seconds) s; asking again (attempt \(attempt) of \(attempts))")
        }
    }

    deinit { client.transport.close() }

    /// Closes the link and opens it again (after it was lost), keeping the client's policy.
    func reopen() throws -> Client {
        let policy = client.options
        client.transport.close()
        let transport = try plan.open(timeout: options.clientOptions.timeout, verbose: options.verbose)
        client = Session.client(on: transport, policy, options, capture: capture)
        return client
    }

    /// Reads an object; the first read decides whether a silent serial port gives way to TCP.
    func read(_ object: ObjectInfo, payload: [UInt8] = []) throws -> Value {
        guard mayFallBack else { return try client.read(object, payload: payload) }
        mayFallBack = false
        do {
            return try client.read(object, payload: payload)
        } catch {
            switch error {
            case .noAnswer, .transport: break
            default: throw error
            }
            guard let endpoint = plan.endpoint else { throw error }
            Console.error("rct: notice: \(client.transport.label) gave no answer (\(error.description)); trying \(endpoint) instead")
            client.transport.close()
            let connection = try TCPConnection(to: endpoint, timeout: options.clientOptions.timeout)
            client = Session.client(on: connection, options.clientOptions, options, capture: capture)
            return try client.read(object, payload: payload)
        }
    }

    /// A pcap writer for `path`, if given; a file that cannot be written is bad input.
    static func captureWriter(_ path: String?) throws -> CaptureWriter? {
        guard let path else { return nil }
        do {
            return try CaptureWriter(path: path)
        } catch {
            throw Failure(error.description, status: .badInput)
        }
    }

    /// The trace printer when --trace is given, and the pcap writer when --trace-pcap is.
    static func tracer(_ options: ConnectionOptions, capture: CaptureWriter?) -> TraceHandler? {
        tracer(printing: options.trace, record: capture.map { capture in { capture.write($0, direction: $1) } })
    }

    /// A trace handler that prints entries if `printing`, and hands their bytes to `record`.
    static func tracer(printing: Bool, record: (([UInt8], CaptureWriter.Direction) -> Void)?) -> TraceHandler? {
        guard printing || record != nil else { return nil }
        return { entry in
            if printing { printTrace(entry) }
            // An entry without bytes marks the line going quiet: nothing to record.
            if let record, !entry.bytes.isEmpty {
                record(entry.bytes, entry.direction == .sent ? .toInverter : .fromInverter)
            }
        }
    }

    /// Prints a trace entry on stderr: the raw hex, then what it decodes to.
    static func printTrace(_ entry: TraceEntry) {
        for line in traceLines(entry) { Console.error(line) }
    }

    /// A trace entry's lines, as `--trace` prints them and the web page's live trace shows
    /// them: the raw hex, then what it decodes to.
    @Sendable static func traceLines(_ entry: TraceEntry) -> [String] {
        let arrow = entry.direction == .sent ? ">" : "<"
        let time = FrameDump.seconds(entry.time)
        // An entry without bytes is what the decoder closed when the line went quiet.
        var lines = ["trace \(time) \(arrow) " + (entry.bytes.isEmpty ? "(line quiet)" : HexText.format(entry.bytes))]
        var objects = LocalRegistry(.standard)
        for output in entry.decoded {
            lines.append("trace \(time) \(arrow)   " + DumpLine(output: output, raw: nil, objects: &objects).text)
        }
        return lines
    }
}
