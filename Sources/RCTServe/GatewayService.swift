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

    /// A configuration.
    public init(listen: Endpoint = Endpoint(host: "127.0.0.1"), metrics: Endpoint? = nil,
                gateway: Gateway.Configuration = .init()) {
        self.listen = listen
        self.metrics = metrics
        self.gateway = gateway
    }
}

/// Why `rct serve` could not start.
public struct ServeError: Error, Sendable, CustomStringConvertible {
    /// The one line for the user.
    public let description: String
}

/// Runs `rct serve`: the gateway's listeners on NIO's event loop, the upstream link on the
/// calling thread.
public enum GatewayService {
    /// Binds the listeners, makes the first attempt to open the link, hands the bound
    /// addresses to `ready`, then serves until a signal arrives (or ``Gateway/stop()``);
    /// then closes every client, the listeners and the link, and returns.
    public static func run(_ configuration: ServeConfiguration, upstream: UpstreamConfiguration, logger: Logger,
                           ready: (_ gateway: Endpoint, _ metrics: Endpoint?) -> Void) throws(ServeError) {
        let gateway = Gateway(configuration: configuration.gateway, logger: logger)
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
                try channel.pipeline.syncOperations.addHandler(MetricsHandler(registry: registry))
            } child: { $0 }
        }
        let listening = boundEndpoint(listener, fallback: configuration.listen)
        let metricsAt = metricsListener.map { boundEndpoint($0, fallback: configuration.metrics ?? configuration.listen) }
        logger.info("gateway listening on \(listening); \(configuration.gateway.scheduling.allowsWrites ? "writes allowed (validated and read back)" : "read-only")")
        // Ready once the link has had its first chance to open, so early requests find it up.
        gateway.runUpstream(upstream) { ready(listening, metricsAt) }

        gateway.stop()
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
