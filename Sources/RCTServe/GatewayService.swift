#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RCTTransport

/// Where `rct serve` listens, and how its gateway behaves.
public struct ServeConfiguration: Sendable {
    /// The RCT-protocol gateway's address; 127.0.0.1:8899 unless told otherwise.
    public var listen: Endpoint
    /// Where the HTTP server (the page, `/metrics`, the JSON API) listens, if at all.
    public var http: Endpoint?
    /// The token every HTTP request must carry, if one is set (`--http-token-file`).
    public var httpToken: String?
    /// The gateway's scheduling and client limits.
    public var gateway: Gateway.Configuration
    /// Publishing to Home Assistant over MQTT, if at all.
    public var mqtt: BridgeConfiguration?
    /// How often the catalogue is read for MQTT and the inverter metrics.
    public var intervals: InverterPoller.Intervals
    /// What the HTTP server allows its clients.
    public var httpLimits: HTTPLimits
    /// A trace entry's lines as `--trace` prints them, for the web page's live trace.
    public var traceLines: (@Sendable (TraceEntry) -> [String])?

    /// A configuration.
    public init(listen: Endpoint = Endpoint(host: "127.0.0.1"), http: Endpoint? = nil, httpToken: String? = nil,
                gateway: Gateway.Configuration = .init(), mqtt: BridgeConfiguration? = nil,
                intervals: InverterPoller.Intervals = .init(), httpLimits: HTTPLimits = .init(),
                traceLines: (@Sendable (TraceEntry) -> [String])? = nil) {
        self.listen = listen
        self.http = http
        self.httpToken = httpToken
        self.gateway = gateway
        self.mqtt = mqtt
        self.intervals = intervals
        self.httpLimits = httpLimits
        self.traceLines = traceLines
    }

    /// File descriptors the daemon may need at its limits: every gateway client and HTTP
    /// connection, the listeners, the link, MQTT, the trace and some to spare.
    public var descriptorsNeeded: Int { gateway.maximumClients + httpLimits.maximumConnections + 64 }
}

/// Why `rct serve` could not start.
public struct ServeError: Error, Sendable, CustomStringConvertible {
    /// The one line for the user.
    public let description: String
}

/// Runs `rct serve`: the gateway's listeners on NIO's event loop, the upstream link on the
/// calling thread, and with `--http` or `--mqtt` the catalogue poller and the MQTT bridge
/// on threads of their own.
public enum GatewayService {
    /// Binds the listeners, makes the first attempt to open the link, hands the bound
    /// addresses to `ready`, then serves until a signal arrives (or ``Gateway/stop()``).
    /// On a signal a running battery action hands back first, through the still open link;
    /// then the poller and the MQTT connection end (saying `offline`), every client, the
    /// listeners and the link are closed, and it returns.
    public static func run(_ configuration: ServeConfiguration, upstream given: UpstreamConfiguration, logger: Logger,
                           ready: (_ gateway: Endpoint, _ http: Endpoint?) -> Void) throws(ServeError) {
        try ensureDescriptors(configuration.descriptorsNeeded)
        var gatewayConfiguration = configuration.gateway
        gatewayConfiguration.keepsRecentTraffic = configuration.http != nil
        let gateway = Gateway(configuration: gatewayConfiguration, logger: logger)
        let inverterMetrics = InverterMetrics(registry: gateway.metrics.registry)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }

