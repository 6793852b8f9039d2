import Testing
@testable import RCTServe

@Suite("Answer-time percentiles of the web page's health section")
struct AnswerTimesTests {
    @Test("Nearest rank: the median and the 99th percentile are times that were recorded")
    func percentiles() {
        var times = AnswerTimes(capacity: 1000)
        #expect(times.percentile(0.5) == nil)
        for milliseconds in 1...100 { times.record(Double(milliseconds) / 1000) }
        #expect(times.percentile(0.5) == 0.050)
        #expect(times.percentile(0.99) == 0.099)
        #expect(times.percentile(1) == 0.100)
        #expect(times.percentile(0) == 0.001)
        #expect(times.count == 100)
    }

    @Test("Only the latest times count: the oldest leave the ring first")
    func ring() {
        var times = AnswerTimes(capacity: 10)
        for _ in 0..<10 { times.record(5) }
        for _ in 0..<10 { times.record(0.01) }
        #expect(times.count == 10)
        #expect(times.percentile(0.99) == 0.01)
        times.record(2)
        #expect(times.percentile(1) == 2 && times.percentile(0.5) == 0.01)
    }

    @Test("What is not a time is not kept", arguments: [Double.nan, .infinity, -1])
    func refused(_ seconds: Double) {
        var times = AnswerTimes(capacity: 4)
        times.record(seconds)
        #expect(times.count == 0)
    }
}
