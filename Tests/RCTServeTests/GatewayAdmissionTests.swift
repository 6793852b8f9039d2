#if canImport(Glibc)
import Glibc
#endif
import Logging
import RCTProtocol
import Synchronization
import Testing
@testable import RCTServe

/// Who the gateway lets in, whom it closes, and what it says about them: the gateway with
/// peers that only record what was done to them.
@Suite("Gateway admission")
struct GatewayAdmissionTests {
    /// A peer that counts how often it was closed.
    final class RecordingPeer: Sendable {
        let closes = Mutex(0)
        var peer: GatewayPeer {
            GatewayPeer(deliver: { _ in true }, close: { self.closes.withLock { $0 += 1 } }, writeDone: {},
                        linkLost: { self.closes.withLock { $0 += 1 } })
        }
        var closed: Bool { closes.withLock { $0 } > 0 }
    }

    static func gateway(maximum: Int = 2, idle: Double = 100, evictable: Double = 0.2, summary: Double = 3600) -> Gateway {
        let gateway = Gateway(configuration: .init(maximumClients: maximum, idleTimeout: idle, evictableAfter: evictable,
                                                   summaryInterval: summary),
                              logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        gateway.setLink(up: true)
        return gateway
    }

    @Test("Nobody is admitted while the link is down, but the daemon's own clients")
    func linkDown() {
        let gateway = Self.gateway()
        gateway.setLink(up: false)
        #expect(!gateway.acceptsNewClients())
        #expect(gateway.register(RecordingPeer().peer, name: "a", host: "a") == nil)
        #expect(gateway.register(RecordingPeer().peer, name: "poller", host: "internal", isInternal: true) != nil)
    }

    @Test("At the maximum: refused until a client has been idle long enough, then the one idle longest makes room")
    func eviction() throws {
        let gateway = Self.gateway()
        let first = RecordingPeer(), second = RecordingPeer()
        let firstID = try #require(gateway.register(first.peer, name: "first", host: "a"))
        _ = gateway.register(second.peer, name: "second", host: "b")
        #expect(!gateway.acceptsNewClients())
        #expect(gateway.register(RecordingPeer().peer, name: "third", host: "c") == nil)
        usleep(300_000)
        // The first client talks: the second is now the one idle longest.
        gateway.received(Frame(command: .read, objectID: ObjectID(0x959930BF)), from: firstID)
        #expect(gateway.acceptsNewClients())
        #expect(gateway.register(RecordingPeer().peer, name: "third", host: "c") != nil)
        #expect(second.closed && !first.closed)
    }

    @Test("A client waiting for an answer is not idle; one that is closes after the idle timeout")
    func idleTimeout() throws {
        let gateway = Self.gateway(idle: 0.2)
        let waiting = RecordingPeer(), silent = RecordingPeer()
        let waitingID = try #require(gateway.register(waiting.peer, name: "waiting", host: "a"))
        _ = gateway.register(silent.peer, name: "silent", host: "b")
        gateway.received(Frame(command: .read, objectID: ObjectID(0x959930BF)), from: waitingID)
        usleep(300_000)
        gateway.closeIdleClients()
        #expect(silent.closed && !waiting.closed)
    }

    @Test("Losing the link closes the TCP clients")
    func linkLostClosesClients() {
        let gateway = Self.gateway()
        let peer = RecordingPeer()
        _ = gateway.register(peer.peer, name: "a", host: "a")
        gateway.setLink(up: false)
        #expect(peer.closed)
    }

    @Test("The summary counts connections, requests and unanswered reads, then starts again")
    func summary() throws {
        let gateway = Self.gateway(summary: 0)
        let id = try #require(gateway.register(RecordingPeer().peer, name: "a", host: "a"))
        let read = Frame(command: .read, objectID: ObjectID(0x959930BF))
        gateway.received(read, from: id)
        let work = try #require(gateway.takeWork().work)
        gateway.complete(work, answer: nil)
        #expect(gateway.takeSummary() == .init(connections: 1, requests: 1, unanswered: 1))
        #expect(gateway.takeSummary() == .init())
    }
}
