import ArgumentParser
import Logging
import RCTServe
import RCTTransport

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Own the inverter link and serve it to other programs, safely.",
        discussion: """
        rct serve is the one program connected to the inverter; Home Assistant, evcc, the \
        vendor app and rct itself connect to it instead, as if it were the inverter (TCP, \
        RCT protocol). Each client gets only the answers to its own requests; requests go \
        upstream one at a time, round-robin across clients; a read answered within --fresh \
        seconds is answered from that answer. The gateway is read-only unless --allow-writes: \
        then writes to the parameters of 'rct list --writable' are validated, cross-checked, \
        written once and read back, as by 'rct set'; every other write is refused and logged. \
        The upstream link is chosen like every command's and reopened with backoff when lost. \
        Prints 'listening on HOST:PORT' (and 'metrics on HOST:PORT') once ready; logs go to \
        stderr. SIGTERM or Ctrl-C stop it with exit 0. See Documentation/Serve.md.
        """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("Where gateway clients connect (default 127.0.0.1:8899; 0.0.0.0:8899 for the LAN; port 0 picks a free one).", valueName: "host:port"))
    var listen: String?

    @Flag(name: .customLong("allow-writes"), help: "Carry out clients' writes to writable parameters, validated and read back.")
    var allowWrites = false

    @Option(help: ArgumentHelp("Serve Prometheus metrics on this address, at /metrics (default: off).", valueName: "host:port"))
    var metrics: String?

    @Option(help: ArgumentHelp("Seconds an upstream answer is reused for the same read (default 1; 0 turns the cache off).", valueName: "seconds"))
    var fresh: Double = 1

    @Option(name: .customLong("max-clients"), help: ArgumentHelp("Clients allowed at once; one more is refused (default 16).", valueName: "n"))
    var maximumClients: Int = 16

    func validate() throws {
        if !(0...3600).contains(fresh) { throw ValidationError("--fresh must be 0 to 3600 seconds") }
        if !(1...1024).contains(maximumClients) { throw ValidationError("--max-clients must be 1 to 1024") }
    }

    func run() throws {
        try reportingFailures {
            let listenAt = try listen.map { try Endpoint(parsing: $0, allowsAnyPort: true) } ?? Endpoint(host: "127.0.0.1")
            let metricsAt = try metrics.map { try Endpoint(parsing: $0, defaultPort: 9469, allowsAnyPort: true) }
            let plan = try LinkPlan.choose(connection)
            Interruption.install()
            let verbose = connection.verbose
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = verbose ? .debug : .info
                return handler
            }
            let options = connection.clientOptions
            let trace = connection.trace
            let upstream = UpstreamConfiguration(
                open: { try plan.open(timeout: options.timeout, verbose: verbose) },
                clientOptions: options,
                makeTracePrinter: { trace ? { Session.printTrace($0) } : nil })
            let configuration = ServeConfiguration(
                listen: listenAt, metrics: metricsAt,
                gateway: .init(scheduling: .init(freshness: fresh, allowsWrites: allowWrites), maximumClients: maximumClients))
            do {
                try GatewayService.run(configuration, upstream: upstream, logger: Logger(label: "rct.serve")) { gateway, metrics in
                    Console.out("listening on \(gateway)")
                    if let metrics { Console.out("metrics on \(metrics)") }
                }
            } catch let error as ServeError {
                throw Failure(error.description, status: .unavailable)
            }
            return .success
        }
    }
}
