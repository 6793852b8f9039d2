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
