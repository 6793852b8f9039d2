import Foundation
import RCTTestSupport
import RCTTransport
import Testing

@Suite("TCP connection on loopback")
struct TCPTests {
    @Test("host, host:port, [v6]:port and bare IPv6 parse", arguments: [
        ("192.168.1.50", "192.168.1.50", UInt16(8899)), ("inverter.local:9000", "inverter.local", 9000),
        ("[::1]:8900", "::1", 8900), ("[fe80::1]", "fe80::1", 8899), ("fe80::1", "fe80::1", 8899),
    ])
    func endpoints(text: String, host: String, port: UInt16) throws {
        let endpoint = try Endpoint(parsing: text)
        #expect(endpoint.host == host && endpoint.port == port)
    }

    @Test("Bad addresses are refused", arguments: ["", "host:", "host:0", "host:70000", "[::1", "a b", "host:port"])
    func badEndpoints(text: String) {
        #expect(throws: TransportError.self) { try Endpoint(parsing: text) }
    }

    @Test("Connection refused is reported as such")
    func refused() throws {
        // A port that was just free: bind, note it, close.
        let fake = try FakeInverter.onLoopback()
        let endpoint = try Endpoint(parsing: fake.address)
        fake.stop()
        let error = #expect(throws: TransportError.self) { try TCPConnection(to: endpoint, timeout: 1) }
        #expect(error?.description.contains("refused") == true)
    }

    @Test("A connect that gets no answer times out on its deadline")
    func connectTimeout() throws {
        // A listener that never accepts, with its queue filled: the kernel drops further SYNs.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(listener, raw, size) == 0 && listen(listener, 0) == 0 && getsockname(listener, raw, &size) == 0
            }
        }
        let endpoint = Endpoint(host: "127.0.0.1", port: UInt16(bigEndian: address.sin_port))
        var fillers: [TCPConnection] = []
        var timedOut = false
        let started = Date()
        for _ in 0..<8 where !timedOut {
            do {
                fillers.append(try TCPConnection(to: endpoint, timeout: 0.5))
            } catch let error {
                guard case .timedOut = error else { Issue.record("got \(error)"); return }
                timedOut = true
            }
        }
        #expect(timedOut, "the queue never filled")
        #expect(Date().timeIntervalSince(started) < 8 * 0.5 + 2)
        fillers.forEach { $0.close() }
    }

    @Test("An unknown host name is reported as such")
    func unknownHost() {
        let error = #expect(throws: TransportError.self) { try TCPConnection(to: Endpoint(host: "no-such-host.invalid"), timeout: 1) }
        #expect(error?.description.contains("not found") == true)
    }

    @Test("IPv6 loopback works when the machine has it")
    func ipv6() throws {
        let fake = try FakeInverter.onLoopback()
        defer { fake.stop() }
        // The fake listens on IPv4 only: an IPv6 attempt must fail cleanly, not hang.
        let port = try Endpoint(parsing: fake.address).port
        let started = Date()
        #expect(throws: TransportError.self) { try TCPConnection(to: Endpoint(host: "::1", port: port), timeout: 1) }
        #expect(Date().timeIntervalSince(started) < 2)
    }
}
