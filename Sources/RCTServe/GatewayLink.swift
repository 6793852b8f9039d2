import Dispatch
import RCTProtocol
import RCTTransport
import Synchronization

/// A ``Transport`` that reaches the inverter through the gateway, for the parts of the daemon
/// that read and write themselves (the MQTT bridge, its battery actions).
///
/// It is a gateway client like any TCP client: its requests share the one link fairly, reads
/// are coalesced and cached, and writes pass the write policy and are carried out as
/// `rct set` does them. A ``Client`` on it therefore reads and writes exactly as on a real
/// link. A write's `send` returns once the gateway has finished it, so a read-back that
/// follows is asked after the write, never answered from before it. When the upstream link
/// goes down, every wait ends with ``TransportError/disconnected(_:)``; open a new link
/// once ``Gateway/isLinkUp`` is true again.
public final class GatewayLink: Transport {
    private final class Inbox: Sendable {
        struct State {
            var bytes: [UInt8] = []
            var writesPending = 0
            var lost = false
        }
        let state = Mutex(State())
        let arrived = DispatchSemaphore(value: 0)

        func signal() { arrived.signal() }

        /// Waits until `ready` holds or `deadline` passes; returns its last answer.
        func wait<T>(until deadline: Deadline, _ ready: (inout State) -> T?) -> T? {
            while true {
                if let value = state.withLock({ ready(&$0) }) { return value }
                if deadline.hasPassed { return nil }
                let slice = min(deadline.remainingSeconds, 0.1)
                _ = arrived.wait(timeout: .now() + .nanoseconds(Int(slice * 1e9)))
            }
        }
    }

    private let gateway: Gateway
    private let inbox = Inbox()
    private var id: GatewayClientID?
    /// Who this is, for the gateway's log and metrics.
    public let label: String

    /// Registers with `gateway` as a client named `name` (not counted against `--max-clients`);
    /// fails when the gateway is stopping.
    public init(gateway: Gateway, name: String) throws(TransportError) {
        self.gateway = gateway
        self.label = name
        let inbox = inbox
        let peer = GatewayPeer(
            deliver: { frame in
                guard let bytes = try? frame.encoded() else { return true }
                inbox.state.withLock { $0.bytes += bytes }
                inbox.signal()
                return true
            },
            close: {
                inbox.state.withLock { $0.lost = true }
                inbox.signal()
            },
            writeDone: {
                inbox.state.withLock { $0.writesPending -= 1 }
                inbox.signal()
            },
            linkLost: {
                inbox.state.withLock { $0.lost = true }
                inbox.signal()
            })
        guard let id = gateway.register(peer, name: name, host: "internal", isInternal: true) else {
            throw .unavailable("\(name): the gateway is stopping")
        }
        self.id = id
        if !gateway.isLinkUp { inbox.state.withLock { $0.lost = true } }
    }

    deinit { close() }

    public func send(_ bytes: [UInt8], deadline: Deadline) throws(TransportError) {
        guard let id, !inbox.state.withLock({ $0.lost }) else { throw lost }
        var decoder = FrameDecoder()
        decoder.append(bytes)
        decoder.lineWentQuiet()
        while let output = decoder.next() {
            guard case let .frame(decoded) = output else { continue }
            // A parameter write, which the gateway reports finished; history requests are reads.
            let isWrite = decoded.frame.command.isWrite && WriteRules.rule(for: decoded.frame.objectID) != nil
            if isWrite { inbox.state.withLock { $0.writesPending += 1 } }
            switch gateway.received(decoded.frame, from: id) {
            case .queued, .adjusted:
                break
            case let .refused(reason):
                if isWrite { inbox.state.withLock { $0.writesPending -= 1 } }
                throw .invalidSettings("the gateway refused it: \(reason)")
            case .ignored:
                if isWrite { inbox.state.withLock { $0.writesPending -= 1 } }
                throw lost
            case .answeredFromCache, .coalesced, .overloaded:
                if isWrite { inbox.state.withLock { $0.writesPending -= 1 } }
            }
        }
        // A write is finished when the gateway says so: read, written once, read back.
        let finished = inbox.wait(until: deadline) { state -> Bool? in
            if state.lost { return false }
            return state.writesPending <= 0 ? true : nil
        }
        switch finished {
        case true?: return
        case false?: throw lost
        case nil: throw .timedOut("\(label): the gateway did not finish the write in time")
        }
    }

    public func receive(deadline: Deadline) throws(TransportError) -> [UInt8] {
        let bytes = inbox.wait(until: deadline) { state -> [UInt8]? in
            if !state.bytes.isEmpty {
                defer { state.bytes.removeAll(keepingCapacity: true) }
                return state.bytes
            }
            return state.lost ? [] : nil
        }
        if let bytes, !bytes.isEmpty { return bytes }
        if inbox.state.withLock({ $0.lost }) { throw lost }
        return []
    }

    public func close() {
        guard let id else { return }
        self.id = nil
        gateway.unregister(id)
    }

    private var lost: TransportError {
        .disconnected("\(label): the gateway has no link to the inverter")
    }
}

extension Gateway {
    /// A client of the daemon's own on this gateway, named `name` in the log: one attempt per
    /// request (the gateway retries upstream), `timeout` covering the gateway's queue as well
    /// as the inverter, and signals left to the service.
    func ownClient(named name: String, timeout: Double) throws(TransportError) -> Client {
        Client(transport: try GatewayLink(gateway: self, name: name),
               options: Client.Options(timeout: timeout, retries: 0, stopsOnSignal: false))
    }
}
