import RCTTransport
import Testing

@Suite("The upstream answer timer")
struct AnswerTimerTests {
    @Test("At the ceiling until something is measured; then near the answer times, never below the floor")
    func follows() {
        var timer = AnswerTimer(floor: 0.3, ceiling: 2)
        #expect(timer.timeout == 2)
        for _ in 0..<50 { timer.record(0.22) }
        #expect(timer.timeout == 0.3, "steady 220 ms answers: the floor")
        for _ in 0..<50 { timer.record([0.2, 0.6][Int.random(in: 0...1)]) }
        #expect(timer.timeout > 0.6 && timer.timeout <= 2, "\(timer.timeout): varying answers widen it")
        for _ in 0..<50 { timer.record(5) }
        #expect(timer.timeout == 2, "slow answers: the ceiling")
    }

    @Test("A timeout doubles it up to the ceiling; the next answer measured ends the backoff")
    func backsOff() {
        var timer = AnswerTimer(floor: 0.3, ceiling: 2)
        for _ in 0..<50 { timer.record(0.1) }
        #expect(timer.timeout == 0.3)
        timer.backOff()
        #expect(abs(timer.timeout - 0.6) < 1e-9)
        timer.backOff()
        timer.backOff()
        #expect(timer.timeout == 2)
        timer.record(0.1)
        #expect(timer.timeout == 0.3)
    }

    @Test("Nonsense measurements are ignored", arguments: [-1.0, .nan, .infinity])
    func ignoresNonsense(seconds: Double) {
        var timer = AnswerTimer(floor: 0.3, ceiling: 2)
        timer.record(seconds)
        #expect(timer.timeout == 2)
    }
}
