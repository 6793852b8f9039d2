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

    init(_ options: ConnectionOptions) throws {
        Interruption.install()
        self.options = options
        plan = try LinkPlan.choose(options)
        let transport = try plan.open(timeout: options.clientOptions.timeout, verbose: options.verbose)
        client = Client(transport: transport, options: options.clientOptions, trace: Session.tracer(options))
        mayFallBack = transport is SerialPort && plan.endpoint != nil
    }

    deinit { client.transport.close() }

    /// Closes the link and opens it again (after it was lost), keeping the client's policy.
    func reopen() throws -> Client {
        let policy = client.options
        client.transport.close()
        let transport = try plan.open(timeout: options.clientOptions.timeout, verbose: options.verbose)
        client = Client(transport: transport, options: policy, trace: Session.tracer(options))
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
            client = Client(transport: connection, options: options.clientOptions, trace: Session.tracer(options))
            return try client.read(object, payload: payload)
        }
    }

    /// The trace printer when --trace is given.
    static func tracer(_ options: ConnectionOptions) -> TraceHandler? {
        guard options.trace else { return nil }
        return { entry in printTrace(entry) }
    }

    /// Prints a trace entry on stderr: the raw hex, then what it decodes to.
    static func printTrace(_ entry: TraceEntry) {
        let arrow = entry.direction == .sent ? ">" : "<"
        let time = FrameDump.seconds(entry.time)
        // An entry without bytes is what the decoder closed when the line went quiet.
        Console.error("trace \(time) \(arrow) " + (entry.bytes.isEmpty ? "(line quiet)" : HexText.format(entry.bytes)))
        for output in entry.decoded {
            Console.error("trace \(time) \(arrow)   " + FrameDump.describe(output, raw: nil, json: false).rendered)
        }
    }
}
