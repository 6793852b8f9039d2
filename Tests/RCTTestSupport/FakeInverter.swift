import Foundation
import RCTProtocol
import RCTSimulator
import RCTTransport
import Synchronization

/// How the fake inverter misbehaves, one fault at a time, so each test names what it checks.
public enum FakeBehaviour: Sendable, Equatable {
    /// Answers like the simulator.
    case normal
    /// Sends each answer a byte at a time.
    case split
    /// Waits this many seconds before answering.
    case delayed(Double)
    /// Echoes the request back before answering (as the Wi-Fi bridge does).
    case echo
    /// Sends garbage (with start and escape bytes) before each answer.
    case garbage
    /// Sends a RESPONSE for another object before each answer.
    case unsolicited
    /// Answers with the payload cut short (valid CRC).
    case cutShort
    /// Never answers.
    case silent
    /// Answers reads but silently drops every write, as a device in another mode might.
    case ignoresWrites
}

/// A peer on the far side of a pseudo-terminal or a loopback socket that plays an inverter,
/// built from the simulator's model, for end-to-end tests of real transports.
public final class FakeInverter: Sendable {
    private struct State {
        var received: [Frame] = []
        var stopped = false
        var descriptors: [Int32] = []
        var behaviour: FakeBehaviour
    }

    private let state: Mutex<State>
    private let finished = Mutex<Bool>(false)

    /// Where clients connect: a pseudo-terminal path or a loopback endpoint.
    public let address: String

    private init(address: String, behaviour: FakeBehaviour) {
        self.address = address
        self.state = Mutex(State(behaviour: behaviour))
    }

    /// Every frame received so far.
    public var received: [Frame] { state.withLock { $0.received } }

    /// Every frame received, read after a short pause: a client that has already exited may
    /// have left its last bytes in the kernel for the serving thread to pick up.
    public func receivedOnceSettled() -> [Frame] {
        usleep(100_000)
        return received
    }

    /// Changes the behaviour for later requests.
    public func behave(_ behaviour: FakeBehaviour) { state.withLock { $0.behaviour = behaviour } }

    /// A fake inverter on a new pseudo-terminal; `address` is the path of its serial side.
    public static func onPseudoTerminal(_ behaviour: FakeBehaviour = .normal) throws -> FakeInverter {
        let terminal = try PseudoTerminal.openRaw()
        let fake = FakeInverter(address: terminal.path, behaviour: behaviour)
        // The slave stays open until stop(), so the master sees no hang-up between clients.
        fake.state.withLock { $0.descriptors = [terminal.master, terminal.slave] }
        fake.start { [fake] in fake.serve(terminal.master) }
        return fake
    }

    /// A fake inverter listening on 127.0.0.1 at a free port; `address` is `127.0.0.1:port`.
    public static func onLoopback(_ behaviour: FakeBehaviour = .normal) throws -> FakeInverter {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(listener, raw, size) == 0 && listen(listener, 4) == 0 && getsockname(listener, raw, &size) == 0
            }
        }
        guard bound else { throw TransportError.unavailable("cannot listen on loopback") }
        let fake = FakeInverter(address: "127.0.0.1:\(UInt16(bigEndian: address.sin_port))", behaviour: behaviour)
        fake.state.withLock { $0.descriptors = [listener] }
        fake.start { [fake] in
            var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            while !fake.isStopped {
                guard poll(&entry, 1, 50) > 0 else { continue }
                let client = accept(listener, nil, nil)
                guard client >= 0 else { continue }
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                fake.state.withLock { $0.descriptors.append(client) }
                fake.serve(client)
            }
        }
        return fake
    }

    /// Pulls the plug: closes the inverter's side of the link.
    ///
    /// Each descriptor is replaced by /dev/null rather than closed, so its number stays taken
    /// while the serving thread may still poll it; a plain close could let another test's
    /// port or socket get that number and be read by this thread.
    public func unplug() {
        state.withLock { state in
            state.stopped = true
            let placeholder = open("/dev/null", O_RDWR | O_CLOEXEC)
            for descriptor in state.descriptors { dup2(placeholder, descriptor) }
            close(placeholder)
        }
    }

    /// Stops serving, then frees the descriptors once nothing uses them.
    public func stop() {
        unplug()
        while !finished.withLock({ $0 }) { usleep(1000) }
        state.withLock { state in
            for descriptor in state.descriptors { close(descriptor) }
            state.descriptors.removeAll()
        }
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func start(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            body()
            finished.withLock { $0 = true }
        }
        thread.start()
    }

    private func serve(_ descriptor: Int32) {
        var inverter = SimulatedInverter()
        var decoder = FrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let started = Date()
        while !isStopped {
            guard poll(&entry, 1, 50) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 {
                if count < 0 && errno == EAGAIN { continue }
                return
            }
            decoder.append(buffer[..<count])
            while let output = decoder.next() {
                guard case let .frame(decoded) = output else { continue }
                let request = decoded.frame
                let behaviour = state.withLock { state in
                    state.received.append(request)
                    return state.behaviour
                }
                if behaviour == .ignoresWrites && request.command.isWrite { continue }
                let answers = inverter.handle(request, at: Date().timeIntervalSince(started))
                respond(request, answers, behaviour, on: descriptor)
            }
        }
    }

    private func respond(_ request: Frame, _ answers: [Frame], _ behaviour: FakeBehaviour, on descriptor: Int32) {
        let encoded = answers.compactMap { try? $0.encoded() }.flatMap { $0 }
        switch behaviour {
        case .normal, .ignoresWrites:
            send(encoded, on: descriptor)
        case .split:
            for byte in encoded {
                send([byte], on: descriptor)
                usleep(300)
            }
        case let .delayed(seconds):
            usleep(useconds_t(seconds * 1e6))
            send(encoded, on: descriptor)
        case .echo:
            send((try? request.encoded()) ?? [], on: descriptor)
            send(encoded, on: descriptor)
        case .garbage:
            send([0x00, 0x2B, 0x2B, 0x0D, 0x41, 0x54, 0x2B, 0x0D, 0x2D, 0x2B, 0x05, 0xFF, 0x13], on: descriptor)
            send(encoded, on: descriptor)
        case .unsolicited:
            let other = Frame(command: .response, objectID: ObjectID(request.objectID.rawValue ^ 1), payload: [0, 0, 0, 0])
            send((try? other.encoded()) ?? [], on: descriptor)
            send(encoded, on: descriptor)
        case .cutShort:
            for var answer in answers where !answer.payload.isEmpty {
                answer.payload.removeLast()
                send((try? answer.encoded()) ?? [], on: descriptor)
            }
        case .silent:
            break
        }
    }

    private func send(_ bytes: [UInt8], on descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }
}
