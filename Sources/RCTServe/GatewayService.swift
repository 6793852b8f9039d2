import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import RCTTransport

/// Where `rct serve` listens, and how its gateway behaves.
public struct ServeConfiguration: Sendable {
    /// The RCT-protocol gateway's address; 127.0.0.1:8899 unless told otherwise.
    public var listen: Endpoint
    /// Where `/metrics` is served, if at all.
    public var metrics: Endpoint?
    /// The gateway's scheduling and client limits.
    public var gateway: Gateway.Configuration
    /// Publishing to Home Assistant over MQTT, if at all.
    public var mqtt: BridgeConfiguration?
    /// How often the catalogue is read for MQTT and the inverter metrics.
    public var intervals: InverterPoller.Intervals

    /// A configuration.
    public init(listen: Endpoint = Endpoint(host: "127.0.0.1"), metrics: Endpoint? = nil,
                gateway: Gateway.Configuration = .init(), mqtt: BridgeConfiguration? = nil,
                intervals: InverterPoller.Intervals = .init()) {
        self.listen = listen
        self.metrics = metrics
        self.gateway = gateway
        self.mqtt = mqtt
        self.intervals = intervals
    }
}

/// Why `rct serve` could not start.
public struct ServeError: Error, Sendable, CustomStringConvertible {
    /// The one line for the user.
    public let description: String
}

/// Runs `rct serve`: the gateway's listeners on NIO's event loop, the upstream link on the
/// calling thread, and with `--metrics` or `--mqtt` the catalogue poller and the MQTT bridge
/// on threads of their own.
public enum GatewayService {
    /// Binds the listeners, makes the first attempt to open the link, hands the bound
    /// addresses to `ready`, then serves until a signal arrives (or ``Gateway/stop()``).
    /// On a signal a running battery action hands back first, through the still open link;
    /// then the poller and the MQTT connection end (saying `offline`), every client, the
    /// listeners and the link are closed, and it returns.
    public static func run(_ configuration: ServeConfiguration, upstream: UpstreamConfiguration, logger: Logger,
                           ready: (_ gateway: Endpoint, _ metrics: Endpoint?) -> Void) throws(ServeError) {
        let gateway = Gateway(configuration: configuration.gateway, logger: logger)
        let inverterMetrics = InverterMetrics(registry: gateway.metrics.registry)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }

        let listener = try bind(configuration.listen, on: group, what: "the gateway") { channel in
            try channel.pipeline.syncOperations.addHandler(GatewayClientHandler(gateway: gateway))
        } child: { bootstrap in
            bootstrap.childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: false)
        }
        var metricsListener: (any Channel)?
        if let endpoint = configuration.metrics {
            let registry = gateway.metrics.registry
            metricsListener = try bind(endpoint, on: group, what: "the metrics") { channel in
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                try channel.pipeline.syncOperations.addHandler(MetricsHandler(registry: registry) {
                    inverterMetrics.updateAges(now: Gateway.now)
                })
            } child: { $0 }
        }
        let listening = boundEndpoint(listener, fallback: configuration.listen)
        let metricsAt = metricsListener.map { boundEndpoint($0, fallback: configuration.metrics ?? configuration.listen) }
        logger.info("gateway listening on \(listening); \(configuration.gateway.scheduling.allowsWrites ? "writes allowed (validated and read back)" : "read-only")")
        // Requests of the daemon's own wait for the gateway's queue as well as for the inverter.
        let ownTimeout = 4 * upstream.clientOptions.timeout + 2
        let bridge = configuration.mqtt.map {
            HomeAssistantBridge(configuration: $0, catalogue: .standard, gateway: gateway, timeout: ownTimeout,
                                slowInterval: configuration.intervals.slow, logger: logger)
        }
        var listeners: [InverterPoller.Listener] = []
        if configuration.metrics != nil {
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
        gateway.runUpstream(upstream) { ready(listening, metricsAt) }

        gateway.stop()
        watcher.join()
        pollerThread?.join()
        try? listener.close().wait()
        try? metricsListener?.close().wait()
        gateway.closeClients()
        logger.info("stopped")
    }

    private static func bind(_ endpoint: Endpoint, on group: MultiThreadedEventLoopGroup, what: String,
                             pipeline: @escaping @Sendable (any Channel) throws -> Void,
                             child: (ServerBootstrap) -> ServerBootstrap) throws(ServeError) -> any Channel {
        let bootstrap = child(ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try pipeline(channel) }
            })
        do {
            return try bootstrap.bind(host: endpoint.host, port: Int(endpoint.port)).wait()
        } catch {
            throw ServeError(description: "cannot listen for \(what) on \(endpoint): \(error)")
        }
    }

    private static func boundEndpoint(_ channel: any Channel, fallback: Endpoint) -> Endpoint {
        guard let port = channel.localAddress?.port, let bound = UInt16(exactly: port) else { return fallback }
        return Endpoint(host: fallback.host, port: bound)
    }
}
