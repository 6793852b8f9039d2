#if canImport(Glibc)
import Glibc
#endif
import RCTProtocol
import RCTTransport

/// How `rct simulator` serves.
public struct SimulatorConfiguration: Sendable {
    /// Where to accept TCP clients; nil for none.
    public var listen: Endpoint?
    /// Whether to serve on a pseudo-terminal.
    public var pty: Bool
    /// A symlink to create to the pseudo-terminal.
    public var link: String?
    /// Whether writes are acknowledged.
    public var acknowledgesWrites: Bool
    /// Fault injection, if wanted.
    public var faults: FaultInjection?
    /// How much faster than real time the battery moves.
    public var timeScale: Double
    /// How answers go on the wire: a wrong LEN on long answers, a 0x00 before frames.
    public var quirks: WireQuirks
    /// How long answers take: instant unless told otherwise.
    public var timing: TimingModel
    /// Seconds between the answers to the vendor portal that a real Wi-Fi module passes on
    /// to every TCP client; nil for none. Some clients (evcc's) wait for such traffic before
    /// they ask anything.
    public var portalInterval: Double?

    /// Serves TCP on 127.0.0.1:8899 only, faithfully, in real time.
    public init(listen: Endpoint? = Endpoint(host: "127.0.0.1"), pty: Bool = false, link: String? = nil,
                acknowledgesWrites: Bool = false, faults: FaultInjection? = nil, timeScale: Double = 1,
                quirks: WireQuirks = WireQuirks(), timing: TimingModel = .instant, portalInterval: Double? = nil) {
        self.listen = listen
        self.pty = pty
        self.link = link
        self.acknowledgesWrites = acknowledgesWrites
        self.faults = faults
        self.timeScale = timeScale
        self.quirks = quirks
        self.timing = timing
        self.portalInterval = portalInterval
    }
}

/// Serves a ``SimulatedInverter`` on TCP (many clients, broadcast like the Wi-Fi module)
/// and on a pseudo-terminal. Runs on the thread that calls ``run(while:)``.
public final class SimulatorServer {
    /// The TCP address actually bound (the port is known after binding port 0).
    public private(set) var boundEndpoint: Endpoint?
    /// The pseudo-terminal path clients open as a serial port.
    public private(set) var ptyPath: String?

    private var inverter: SimulatedInverter
    private var faults: FaultInjection?
    private let configuration: SimulatorConfiguration
    private let log: ((String) -> Void)?
    private var listener: Int32 = -1
    private var ptyMaster: Int32 = -1
    private var ptyKeeper: Int32 = -1
    private var links: [Link] = []
    private let started = Deadline.now
    private var device: DeviceQueue
    /// Answers on their way, in the order they arrive at their clients.
    private var scheduled: [Delivery] = []

    private struct Delivery {
        let time: Double
        let source: Int32
        let sourceIsTCP: Bool
        let chunks: [FaultInjection.Chunk]
    }

    private struct Link {
        let descriptor: Int32
        let name: String
        let isTCP: Bool
        var decoder = FrameDecoder()
    }

