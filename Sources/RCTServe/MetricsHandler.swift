import NIOCore
import NIOHTTP1
import Prometheus

/// Answers `GET /metrics` with the registry in Prometheus' text format; anything else gets
/// 404 (or 405 for another method). HTTP parsing is NIO's; a scrape never touches the inverter.
final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private let beforeScrape: @Sendable () -> Void
    private var request: HTTPRequestHead?
    /// A request whose answer waits for the client to read again.
    private var waiting: HTTPRequestHead?

    /// A handler for `registry`; `beforeScrape` brings values that change by themselves (ages) up to date.
    init(registry: PrometheusCollectorRegistry, beforeScrape: @escaping @Sendable () -> Void = {}) {
        self.registry = registry
        self.beforeScrape = beforeScrape
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            // A client that does not take its answers gets the next one once it reads again
            // (NIO's pipelining handler holds its further requests meanwhile).
            guard context.channel.isWritable else {
                waiting = head
                return
            }
            answer(head, context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let head = waiting {
            waiting = nil
            answer(head, context)
        }
        context.fireChannelWritabilityChanged()
    }

    private func answer(_ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        if head.method != .GET && head.method != .HEAD {
            respond(context, head, status: .methodNotAllowed, body: Array("only GET\n".utf8), type: "text/plain")
        } else if path == "/metrics" {
            beforeScrape()
            respond(context, head, status: .ok, body: registry.emitToBuffer(), type: "text/plain; version=0.0.4; charset=utf-8")
        } else {
            respond(context, head, status: .notFound, body: Array("see /metrics\n".utf8), type: "text/plain")
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, status: HTTPResponseStatus, body: [UInt8], type: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.count)")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
