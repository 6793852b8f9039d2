#if canImport(Glibc)
import Glibc
#endif
/// A TCP address as a user writes it: `host`, `host:port`, `[v6addr]:port` or a bare IPv6 address.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    /// The port of the inverter's Wi-Fi/LAN module.
    public static let defaultPort: UInt16 = 8899

    /// Host name or address literal, without brackets.
    public let host: String
    /// TCP port.
    public let port: UInt16

    /// An endpoint at `host` and `port`.
    public init(host: String, port: UInt16 = Endpoint.defaultPort) {
        self.host = host
        self.port = port
    }

    /// Reads `text`; `defaultPort` applies when the text names none. Port 0 ("any free
    /// port") is accepted only where `allowsAnyPort` says so, for listening.
    public init(parsing text: String, defaultPort: UInt16 = Endpoint.defaultPort, allowsAnyPort: Bool = false) throws(TransportError) {
        let lowest: UInt16 = allowsAnyPort ? 0 : 1
        let invalid = TransportError.invalidSettings("'\(text)' is not a host, host:port or [IPv6]:port")
        guard !text.isEmpty, !text.contains(where: { $0 == " " || $0 == "/" }) else { throw invalid }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard !host.isEmpty else { throw invalid }
            if rest.isEmpty {
                self.init(host: host, port: defaultPort)
            } else {
                guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()), port >= lowest else { throw invalid }
                self.init(host: host, port: port)
            }
            return
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1 {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard !parts[0].isEmpty, let port = UInt16(parts[1]), port >= lowest else {
                throw .invalidSettings("'\(text)': the port must be a number from 1 to 65535")
            }
            self.init(host: String(parts[0]), port: port)
        } else {
            // No colon: a name or IPv4 literal; several: a bare IPv6 literal.
            self.init(host: text, port: defaultPort)
        }
    }

    /// `host:port`, with brackets around IPv6 literals.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension Endpoint {
    /// Whether only this machine can reach it: 127.0.0.0/8, ::1 or `localhost`. Host names
    /// other than `localhost` count as reachable from elsewhere, whatever they resolve to.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1 && UInt32(bigEndian: address.s_addr) >> 24 == 127
    }
}
