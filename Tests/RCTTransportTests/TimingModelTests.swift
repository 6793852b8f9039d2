import RCTSimulator
import Testing

@Suite("Simulator timing model")
struct TimingModelTests {
    @Test("One request: arrival on the line, service, answer on the line, then latency")
    func single() throws {
        var device = DeviceQueue(model: TimingModel(latency: 0.2, serviceTime: 0.01, lineRate: 10_000, queueCapacity: 4))
        // 10 bytes in (10 ms at 10 000 baud), 10 ms service, 20 bytes out (20 ms), 200 ms latency.
        let accepted = device.accept(at: 1, requestBytes: 10, answerBytes: 20)
        let delivered = try #require(accepted)
        #expect(abs(delivered - 1.24) < 1e-9)
    }

    @Test("Requests are served one at a time; their latencies overlap")
    func serialServiceOverlappingLatency() throws {
        var device = DeviceQueue(model: TimingModel(latency: 0.2, serviceTime: 0.05, queueCapacity: 10))
        let times = (0..<4).compactMap { _ in device.accept(at: 0, requestBytes: 0, answerBytes: 0) }
        // 0.05 s apart (service), each 0.2 s after its service: not 0.25 s apart.
        #expect(times.count == 4)
        for (index, time) in times.enumerated() { #expect(abs(time - (0.2 + 0.05 * Double(index + 1))) < 1e-9) }
    }

    @Test("A full queue drops what arrives, as an overloaded device does; it drains over time")
    func queueOverflow() {
        var device = DeviceQueue(model: TimingModel(serviceTime: 0.1, queueCapacity: 2))
        let burst = (0..<6).map { _ in device.accept(at: 0, requestBytes: 0, answerBytes: 0) }
        // One in service, two waiting, three dropped.
        #expect(burst.filter { $0 != nil }.count == 3)
        #expect(device.accept(at: 0.35, requestBytes: 0, answerBytes: 0) != nil, "room again once the queue drained")
    }

    @Test("The instant model delays nothing")
    func instant() {
        var device = DeviceQueue(model: .instant)
        #expect(TimingModel.instant.isInstant)
        #expect(!TimingModel.realistic.isInstant)
        #expect(device.accept(at: 3, requestBytes: 100, answerBytes: 100) == 3)
    }
}
