import NIOCore
import NIOHTTP1
import Synchronization

/// What one HTTP server of `rct serve` allows its clients: a bounded number of connections,
/// each of which must keep talking and keep reading.
public struct HTTPLimits: Sendable, Equatable {
    /// HTTP connections open at once; one more is closed as soon as it is accepted.
    public var maximumConnections: Int
    /// Seconds a connection has to send a whole request (from when it opened, or from its
    /// last response) and to take each response; past that it is closed. A client that sends
    /// a byte a second, or pipelines requests and never reads, is closed after this long.
    public var timeout: Double

    /// 64 connections, 15 seconds.
    public init(maximumConnections: Int = 64, timeout: Double = 15) {
        self.maximumConnections = maximumConnections
        self.timeout = timeout
    }

    /// The bytes a connection's unsent answers may hold before the server stops reading its
    /// requests (NIO's write buffer water marks): a client that does not read cannot make the
    /// daemon hold more than about this for it.
    static let waterMarks = ChannelOptions.Types.WriteBufferWaterMark(low: 32 * 1024, high: 64 * 1024)
}

/// Counts the connections of one HTTP server against ``HTTPLimits/maximumConnections``.
final class ConnectionBudget: Sendable {
    private let open = Mutex(0)
    /// The most connections at once.
    let maximum: Int

    init(maximum: Int) { self.maximum = maximum }

    /// Takes a place for a new connection; false when every place is taken.
    func take() -> Bool {
        open.withLock { count in
            guard count < maximum else { return false }
            count += 1
            return true
        }
    }

    /// Gives a place back; returns how many are taken now.
    @discardableResult
    func giveBack() -> Int {
        open.withLock { count in
            count = max(0, count - 1)
            return count
        }
    }

    /// How many places are taken.
    var taken: Int { open.withLock { $0 } }
}

/// Closes an HTTP connection that does not send a whole request, or does not take its
/// response, within ``HTTPLimits/timeout``.
///
/// The clock runs from the moment the connection opens until a whole request has arrived;
/// it starts again when a response is written, and when the client stops taking what it was
/// sent (the connection's write buffer passes its high water mark), and then runs until a
/// request arrives while the client reads. A response that is never finished (an event
/// stream) stops the clock while the client reads. Sits behind NIO's HTTP decoder.
final class HTTPDeadlineHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let timeout: TimeAmount
    private let timedOut: @Sendable () -> Void
    private var deadline: Scheduled<Void>?

    /// Closes after `seconds`; `timedOut` counts it.
    init(seconds: Double, timedOut: @escaping @Sendable () -> Void) {
        self.timeout = .nanoseconds(Int64(seconds * 1e9))
        self.timedOut = timedOut
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A whole request stops the clock, unless the client is not taking what it was sent.
        if case .end = unwrapInboundIn(data), context.channel.isWritable {
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The client stopped reading: it has the timeout to take what waits for it.
        if !context.channel.isWritable { arm(context) }
        context.fireChannelWritabilityChanged()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        let timedOut = timedOut
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            timedOut()
            channel.close(promise: nil)
        }
    }
}
