#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import RCTProtocol
import RCTTransport

struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Read one or more objects.",
        discussion: "Objects are named as in 'rct list', or given by id (0xF168B748 or decimal). Timeseries and the event table take --at or --since.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("Object names or ids.", valueName: "name"), completion: .custom(Completions.objectNames))
    var objects: [String]

    @Option(help: ArgumentHelp("For history objects: the time to look back from (YYYY-MM-DD[THH:MM[:SS]] or seconds since 1970; default now).", valueName: "time"))
    var at: String?

    @Option(help: ArgumentHelp("For history objects: collect everything logged since this time.", valueName: "time"))
    var since: String?

    @Option(name: .customLong("window"), help: ArgumentHelp("Requests kept in flight at once (default \(GetCommand.defaultWindow); 1 asks one at a time).", valueName: "n"))
    var windowOption: Int?
    var window: Int { windowOption ?? GetCommand.defaultWindow }

    /// Half the request queue the realistic simulator assumes for a device (16): enough to
    /// hide the Wi-Fi module's latency, while leaving the device room for other clients.
    /// See Documentation/CommandLine.md.
    static let defaultWindow = 8

    func validate() throws {
        if objects.isEmpty { throw ValidationError("name at least one object to read") }
        if at != nil && since != nil { throw ValidationError("use either --at or --since, not both") }
        if !(1...64).contains(window) { throw ValidationError("--window must be 1 to 64") }
        for (flag, text) in [("--at", at), ("--since", since)] {
            if let text, ValueText.parseTimestamp(text) == nil {
                throw ValidationError("\(flag): '\(text)' is not a time (YYYY-MM-DD[THH:MM[:SS]] or seconds since 1970)")
            }
        }
    }

    func run() throws {
        try reportingFailures {
            if try LinkPlan.linkProtocol(connection) == .modbus {
                guard at == nil, since == nil else {
                    throw Failure("--at and --since read history, which the Modbus registers do not hold", status: .badInput)
                }
                return try ModbusGet(connection: connection).run(objects)
            }
            let resolved = try objects.map { try Registry.standard.resolve($0) }
            let session = try Session(connection)
            let start = at.flatMap(ValueText.parseTimestamp) ?? Int64(time(nil))
            let requests = try resolved.map { object in
                Client.ReadRequest(object, payload: object.isHistory ? try page(before: start) : [])
            }
            // The first read alone: it decides whether a silent serial port gives way to TCP.
            var outcomes: [Result<Value, ClientError>] = []
            do {
                outcomes.append(.success(try session.read(requests[0].object, payload: requests[0].payload)))
            } catch let error as ClientError {
                if case .interrupted = error { throw error }
                outcomes.append(.failure(error))
            }
            outcomes += try session.client.read(Array(requests.dropFirst()), window: window)
            if let since = since.flatMap(ValueText.parseTimestamp) {
                outcomes = try collect(since: since, resolved, outcomes, session.client)
            }
            if connection.verbose && session.client.retriedRequests > 0 {
                Console.error("rct: \(session.client.retriedRequests) request(s) sent again after no usable answer")
            }
            let results = zip(resolved, outcomes).map { object, outcome in (object, outcome.mapError { Failure($0) }) }
            print(results)
            return results.compactMap { if case let .failure(failure) = $0.1 { failure.status } else { nil } }.first ?? .success
        }
    }

    /// The request payload of a history page: the samples logged before `time`.
    private func page(before time: Int64) throws -> [UInt8] {
        try ValueCodec.encode(.integer(clamp(time)), as: .int32)
    }

    /// Walks history objects back in time until their samples reach `since`: one more page
    /// per object and round (each page starts where the last one ended), the pages of all
    /// objects of a round read together in the window; at most 100 pages an object.
    private func collect(since: Int64, _ objects: [ObjectInfo], _ firstPages: [Result<Value, ClientError>],
                         _ client: Client) throws -> [Result<Value, ClientError>] {
        var outcomes = firstPages
        var oldest: [Int: Int64] = [:]
        for (index, outcome) in outcomes.enumerated() {
            if case let .success(.timeseries(series)) = outcome, let first = series.samples.map(\.time).min() { oldest[index] = first }
        }
        var pages = 1
        while pages < 100 {
            let due = oldest.filter { $0.value > since }.keys.sorted()
            if due.isEmpty { break }
            let more = try client.read(try due.map { Client.ReadRequest(objects[$0], payload: try page(before: oldest[$0] ?? since)) },
                                       window: window)
            for (index, outcome) in zip(due, more) {
                let cursor = oldest[index] ?? since
                guard case let .success(.timeseries(earlier)) = outcome, case var .success(.timeseries(series)) = outcomes[index] else {
                    if case .failure = outcome { outcomes[index] = outcome }
                    oldest[index] = nil
                    continue
                }
                let older = earlier.samples.filter { $0.time < cursor }
                series.samples += older
                outcomes[index] = .success(.timeseries(series))
                oldest[index] = older.isEmpty ? nil : older.map(\.time).min()
            }
            pages += 1
        }
        for (index, outcome) in outcomes.enumerated() {
            guard case var .success(.timeseries(series)) = outcome else { continue }
            series.samples = series.samples.filter { $0.time >= since }
            outcomes[index] = .success(.timeseries(series))
        }
        return outcomes
    }

    private func clamp(_ seconds: Int64) -> Int64 { min(max(seconds, Int64(Int32.min)), Int64(Int32.max)) }

    private func print(_ results: [(ObjectInfo, Result<Value, Failure>)]) {
        ReadOutput(json: connection.json).print(results.map { object, result in
            ReadOutput.Row(name: object.name, id: object.id.description, type: object.responseType.rawValue, unit: object.unit,
                           object: object, register: nil, result: result, text: { OutputText.value($0, of: object) })
        })
    }
}
