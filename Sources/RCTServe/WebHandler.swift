import NIOCore
import NIOHTTP1

/// Answers the HTTP requests of `rct serve --http` (HTTP parsing is NIO's): the page and its
/// files, `/metrics` in Prometheus' text format, the JSON API and the event stream. Nothing
/// here touches the inverter: everything comes from what the poller and the gateway hold.
///
/// Every response forbids framing and sniffing and allows the page only its own files (a
/// Content-Security-Policy of `'self'`); there are no CORS headers, so other sites' scripts
/// cannot read anything. Requests that would change something (POST) must come from the page
/// itself (their Origin is this server); they go to the ``CommandDesk``, as Home Assistant's
/// commands do. With a token (`--http-token-file`), every request must carry it.
final class WebHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let site: WebSite
    private var request: HTTPRequestHead?
    /// The body of a POST so far; nil once it has passed ``maximumBody`` (the request is refused).
    private var body: [UInt8]? = []
    /// A request whose answer waits for the client to read again.
    private var waiting: HTTPRequestHead?

    init(site: WebSite) {
        self.site = site
    }

    /// The Content-Security-Policy of every response: the page's own files and nothing else.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// The cookie that carries the token once a browser has given it in the address.
    static let tokenCookie = "rct_token"

    /// The largest POST body read: a command's payload is at most 256 bytes.
    static let maximumBody = 1024

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            request = head
            body = []
        case var .body(part):
            guard let read = body else { return }
            body = read.count + part.readableBytes <= Self.maximumBody ? read + (part.readBytes(length: part.readableBytes) ?? []) : nil
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
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? head.uri
        let query = parts.count > 1 ? String(parts[1]) : ""
        if let token = site.token, !carries(token, head) {
            // A browser opens the page once with ?token=...; the token then rides in a cookie.
            if path == "/", query.split(separator: "&").contains(Substring("token=\(token)")) {
                var headers = HTTPHeaders()
                headers.add(name: "Location", value: "/")
                headers.add(name: "Set-Cookie", value: "\(Self.tokenCookie)=\(token); Path=/; HttpOnly; SameSite=Strict")
                return respond(context, head, status: .seeOther, body: [], type: "text/plain", headers: headers)
            }
            return respond(context, head, status: .unauthorized, body: Array("a token is needed: open /?token=TOKEN once, or send Authorization: Bearer TOKEN\n".utf8),
                           type: "text/plain")
        }
        switch head.method {
        case .POST:
            guard sameOrigin(head) else {
                return respond(context, head, status: .forbidden, body: Array("refused: the request did not come from this page\n".utf8),
                               type: "text/plain")
            }
            command(path, head, context)
        case .GET, .HEAD:
            route(path, head, context)
        default:
            respond(context, head, status: .methodNotAllowed, body: Array("only GET, HEAD and POST\n".utf8), type: "text/plain")
        }
    }

    private func route(_ path: String, _ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        switch path {
        case "/metrics":
            site.beforeScrape()
            respond(context, head, status: .ok, body: site.registry.emitToBuffer(), type: "text/plain; version=0.0.4; charset=utf-8")
        case "/api/values":
            respond(context, head, status: .ok, body: site.json(site.snapshot(withResults: true)), type: "application/json")
        case "/api/history":
            respond(context, head, status: .ok, body: site.json(site.history()), type: "application/json")
        case "/api/health":
            respond(context, head, status: .ok, body: site.json(site.health()), type: "application/json")
        case "/api/events":
            stream(head, context, to: site.streams, first: EventStreams.event("values", site.json(site.snapshot())))
        case "/api/trace":
            stream(head, context, to: site.traces, first: Array(": the link's frames follow as they cross it\n\n".utf8))
        case "/api/capture.pcap":
            guard let recent = site.gateway.recentTraffic, let bytes = try? recent.pcap() else {
                return respond(context, head, status: .serviceUnavailable, body: Array("no capture kept\n".utf8), type: "text/plain")
            }
            var headers = HTTPHeaders()
            let name = "rct-upstream-\(Int(WebSite.wallClock)).pcap"
            headers.add(name: "Content-Disposition", value: "attachment; filename=\"\(name)\"")
            respond(context, head, status: .ok, body: bytes, type: "application/vnd.tcpdump.pcap", headers: headers)
        default:
            if let asset = WebAsset.named(path) {
                respond(context, head, status: .ok, body: asset.bytes, type: asset.type)
            } else {
                respond(context, head, status: .notFound, body: Array("not here: try / or /metrics\n".utf8), type: "text/plain")
            }
        }
    }

    /// Hands a change asked for by the page to the command desk (the path Home Assistant's
    /// commands take) and answers with its result once it is settled: `POST
    /// /api/settings/KEY` and `POST /api/actions/KEY`, the body being the payload MQTT takes.
    private func command(_ path: String, _ head: HTTPRequestHead, _ context: ChannelHandlerContext) {
        let request: CommandDesk.Request
        if path.hasPrefix("/api/settings/") {
            request = .set(key: String(path.dropFirst("/api/settings/".count)), payload: body ?? [])
        } else if path.hasPrefix("/api/actions/") {
            request = .action(key: String(path.dropFirst("/api/actions/".count)), payload: body ?? [])
        } else {
            return respond(context, head, status: .notFound, body: Array("POST goes to /api/settings/KEY or /api/actions/KEY\n".utf8),
                           type: "text/plain")
        }
        guard body != nil else {
            return respond(context, head, status: .payloadTooLarge, body: Array("a command is at most \(Self.maximumBody) bytes\n".utf8),
                           type: "text/plain")
        }
        guard let desk = site.desk else {
            return respond(context, head, status: .forbidden, body: Array((site.settingsState.reason + "\n").utf8), type: "text/plain")
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let site = site
        desk.submit(request, from: "the page") { result in
            let json = site.json(result)
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                // The client may have gone meanwhile; the command was carried out all the same.
                guard context.channel.isActive else { return }
                handler.respond(context, head, status: Self.status(of: result), body: json, type: "application/json")
            }
        }
    }

    /// The HTTP status of a command's result: 403 when writes are off, 502 when the inverter
    /// failed it; otherwise 200, the outcome (`written`, `refused` with its reason, ...)
    /// being in the body, as on the MQTT result topic: a value the rules refuse is an answer
    /// of the daemon, not a failed request (and no error in the browser's console).
    static func status(of result: CommandResult) -> HTTPResponseStatus {
        switch result.outcome {
        case "refused" where result.reason?.contains("--allow-writes") == true: .forbidden
        case "failed": .badGateway
        default: .ok
        }
    }

    /// Starts a Server-Sent Events stream among `streams`, with `first` at once.
    private func stream(_ head: HTTPRequestHead, _ context: ChannelHandlerContext, to streams: EventStreams, first: [UInt8]) {
        var headers = Self.securityHeaders
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Cache-Control", value: "no-store")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: first)))), promise: nil)
        streams.add(context.channel)
    }

    /// Whether `head` carries `token`, as a bearer token or the page's cookie. Compared in
    /// time that does not depend on where a guess goes wrong.
    private func carries(_ token: String, _ head: HTTPRequestHead) -> Bool {
        let bearer = head.headers["Authorization"].compactMap { $0.hasPrefix("Bearer ") ? $0.dropFirst(7) : nil }
        let cookies = head.headers["Cookie"].flatMap { $0.split(separator: ";") }.compactMap { cookie -> Substring? in
            let trimmed = cookie.drop { $0 == " " }
            return trimmed.hasPrefix("\(Self.tokenCookie)=") ? trimmed.dropFirst(Self.tokenCookie.count + 1) : nil
        }
        return (bearer + cookies).contains { Self.same(Array($0.utf8), Array(token.utf8)) }
    }

    /// Whether two byte strings are equal, looking at every byte whatever the first difference.
    private static func same(_ given: [UInt8], _ wanted: [UInt8]) -> Bool {
        var difference = UInt8(given.count == wanted.count ? 0 : 1)
        for index in wanted.indices { difference |= wanted[index] ^ (index < given.count ? given[index] : 0) }
        return difference == 0
    }

    /// Whether a state-changing request came from this server's own page: browsers send the
    /// Origin of the page that made it, and it must name this host.
    private func sameOrigin(_ head: HTTPRequestHead) -> Bool {
        guard let origin = head.headers["Origin"].first, let host = head.headers["Host"].first else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    private static var securityHeaders: HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Security-Policy", value: contentSecurityPolicy)
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(name: "Referrer-Policy", value: "no-referrer")
        headers.add(name: "X-Frame-Options", value: "DENY")
        return headers
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, status: HTTPResponseStatus, body: [UInt8],
                         type: String, headers extra: HTTPHeaders = [:]) {
        var headers = Self.securityHeaders
        headers.add(contentsOf: extra)
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.count)")
        if type.hasPrefix("application/json") { headers.add(name: "Cache-Control", value: "no-store") }
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
