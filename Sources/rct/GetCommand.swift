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

    func validate() throws {
        if objects.isEmpty { throw ValidationError("name at least one object to read") }
        if at != nil && since != nil { throw ValidationError("use either --at or --since, not both") }
        for (flag, text) in [("--at", at), ("--since", since)] {
            if let text, ValueText.parseTimestamp(text) == nil {
                throw ValidationError("\(flag): '\(text)' is not a time (YYYY-MM-DD[THH:MM[:SS]] or seconds since 1970)")
            }
        }
    }

    func run() throws {
        try reportingFailures {
            let resolved = try objects.map { try Registry.standard.resolve($0) }
            let session = try Session(connection)
            var results: [(ObjectInfo, Result<Value, Failure>)] = []
            for object in resolved {
                do {
                    results.append((object, .success(try read(object, session))))
                } catch let error as ClientError {
                    if case .interrupted = error { throw error }
                    results.append((object, .failure(Failure(error))))
                }
            }
            print(results)
            return results.compactMap { if case let .failure(failure) = $0.1 { failure.status } else { nil } }.first ?? .success
        }
    }

    private func read(_ object: ObjectInfo, _ session: Session) throws -> Value {
        guard object.isHistory else { return try session.read(object) }
        // History objects answer with the page of samples logged before the time sent.
        func page(before time: Int64) throws -> Value {
            try session.read(object, payload: try ValueCodec.encode(.integer(clamp(time)), as: .int32))
        }
        let value = try page(before: at.flatMap(ValueText.parseTimestamp) ?? Int64(time(nil)))
        guard let since = since.flatMap(ValueText.parseTimestamp), case var .timeseries(series) = value else { return value }
        // Walk back in time until the samples reach `since`; the device answers a page per request.
        var oldest = series.samples.map(\.time).min()
        var pages = 1
        while let cursor = oldest, cursor > since, pages < 100 {
            guard case let .timeseries(earlier) = try page(before: cursor) else { break }
            let older = earlier.samples.filter { $0.time < cursor }
            if older.isEmpty { break }
            series.samples += older
            oldest = older.map(\.time).min()
            pages += 1
        }
        series.samples = series.samples.filter { $0.time >= since }
        return .timeseries(series)
    }

    private func clamp(_ seconds: Int64) -> Int64 { min(max(seconds, Int64(Int32.min)), Int64(Int32.max)) }

    private func print(_ results: [(ObjectInfo, Result<Value, Failure>)]) {
        if connection.json {
            Console.out(JSON.array(results.map { object, result in
                var members: [(String, JSON)] = [("name", .string(object.name)), ("id", .string(object.id.description)),
                                                 ("type", .string(object.responseType.rawValue))]
                // The value stays the fraction the device sends; text shows it as a percentage.
                if object.isFraction { members.append(("scale", .string("fraction"))) }
                switch result {
                case let .success(value):
                    members.append(("value", JSONValue.of(value)))
                    members.append(("unit", .optional(object.unit)))
                    if case let .integer(number) = value, !object.labels.isEmpty {
                        members.append(("label", .optional(object.label(for: number))))
                    }
                case let .failure(failure):
                    members.append(("unit", .optional(object.unit)))
                    members.append(("error", .string(failure.message)))
                }
                return .object(members)
            }).text)
            return
        }
        for (object, result) in results {
            switch result {
            case let .success(value): Console.out("\(object.name) \(OutputText.value(value, of: object))")
            case let .failure(failure): Console.error("rct: \(object.name): \(failure.message)")
            }
        }
    }
}