        let listener = try GatewayListener(bootstrap: {
            serverBootstrap(on: group) { channel in
                try channel.pipeline.syncOperations.addHandler(GatewayClientHandler(gateway: gateway))
            }.childChannelOption(.socketOption(.tcp_nodelay), value: 1).childChannelOption(.allowRemoteHalfClosure, value: false)
        }, endpoint: configuration.listen, logger: logger)
        // Requests of the daemon's own wait for the gateway's queue as well as for the inverter.
        let ownTimeout = 4 * given.clientOptions.timeout + 2
        let scheduling = configuration.gateway.scheduling
        // One path for the commands of Home Assistant and of the page.
        let desk = configuration.http != nil || configuration.mqtt != nil
            ? CommandDesk(catalogue: .standard, gateway: gateway, allowsWrites: scheduling.allowsWrites,
                          batteryPowerLimit: scheduling.batteryPowerLimit, timeout: ownTimeout, logger: logger)
            : nil
        let site = configuration.http.map { _ in
            WebSite(catalogue: .standard, gateway: gateway, desk: desk, registry: gateway.metrics.registry, token: configuration.httpToken,
                    fastInterval: configuration.intervals.fast) { inverterMetrics.updateAges(now: Gateway.now) }
        }
        var upstream = given
        if let site, let describe = configuration.traceLines {
            // The page's live trace sees what --trace prints, while a page shows it.
            upstream.makeTracePrinter = {
                let printer = given.makeTracePrinter()
                return { entry in
                    printer?(entry)
                    site.trace(entry, describedBy: describe)
                }
            }
        }
        var httpListener: (any Channel)?
        if let endpoint = configuration.http, let site {
            let limits = configuration.httpLimits
            let budget = ConnectionBudget(maximum: limits.maximumConnections)
            let metrics = gateway.metrics
            let bootstrap = serverBootstrap(on: group) { channel in
                guard budget.take() else {
                    metrics.httpRefused.increment()
                    channel.close(promise: nil)
                    return
                }
                metrics.httpConnections.set(to: Double(budget.taken))
                channel.closeFuture.whenComplete { _ in metrics.httpConnections.set(to: Double(budget.giveBack())) }
                let handlers = channel.pipeline.syncOperations
                try handlers.addHandler(BackPressureHandler())
                try handlers.configureHTTPServerPipeline(withErrorHandling: true)
                try handlers.addHandler(HTTPDeadlineHandler(seconds: limits.timeout) { metrics.httpTimedOut.increment() })
                try handlers.addHandler(WebHandler(site: site))
            }.childChannelOption(.writeBufferWaterMark, value: HTTPLimits.waterMarks)
            httpListener = try bind(bootstrap, endpoint, what: "HTTP")
        }
        let listening = listener.endpoint
        let httpAt = httpListener.map { boundEndpoint($0, fallback: configuration.http ?? configuration.listen) }
        // The listening socket follows the gateway's state; idle clients are closed.
        let housekeeping = group.next().scheduleRepeatedTask(initialDelay: .milliseconds(200), delay: .milliseconds(200)) { _ in
            gateway.closeIdleClients()
            gateway.logSummaryIfDue()
            listener.update(open: gateway.acceptsNewClients())
        }
        logger.info("gateway listening on \(listening); \(configuration.gateway.scheduling.allowsWrites ? "writes allowed (validated and read back)" : "read-only")")
        let bridge = configuration.mqtt.flatMap { mqtt in
            desk.map { HomeAssistantBridge(configuration: mqtt, catalogue: .standard, desk: $0, slowInterval: configuration.intervals.slow, logger: logger) }
        }
        if let bridge { desk?.observe(bridge.observer) }
        if let site { desk?.observe(site.observer) }
        var listeners: [InverterPoller.Listener] = []
        if let site {
            listeners.append(site.listener)
            var listener = InverterPoller.Listener()
            listener.read = { entry, value, time in inverterMetrics.record(value, of: entry, at: time) }
            listeners.append(listener)
        }
        if let bridge { listeners.append(bridge.listener) }
        let poller = listeners.isEmpty ? nil : InverterPoller(gateway: gateway, catalogue: .standard, intervals: configuration.intervals,
                                                              timeout: ownTimeout, listeners: listeners)
        let pollerThread = poller.map { poller in WorkerThread { poller.run() } } ?? nil
        // Signals: an action hands back before the link closes.
        let watcher = WorkerThread {
            while Interruption.firstSignal == nil && !gateway.isStopping { usleepSeconds(0.05) }
            if let signal = Interruption.firstSignal { logger.info("\(Interruption.name(of: signal)): stopping") }
            desk?.stop()
            bridge?.stop()
            poller?.stop()
            gateway.stop()
        }
        guard let watcher, poller == nil || pollerThread != nil else {
            poller?.stop()
            gateway.stop()
            pollerThread?.join()
            throw ServeError(description: "cannot start the threads rct serve needs")
        }
        // Ready once the link has had its first chance to open, so early requests find it up.
        gateway.runUpstream(upstream) {
            // Open for clients now if the link is up, not at the next round of housekeeping.
            listener.update(open: gateway.acceptsNewClients())
            listener.waitUntilSettled()
            ready(listening, httpAt)
        }

        gateway.stop()
        watcher.join()
        pollerThread?.join()
        housekeeping.cancel()
        listener.close()
        try? httpListener?.close().wait()
        gateway.closeClients()
        logger.info("stopped")
    }

    private static func serverBootstrap(on group: MultiThreadedEventLoopGroup,
                                        pipeline: @escaping @Sendable (any Channel) throws -> Void) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try pipeline(channel) }
            }
    }

    /// Binds `bootstrap` to `endpoint`, or says in a sentence why not.
    static func bind(_ bootstrap: ServerBootstrap, _ endpoint: Endpoint, what: String) throws(ServeError) -> any Channel {
        do {
            return try bootstrap.bind(host: endpoint.host, port: Int(endpoint.port)).wait()
        } catch {
            throw ServeError(description: describe(error, listening: endpoint, what: what))
        }
    }

    /// Why listening on `endpoint` failed, in words: the common causes by name, others with
    /// the system's text.
    static func describe(_ error: any Error, listening endpoint: Endpoint, what: String) -> String {
        let start = "cannot listen for \(what) on \(endpoint)"
        switch (error as? IOError)?.errnoCode {
        case EADDRINUSE?: return "\(start): the port is in use (another program, or another rct serve, listens there)"
        case EACCES?: return "\(start): ports below 1024 need root or the CAP_NET_BIND_SERVICE capability"
        case EADDRNOTAVAIL?: return "\(start): \(endpoint.host) is not an address of this machine"
        case let code?: return "\(start): \(String(cString: strerror(code)))"
        case nil:
            if error is SocketAddressError { return "\(start): \(endpoint.host) is not a host name or address this machine can resolve" }
            return "\(start): \(error)"
        }
    }

    /// Raises the soft limit of open files to `needed` if the hard limit allows; refuses to
    /// start when it does not, rather than failing under load.
    private static func ensureDescriptors(_ needed: Int) throws(ServeError) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        guard limit.rlim_cur < rlim_t(needed) else { return }
        let hard = limit.rlim_max
        limit.rlim_cur = min(hard, rlim_t(needed))
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        guard limit.rlim_cur >= rlim_t(needed) else {
            throw ServeError(description: "the limits (--max-clients, --max-http-connections) need \(needed) open files, but this process may open only \(hard) (ulimit -n; LimitNOFILE= in a systemd unit): lower the limits or raise that one")
        }
    }

    static func boundEndpoint(_ channel: any Channel, fallback: Endpoint) -> Endpoint {
        guard let port = channel.localAddress?.port, let bound = UInt16(exactly: port) else { return fallback }
        return Endpoint(host: fallback.host, port: bound)
    }
}
