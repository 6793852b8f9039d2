import Logging
import NIOCore
import NIOPosix
import RCTTransport
import Synchronization

/// The gateway's listening socket, open only while the gateway admits new clients.
///
/// A Wi-Fi module without power refuses connections, and clients are written for that: they
/// fail their poll at once and mark the inverter unavailable. A socket that is accepted and
/// then closed is worse: some clients read the closed socket in a loop. So while the link is
/// down, or every client slot is busy, the socket is closed and connects are refused by the
/// kernel; it is opened again, on the same port, as soon as a client would be admitted.
final class GatewayListener: Sendable {
    private struct State {
        var channel: (any Channel)?
        var binding = false
        var stopped = false
        var lastFailureLogged: Double?
    }

    /// Makes the bootstrap for each bind (a bootstrap is not to be shared between threads).
    private let bootstrap: @Sendable () -> ServerBootstrap
    /// Where it listens: the port the first bind got, so that port 0 keeps the port it picked.
    let endpoint: Endpoint
    private let logger: Logger
    private let state: Mutex<State>

    /// Binds at once, so that a port in use is an error at start-up, and learns the port.
    init(bootstrap: @escaping @Sendable () -> ServerBootstrap, endpoint: Endpoint, logger: Logger) throws(ServeError) {
        let channel = try GatewayService.bind(bootstrap(), endpoint, what: "gateway clients")
        self.bootstrap = bootstrap
        self.endpoint = GatewayService.boundEndpoint(channel, fallback: endpoint)
        self.logger = logger
        self.state = Mutex(State(channel: channel))
    }

    /// Opens or closes the socket so that it is open exactly when `open` says; a bind that
    /// fails (another program took the port meanwhile) is tried again on the next call and
    /// logged once a minute.
    func update(open: Bool) {
        let (closing, binding): ((any Channel)?, Bool) = state.withLock { state in
            if state.stopped || !open {
                defer { state.channel = nil }
                return (state.channel, false)
            }
            guard state.channel == nil, !state.binding else { return (nil, false) }
            state.binding = true
            return (nil, true)
        }
        closing?.close(promise: nil)
        guard binding else { return }
        bootstrap().bind(host: endpoint.host, port: Int(endpoint.port)).whenComplete { [self] result in
            let (extra, failure): ((any Channel)?, String?) = state.withLock { state in
                state.binding = false
                switch result {
                case let .success(channel):
                    // Stopped while binding: close what was bound.
                    if state.stopped { return (channel, nil) }
                    state.channel = channel
                    return (nil, nil)
                case let .failure(error):
                    let now = Gateway.now
                    guard state.lastFailureLogged.map({ now - $0 >= 60 }) ?? true else { return (nil, nil) }
                    state.lastFailureLogged = now
                    return (nil, GatewayService.describe(error, listening: endpoint, what: "gateway clients"))
                }
            }
            extra?.close(promise: nil)
            if let failure { logger.error("\(failure); trying again") }
        }
    }

    /// Waits (up to a second) for a bind under way to end.
    func waitUntilSettled() {
        let end = Deadline.after(seconds: 1)
        while state.withLock({ $0.binding }) && !end.hasPassed { usleepSeconds(0.005) }
    }

    /// Closes the socket for good.
    func close() {
        let channel = state.withLock { state in
            state.stopped = true
            defer { state.channel = nil }
            return state.channel
        }
        try? channel?.close().wait()
    }
}
