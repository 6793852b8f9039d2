import Foundation
import RCTProtocol
import RCTTestSupport
import RCTTransport

/// The two real backends under test.
enum LinkKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case serial
    case tcp
    var testDescription: String { rawValue }
}

/// Opens a real transport of `kind` to a fake inverter behaving as asked.
func withLink(_ kind: LinkKind, _ behaviour: FakeBehaviour = .normal, timeout: Double = 0.5, retries: Int = 1,
              _ body: (Client, FakeInverter) throws -> Void) throws {
    let fake = kind == .serial ? try FakeInverter.onPseudoTerminal(behaviour) : try FakeInverter.onLoopback(behaviour)
    defer { fake.stop() }
    let transport: any Transport = kind == .serial
        ? try SerialPort(path: fake.address)
        : try TCPConnection(to: try Endpoint(parsing: fake.address), timeout: 2)
    defer { transport.close() }
    let client = Client(transport: transport, options: .init(timeout: timeout, retries: retries))
    try body(client, fake)
}

let registry = Registry.standard
func object(_ name: String) -> ObjectInfo { registry.object(named: name)! }

import Testing
