#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Logging
import RCTCapture
import RCTProtocol
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
        upstream fairly across clients, up to --window reads at once and writes alone; a read \
        answered within --fresh \
        seconds is answered from that answer. The gateway is read-only unless --allow-writes: \
        then writes to the parameters of 'rct list --writable' are validated, cross-checked, \
        written once and read back, as by 'rct set'; every other write is refused and logged. \
        The upstream link is chosen like every command's and reopened with backoff when lost. \
        With --mqtt it publishes the inverter to Home Assistant (MQTT discovery), with its \
        settings and battery actions when writes are allowed; with --metrics it also exports \
        the inverter's values to Prometheus. Every option can be set in --config FILE as \
        'name = value' lines (the command line wins). Prints 'listening on HOST:PORT' (and \
        'metrics on HOST:PORT') once ready; logs go to stderr. While the inverter does not \
        answer, or --max-clients are busy, new clients are refused at connect, as by a module \
        without power. --trace-pcap writes the upstream link to FILE, rotated to FILE.1 at \
        64 MiB. SIGTERM, SIGINT (Ctrl-C) and SIGHUP stop it with exit 0, after a running \
        battery action has handed back; to apply a changed config file, restart it. See \
        Documentation/Serve.md and Documentation/MQTT.md.
        """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("Read options from this file: 'name = value' lines, names as the long options without --.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Where gateway clients connect (default 127.0.0.1:8899; 0.0.0.0:8899 for the LAN; port 0 picks a free one).", valueName: "host:port"))
    var listen: String?

    @Flag(name: .customLong("allow-writes"), help: "Carry out writes (gateway clients and MQTT) to writable parameters, validated and read back.")
    var allowWrites = false

    @Option(help: ArgumentHelp("Serve the web page, its JSON API and /metrics on this address (default: off; loopback addresses unless a token is set, see --http-token-file).", valueName: "host:port"))
    var http: String?

    @Option(name: .customLong("http-token-file"), help: ArgumentHelp("Every HTTP request must carry the token in this file (mode 600 or 400): needed to listen beyond loopback with --allow-writes.", valueName: "file"))
    var httpTokenFile: String?

    @Option(help: ArgumentHelp("The same as --http (for Prometheus: /metrics is on that server).", valueName: "host:port"))
    var metrics: String?

    @Option(help: ArgumentHelp("Seconds an upstream answer is reused for the same read (default 1; 0 turns the cache off).", valueName: "seconds"))
    var fresh: Double?

    @Option(help: ArgumentHelp("Reads kept in flight to the inverter at once (default 8; 1 asks one at a time). Writes always go alone.", valueName: "n"))
    var window: Int?

    @Option(name: .customLong("battery-power-limit"), help: ArgumentHelp("The most battery power in W that battery_power_extern may ask for; larger values from clients (evcc's charge at 10000 W) are clamped to it, and the MQTT number entity ranges to it (default 6000).", valueName: "watts"))
    var batteryPowerLimit: Double?

    @Option(name: .customLong("max-clients"), help: ArgumentHelp("Clients allowed at once; at the maximum, one silent since it connected 3 s ago or idle for 10 s makes room, else new ones are refused at connect (default 16).", valueName: "n"))
    var maximumClients: Int?

    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Seconds a gateway client may send nothing before it is closed (default 300).", valueName: "seconds"))
    var idleTimeout: Double?

    @Option(name: .customLong("max-http-connections"), help: ArgumentHelp("HTTP connections allowed at once; more are closed at once (default 64).", valueName: "n"))
    var maximumHTTPConnections: Int?

    @Option(name: .customLong("http-timeout"), help: ArgumentHelp("Seconds an HTTP connection has to send a whole request and to take each response, else it is closed (default 15).", valueName: "seconds"))
    var httpTimeout: Double?

    @Option(help: ArgumentHelp("Publish to Home Assistant through this MQTT broker: mqtt://[USER@]HOST[:PORT] or mqtts://...", valueName: "url"))
    var mqtt: String?

    @Option(name: .customLong("mqtt-ca"), help: ArgumentHelp("With mqtts://: the CA certificate that signed the broker's (default: the system's).", valueName: "file"))
    var mqttCA: String?

    @Option(name: .customLong("mqtt-password-file"), help: ArgumentHelp("The MQTT password, in a file only its owner may read (mode 600 or 400).", valueName: "file"))
    var mqttPasswordFile: String?

    @Option(help: ArgumentHelp("The inverter's name in MQTT topics and unique ids: letters, digits, - and _ (default: its serial number).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("discovery-prefix"), help: ArgumentHelp("Home Assistant's discovery prefix (default homeassistant).", valueName: "prefix"))
    var discoveryPrefix: String?

    @Option(name: .customLong("topic-prefix"), help: ArgumentHelp("The prefix of rct's own MQTT topics (default rct).", valueName: "prefix"))
    var topicPrefix: String?

    @Option(name: .customLong("fast-interval"), help: ArgumentHelp("Seconds between reads of fast values for the page, MQTT and metrics (default 1).", valueName: "seconds"))
    var fastInterval: Double?

    @Option(name: .customLong("slow-interval"), help: ArgumentHelp("Seconds between reads of slow values: energy, temperatures, settings (default 300).", valueName: "seconds"))
    var slowInterval: Double?

    func validate() throws {
        if let fresh, !(0...3600).contains(fresh) { throw ValidationError("--fresh must be 0 to 3600 seconds") }
        if let maximumClients, !(1...1024).contains(maximumClients) { throw ValidationError("--max-clients must be 1 to 1024") }
        if let batteryPowerLimit, !(100...100_000).contains(batteryPowerLimit) || batteryPowerLimit.rounded() != batteryPowerLimit {
            throw ValidationError("--battery-power-limit must be a whole number of watts from 100 to 100000")
        }
        if let idleTimeout, !(1...86400).contains(idleTimeout) { throw ValidationError("--idle-timeout must be 1 to 86400 seconds") }
        if let maximumHTTPConnections, !(1...1024).contains(maximumHTTPConnections) {
            throw ValidationError("--max-http-connections must be 1 to 1024")
        }
        if let httpTimeout, !(0.1...3600).contains(httpTimeout) { throw ValidationError("--http-timeout must be 0.1 to 3600 seconds") }
        if let window, !(1...64).contains(window) { throw ValidationError("--window must be 1 to 64") }
        if let fastInterval, !(1...3600).contains(fastInterval) { throw ValidationError("--fast-interval must be 1 to 3600 seconds") }
        if let slowInterval, !((fastInterval ?? 1)...86400).contains(slowInterval) {
            throw ValidationError("--slow-interval must be from --fast-interval up to 86400 seconds")
        }
        if let name, name.isEmpty || name.count > 64 || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            throw ValidationError("--name takes 1 to 64 letters, digits, - and _; got '\(name)'")
        }
        for (option, prefix) in [("--discovery-prefix", discoveryPrefix), ("--topic-prefix", topicPrefix)] {
            guard let prefix else { continue }
            if prefix.isEmpty || prefix.hasPrefix("/") || prefix.hasSuffix("/") || prefix.contains("+") || prefix.contains("#") {
                throw ValidationError("\(option) must be a topic without + or # and without a / at either end; got '\(prefix)'")
            }
        }
    }

    func run() throws {
        try reportingFailures {
            var options = self
            if let config { try options.fill(fromFile: config) }
            try ModbusSession.refuse("serve", writes: false, options.connection)
            return try options.serve()
        }
    }

    /// Takes every option not given on the command line from the config file at `path`.
    private mutating func fill(fromFile path: String) throws {
        let file: ServeCommand
        do {
            file = try ServeCommand.parse(try ServeConfigFile.arguments(path))
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure("\(path): \(ServeCommand.message(for: error))", status: .badInput)
        }
        connection.fill(from: file.connection)
        listen = listen ?? file.listen
        allowWrites = allowWrites || file.allowWrites
        metrics = metrics ?? file.metrics
        http = http ?? file.http
        httpTokenFile = httpTokenFile ?? file.httpTokenFile
        fresh = fresh ?? file.fresh
        maximumClients = maximumClients ?? file.maximumClients
        idleTimeout = idleTimeout ?? file.idleTimeout
        batteryPowerLimit = batteryPowerLimit ?? file.batteryPowerLimit
        maximumHTTPConnections = maximumHTTPConnections ?? file.maximumHTTPConnections
        httpTimeout = httpTimeout ?? file.httpTimeout
        window = window ?? file.window
        mqtt = mqtt ?? file.mqtt
        mqttCA = mqttCA ?? file.mqttCA
        mqttPasswordFile = mqttPasswordFile ?? file.mqttPasswordFile
        name = name ?? file.name
        discoveryPrefix = discoveryPrefix ?? file.discoveryPrefix
        topicPrefix = topicPrefix ?? file.topicPrefix
        fastInterval = fastInterval ?? file.fastInterval
        slowInterval = slowInterval ?? file.slowInterval
        do {
            try validate()
        } catch {
            throw Failure("\(path) with the command line: \(ServeCommand.message(for: error))", status: .badInput)
        }
    }

    private func serve() throws -> ExitStatus {
        let listenAt = try listen.map { try Endpoint(parsing: $0, allowsAnyPort: true) } ?? Endpoint(host: "127.0.0.1")
        let httpAt = try httpEndpoint()
        let token = try httpTokenFile.map { try ServeConfigFile.secret($0, option: "--http-token-file") }
        if let httpAt, allowWrites, token == nil, !httpAt.isLoopback {
            throw Failure("--http \(httpAt) listens beyond this machine with --allow-writes: give --http-token-file FILE (a token only its owner may read), or listen on 127.0.0.1", status: .badInput)
        }
        let bridge = try bridgeConfiguration()
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
        let capture = connection.tracePcap
        // A file that cannot be written is an error now, not after the daemon has started.
        _ = try Session.captureWriter(capture)
        let upstream = UpstreamConfiguration(
            open: { try plan.open(timeout: options.timeout, verbose: verbose) },
            clientOptions: options,
            makeTracePrinter: { Self.tracer(printing: trace, capture: capture) })
        let configuration = ServeConfiguration(
            listen: listenAt, http: httpAt, httpToken: token,
            gateway: .init(scheduling: .init(freshness: fresh ?? 1, allowsWrites: allowWrites, window: window ?? GetCommand.defaultWindow,
                                           lateAnswers: 2 * options.timeout,
                                           batteryPowerLimit: batteryPowerLimit ?? WriteRules.defaultBatteryPowerLimit),
                           maximumClients: maximumClients ?? 16, idleTimeout: idleTimeout ?? 300),
            mqtt: bridge,
            intervals: .init(fast: fastInterval ?? 1, slow: slowInterval ?? 300),
            httpLimits: .init(maximumConnections: maximumHTTPConnections ?? 64, timeout: httpTimeout ?? 15),
            traceLines: Session.traceLines)
        let saysMetrics = metrics != nil
        do throws(ServeError) {
            try GatewayService.run(configuration, upstream: upstream, logger: Logger(label: "rct.serve")) { gateway, http in
                Console.out("listening on \(gateway)")
                if let http { Console.out(saysMetrics ? "metrics on \(http)" : "http on \(http)") }
            }
        } catch {
            throw Failure(error.description, status: .unavailable)
        }
        return .success
    }

    /// The HTTP server's address: --http, or its alias --metrics (port 9469 unless given).
    private func httpEndpoint() throws -> Endpoint? {
        let endpoints = try [http, metrics].compactMap { try $0.map { try Endpoint(parsing: $0, defaultPort: 9469, allowsAnyPort: true) } }
        if endpoints.count == 2 && endpoints[0] != endpoints[1] {
            throw Failure("--metrics is another name for --http: give one address, not \(endpoints[0]) and \(endpoints[1])", status: .badInput)
        }
        return endpoints.first
    }

    /// The size at which the upstream trace of --trace-pcap is rotated.
    static let traceFileSize = 64 << 20

    /// The trace of the upstream link: printed with --trace, written with --trace-pcap (rotated,
    /// since a daemon runs for months). Made on the upstream thread, which alone uses it.
    private static func tracer(printing: Bool, capture path: String?) -> TraceHandler? {
        let capture = path.flatMap { path in
            try? RotatingCaptureWriter(path: path, maximumBytes: traceFileSize) { Console.error("rct: --trace-pcap \(path): \($0)") }
        }
        return Session.tracer(printing: printing, record: capture.map { capture in { capture.write($0, direction: $1) } })
    }

    /// The MQTT settings, with the password read from its file; nil without --mqtt.
    private func bridgeConfiguration() throws -> BridgeConfiguration? {
        guard let mqtt else {
            let stray = [("--mqtt-ca", mqttCA), ("--mqtt-password-file", mqttPasswordFile), ("--name", name),
                         ("--discovery-prefix", discoveryPrefix), ("--topic-prefix", topicPrefix)]
            if let (option, _) = stray.first(where: { $0.1 != nil }) {
                throw Failure("\(option) needs --mqtt", status: .badInput)
            }
            return nil
        }
        var settings: MQTTSettings
        switch MQTTSettings.parse(mqtt) {
        case let .success(parsed): settings = parsed
        case let .failure(refusal): throw Failure(refusal.description, status: .badInput)
        }
        if let mqttCA {
            guard settings.usesTLS else { throw Failure("--mqtt-ca goes with an mqtts:// broker", status: .badInput) }
            guard access(mqttCA, R_OK) == 0 else { throw Failure("--mqtt-ca: cannot read \(mqttCA)", status: .badInput) }
            settings.caFile = mqttCA
        }
        if let mqttPasswordFile {
            guard settings.username != nil else {
                throw Failure("--mqtt-password-file needs a user name: mqtt://USER@HOST", status: .badInput)
            }
            settings.password = try ServeConfigFile.password(mqttPasswordFile)
        }
        return BridgeConfiguration(mqtt: settings, name: name, discoveryPrefix: discoveryPrefix ?? "homeassistant",
                                   topicPrefix: topicPrefix ?? "rct")
    }
}
