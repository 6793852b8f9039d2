/// How long a simulated device takes to answer, so that what is measured against
/// `rct simulator` says something about a real inverter.
///
/// - The device handles one request at a time, in arrival order, each for ``serviceTime``.
/// - Bytes cross the UART at ``lineRate`` baud, 8N1 (ten bits a byte): the request on its
///   way in, the answer on its way out.
/// - The answer then reaches the client ``latency`` later (the Wi-Fi link, and the module
///   gathering UART bytes into a TCP packet after a pause). Latencies of requests in flight
///   together overlap.
/// - Requests wait in a queue of ``queueCapacity``; one that arrives when it is full is
///   dropped without an answer, as an overloaded device would.
///
/// Which numbers are measured and which are assumed is in Documentation/Simulator.md.
public struct TimingModel: Sendable, Equatable {
    /// Seconds from the end of the answer on the UART to the client.
    public var latency: Double
    /// Seconds the device spends on each request.
    public var serviceTime: Double
    /// UART baud rate, 8N1; nil for no line delay.
    public var lineRate: Double?
    /// Requests that may wait while one is served.
    public var queueCapacity: Int

    /// A model; the defaults answer at once, as the simulator always did.
    public init(latency: Double = 0, serviceTime: Double = 0, lineRate: Double? = nil, queueCapacity: Int = 1024) {
        self.latency = latency
        self.serviceTime = serviceTime
        self.lineRate = lineRate
        self.queueCapacity = queueCapacity
    }

    /// Answers at once: what the tests that need speed use.
    public static let instant = TimingModel()

    /// The assumed real device (Documentation/Simulator.md): 200 ms latency, 10 ms service
    /// time, 115200 baud, 16 waiting requests.
    public static let realistic = TimingModel(latency: 0.2, serviceTime: 0.01, lineRate: 115_200, queueCapacity: 16)

    /// Whether anything is delayed at all.
    public var isInstant: Bool { latency == 0 && serviceTime == 0 && lineRate == nil }

    /// Seconds `count` bytes take on the UART.
    public func lineTime(_ count: Int) -> Double {
        lineRate.map { Double(count) * 10 / $0 } ?? 0
    }
}

/// The device's one-request-at-a-time handling under a ``TimingModel``, without any I/O:
/// when each answer reaches its client, and which requests are dropped.
public struct DeviceQueue: Sendable {
    /// The model in force.
    public let model: TimingModel
    /// When the device is done with the last request it accepted.
    private var busyUntil = 0.0
    /// When each accepted request that has not started yet will start.
    private var waitingStarts: [Double] = []

    /// An idle device.
    public init(model: TimingModel) {
        self.model = model
    }

    /// A request of `requestBytes` that started arriving at `time`, answered with
    /// `answerBytes` (0 for none): when the answer reaches the client, or nil when the
    /// queue was full and the request is dropped.
    public mutating func accept(at time: Double, requestBytes: Int, answerBytes: Int) -> Double? {
        let arrived = time + model.lineTime(requestBytes)
        waitingStarts.removeAll { $0 <= arrived }
        let start = max(arrived, busyUntil)
        if start > arrived {
            guard waitingStarts.count < model.queueCapacity else { return nil }
            waitingStarts.append(start)
        }
        busyUntil = start + model.serviceTime + model.lineTime(answerBytes)
        return busyUntil + model.latency
    }
}