    /// Binds and opens everything the configuration asks for; `log` receives one line per request.
    public init(configuration: SimulatorConfiguration, log: ((String) -> Void)? = nil) throws(TransportError) {
        self.configuration = configuration
        self.inverter = SimulatedInverter(acknowledgesWrites: configuration.acknowledgesWrites)
        self.faults = configuration.faults
        self.log = log
        self.device = DeviceQueue(model: configuration.timing)
        do {
            if let endpoint = configuration.listen { try bind(endpoint) }
            if configuration.pty { try openTerminal() }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Serves until `keepRunning` answers false (it is asked at least every 100 ms).
    public func run(while keepRunning: () -> Bool) {
        while keepRunning() {
            var entries: [pollfd] = []
            if listener >= 0 { entries.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            for link in links { entries.append(pollfd(fd: link.descriptor, events: Int16(POLLIN), revents: 0)) }
            // Inside an unfinished frame, wait only the quiet gap: a long request's LEN may be wrong.
            let insideFrame = links.contains { $0.decoder.bufferedByteCount > 0 }
            var timeout: Int32 = insideFrame ? Int32(Client.defaultQuietGap * 1000) : 100
            for next in [scheduled.first?.time, nextPortalAnswer].compactMap({ $0 }) {
                timeout = min(timeout, Int32(max(0, (next - realTime) * 1000).rounded(.up)))
            }
            let ready = poll(&entries, nfds_t(entries.count), timeout)
            inverter.advance(to: now)
            deliverDueAnswers()
            answerPortalIfDue()
            guard ready > 0 else {
                if insideFrame { serveQuietLinks() }
                continue
            }
            for entry in entries where entry.revents != 0 {
                if entry.fd == listener {
                    accept()
                } else if let index = links.firstIndex(where: { $0.descriptor == entry.fd }) {
                    serve(linkAt: index)
                }
            }
        }
    }

    /// Stops serving and releases every port, socket and link.
    public func close() {
        for link in links where link.descriptor != ptyMaster { Glibc.close(link.descriptor) }
        links.removeAll()
        if listener >= 0 { Glibc.close(listener); listener = -1 }
        if ptyMaster >= 0 { Glibc.close(ptyMaster); ptyMaster = -1 }
        if ptyKeeper >= 0 { Glibc.close(ptyKeeper); ptyKeeper = -1 }
        if let link = configuration.link, ptyPath != nil { unlink(link) }
    }

    private var now: Double { realTime * configuration.timeScale }

    /// Seconds since the server started, unscaled: the clock of the timing model.
    private var realTime: Double { started.elapsedSeconds }

    /// When the next answer to the portal goes out, with ``SimulatorConfiguration/portalInterval``.
    private lazy var nextPortalAnswer: Double? = configuration.portalInterval

    /// Sends every TCP client what a module passes on of the portal's traffic: an answer
    /// (battery.soc) to a request that none of them sent.
    private func answerPortalIfDue() {
        guard let due = nextPortalAnswer, let interval = configuration.portalInterval, due <= realTime else { return }
        nextPortalAnswer = realTime + interval
        let soc = ObjectID(0x959930BF)
        guard let value = inverter.value(of: soc), let payload = try? ValueCodec.encode(value, as: .float),
              let bytes = try? Frame(command: .response, objectID: soc, payload: payload).encoded() else { return }
        for link in links where link.isTCP { send(bytes, to: link.descriptor) }
    }

    /// Sends the answers whose time has come, to the clients there are now.
    private func deliverDueAnswers() {
        while let next = scheduled.first, next.time <= realTime {
            scheduled.removeFirst()
            send(next.chunks, from: next.source, isTCP: next.sourceIsTCP)
        }
    }

    /// Sends `chunks` with their pauses: to every TCP client for a TCP source (the module
    /// broadcasts), else back on the link it came from, if it is still there.
    private func send(_ chunks: [FaultInjection.Chunk], from source: Int32, isTCP: Bool) {
        for chunk in chunks {
            if chunk.delay > 0 { usleep(useconds_t(chunk.delay * 1e6)) }
            let targets = isTCP ? links.filter(\.isTCP).map(\.descriptor) : links.filter { $0.descriptor == source }.map(\.descriptor)
            for target in targets { send(chunk.bytes, to: target) }
        }
    }

    private func serve(linkAt index: Int) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(links[index].descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else {
            if count < 0 && (errno == EAGAIN || errno == EINTR) { return }
            let link = links.remove(at: index)
            if link.isTCP {
                Glibc.close(link.descriptor)
                log?("client \(link.name) left")
            }
            return
        }
        links[index].decoder.append(buffer[..<count])
        answerRequests(onLinkAt: index)
    }

    /// After a silence: lets each decoder close a long request at what has arrived.
    private func serveQuietLinks() {
        for index in links.indices where links[index].decoder.bufferedByteCount > 0 {
            links[index].decoder.lineWentQuiet()
            answerRequests(onLinkAt: index)
        }
    }

    /// Answers every request the link's decoder has for now.
    private func answerRequests(onLinkAt index: Int) {
        var requests: [Frame] = []
        while let output = links[index].decoder.next() {
            if case let .frame(decoded) = output { requests.append(decoded.frame) }
        }
        let source = links[index]
        for request in requests {
            let answers = inverter.handle(request, at: now)
            log?("\(source.name): \(request.command) \(Registry.standard.object(id: request.objectID)?.name ?? request.objectID.description)"
                 + (request.payload.isEmpty ? "" : " [\(HexText.format(request.payload))]")
                 + (answers.isEmpty ? " (no answer)" : ""))
            // The device's UART is shared: other TCP clients see the request too.
            if source.isTCP, let bytes = try? request.encoded() {
                for other in links where other.isTCP && other.descriptor != source.descriptor {
                    send(bytes, to: other.descriptor)
                }
            }
            let chunks: [FaultInjection.Chunk]
            if var faults {
                chunks = faults.disturb(answers, request: request, quirks: configuration.quirks)
                self.faults = faults
            } else {
                chunks = answers.map { FaultInjection.Chunk(delay: 0, bytes: configuration.quirks.wire($0)) }
            }
            if configuration.timing.isInstant {
                send(chunks, from: source.descriptor, isTCP: source.isTCP)
                continue
            }
            let requestBytes = (try? request.encoded().count) ?? 0
            guard let time = device.accept(at: realTime, requestBytes: requestBytes,
                                           answerBytes: chunks.reduce(0) { $0 + $1.bytes.count }) else {
                log?("\(source.name): queue full, request dropped")
                continue
            }
            scheduled.append(Delivery(time: time, source: source.descriptor, sourceIsTCP: source.isTCP, chunks: chunks))
        }
    }

    private func send(_ bytes: [UInt8], to descriptor: Int32) {
        var sent = 0
        var attempts = 0
        while sent < bytes.count && attempts < 50 {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + sent, bytes.count - sent) }
            if written > 0 { sent += written } else { attempts += 1; usleep(1000) }
        }
    }

    private func accept() {
        let client = Glibc.accept(listener, nil, nil)
        guard client >= 0 else { return }
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        var noDelay: Int32 = 1
        setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        let name = "tcp#\(client)"
        links.append(Link(descriptor: client, name: name, isTCP: true))
        log?("client \(name) connected")
    }

    private func bind(_ endpoint: Endpoint) throws(TransportError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list) == 0, let info = list else {
            throw .invalidSettings("cannot listen on \(endpoint): unknown address")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .unavailable("cannot create a socket") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, Glibc.listen(fd, 16) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .unavailable(code == EADDRINUSE ? "cannot listen on \(endpoint): the port is in use"
                                                  : "cannot listen on \(endpoint): error \(code)")
        }
        listener = fd
        var storage = sockaddr_storage()
        var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let port = withUnsafeMutablePointer(to: &storage) { pointer -> UInt16 in
            _ = pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) }
            if Int32(pointer.pointee.ss_family) == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        boundEndpoint = Endpoint(host: endpoint.host, port: port)
    }

    private func openTerminal() throws(TransportError) {
        let terminal = try PseudoTerminal.openRaw()
        let master = terminal.master
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        ptyMaster = master
        ptyKeeper = terminal.slave
        let path = terminal.path
        ptyPath = path
        links.append(Link(descriptor: master, name: "pty", isTCP: false))
        if let link = configuration.link {
            unlink(link)
            guard symlink(path, link) == 0 else {
                throw .unavailable("cannot create the link \(link): error \(errno)")
            }
        }
    }
}
