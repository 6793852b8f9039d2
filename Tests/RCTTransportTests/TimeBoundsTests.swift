import RCTControl
import RCTTransport
import Testing

@Suite("Times from users and the wire never trap")
struct TimeBoundsTests {
    @Test("A deadline takes any Double: far-off and infinite ones are cut to about 31 years, NaN to now",
          arguments: [1e300, -1e300, Double.infinity, -Double.infinity, Double.nan, 2.5, 0])
    func deadlines(seconds: Double) {
        let start = Deadline.now
        let deadline = start.adding(seconds: seconds)
        let moved = Double(deadline.nanoseconds - start.nanoseconds) / 1e9
        if seconds.isNaN {
            #expect(moved == 0)
        } else {
            #expect(abs(moved - min(max(seconds, -1e9), 1e9)) < 1e-6 * max(1, abs(moved)))
        }
    }

    @Test("Durations as text: typed ones parse; any Double is written", arguments: [
        ("90s", 90.0), ("15m", 900), ("1h30m", 5400), ("2h", 7200),
    ])
    func durations(text: String, seconds: Double) {
        #expect(DurationText.parse(text) == seconds)
        #expect(!DurationText.format(seconds).isEmpty)
    }

    @Test("Huge and odd durations are written without trapping", arguments: [1e300, Double.infinity, Double.nan, -5, 1e9])
    func hugeDurations(seconds: Double) {
        #expect(!DurationText.format(seconds).isEmpty)
    }
}
