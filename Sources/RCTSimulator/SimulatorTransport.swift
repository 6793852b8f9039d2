#if canImport(Glibc)
import Glibc
#endif
import RCTProtocol
import RCTTransport

/// A ``Transport`` to an in-process simulated inverter, through the same encoder and
/// decoder as a real link: `rct --simulator` works with nothing set up.
public final class SimulatorTransport: Transport {
    private var inverter: SimulatedInverter
    private var decoder = FrameDecoder()
    private var inbox: [UInt8] = []
    private let started = Deadline.now
    private let timeScale: Double

    public var label: String { "built-in simulator" }

    /// A simulated inverter in its factory state; `timeScale` speeds up the battery.
    public init(inverter: SimulatedInverter = SimulatedInverter(), timeScale: Double = 1) {
        self.inverter = inverter
        self.timeScale = timeScale
    }

    private var now: Double { started.elapsedSeconds * timeScale }

    public func send(_ bytes: [UInt8], deadline: Deadline) throws(TransportError) {
        decoder.append(bytes)
        while let output = decoder.next() {
            guard case let .frame(decoded) = output else { continue }
            for answer in inverter.handle(decoded.frame, at: now) {
                if let encoded = try? answer.encoded() { inbox += encoded }
            }
        }
    }

    public func receive(deadline: Deadline) throws(TransportError) -> [UInt8] {
        if inbox.isEmpty {
            // Nothing will arrive unasked: wait out the deadline like a quiet line.
            let wait = deadline.remainingSeconds
            if wait > 0 { usleep(useconds_t(min(wait, 1) * 1e6)) }
            return []
        }
        defer { inbox.removeAll() }
        return inbox
    }

    public func close() {}
}
