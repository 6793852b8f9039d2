#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A TCP connection to the inverter's Wi-Fi/LAN module (or to a simulator).
public final class TCPConnection: Transport {
    /// Where it is connected.
    public let endpoint: Endpoint
    private var descriptor: Int32

    public var label: String { endpoint.description }

    /// Connects to `endpoint`, trying each address the name resolves to, within `timeout` seconds.
    public init(to endpoint: Endpoint, timeout: Double) throws(TransportError) {
        self.endpoint = endpoint
        let deadline = Deadline.after(seconds: timeout)
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        hints.ai_flags = AI_NUMERICSERV
        // An address literal needs no name service (which would load NSS modules: milliseconds).
        var probe = in6_addr()
        if inet_pton(AF_INET, endpoint.host, &probe) == 1 || inet_pton(AF_INET6, endpoint.host, &probe) == 1 {
            hints.ai_flags |= AI_NUMERICHOST
        }
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard status == 0, let first = list else {
            switch status {
            case EAI_NONAME, EAI_FAIL:
                throw .unavailable("host name '\(endpoint.host)' not found")
            case EAI_AGAIN:
                throw .unavailable("cannot look up '\(endpoint.host)' now (no name server answered)")
            default:
                throw .unavailable("cannot look up '\(endpoint.host)': \(String(cString: gai_strerror(status)))")
            }
        }
        defer { freeaddrinfo(list) }
        var lastError: TransportError = .unavailable("no address found for '\(endpoint.host)'")
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            do {
                descriptor = try Self.connect(info.pointee, endpoint: endpoint, deadline: deadline)
                return
            } catch {
                lastError = error
                if case .timedOut = error { break }
            }
        }
        throw lastError
    }

    private static func connect(_ info: addrinfo, endpoint: Endpoint, deadline: Deadline) throws(TransportError) -> Int32 {
        let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
        guard fd >= 0 else { throw .unavailable("cannot create a socket: \(Errno(rawValue: errno))") }
        var noDelay: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        if Glibc.connect(fd, info.ai_addr, info.ai_addrlen) != 0 && errno != EINPROGRESS {
            let code = errno
            Glibc.close(fd)
            throw describe(code, endpoint)
        }
        while true {
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&entry, 1, deadline.pollTimeout(cap: 1000))
            if ready > 0 { break }
            if ready < 0 && errno != EINTR {
                let code = errno
                Glibc.close(fd)
                throw describe(code, endpoint)
            }
            if deadline.hasPassed {
                Glibc.close(fd)
                throw .timedOut("no connection to \(endpoint) in time (is the inverter on the network?)")
            }
        }
        var code: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &size)
        guard code == 0 else {
            Glibc.close(fd)
            throw describe(code, endpoint)
        }
        return fd
    }

    private static func describe(_ code: Int32, _ endpoint: Endpoint) -> TransportError {
        switch code {
        case ECONNREFUSED: .unavailable("connection to \(endpoint) refused (nothing listens there)")
        case ENETUNREACH, EHOSTUNREACH: .unavailable("\(endpoint) is unreachable (check the network and address)")
        case ETIMEDOUT: .timedOut("no connection to \(endpoint) in time")
        default: .unavailable("cannot connect to \(endpoint): \(Errno(rawValue: code))")
        }
    }

    deinit { close() }

    public func send(_ bytes: [UInt8], deadline: Deadline) throws(TransportError) {
        guard descriptor >= 0 else { throw .disconnected("the connection to \(endpoint) is closed") }
        var sent = 0
        while sent < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                sent += written
            } else if written < 0 && (errno == EAGAIN || errno == EINTR) {
                guard !deadline.hasPassed else { throw .timedOut("\(endpoint) did not accept data in time") }
                var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&entry, 1, deadline.pollTimeout())
            } else {
                throw .disconnected("the connection to \(endpoint) was lost: \(Errno(rawValue: errno))")
            }
        }
    }

    public func receive(deadline: Deadline) throws(TransportError) -> [UInt8] {
        guard descriptor >= 0 else { throw .disconnected("the connection to \(endpoint) is closed") }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, deadline.pollTimeout())
        if ready <= 0 { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count > 0 { return Array(buffer[..<count]) }
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return [] }
        throw .disconnected(count == 0 ? "\(endpoint) closed the connection"
                                       : "the connection to \(endpoint) was lost: \(Errno(rawValue: errno))")
    }

    public func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }
}
