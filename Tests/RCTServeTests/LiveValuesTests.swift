import RCTProtocol
import Testing
@testable import RCTServe

@Suite("The page's live values and history")
struct LiveValuesTests {
    static func entry(_ key: String) throws -> Catalogue.Entry { try #require(Catalogue.standard.entry(key: key)) }

    @Test("A sample per round in the chart's units; the ring keeps the newest, oldest first")
    func ring() throws {
        var live = LiveValues(capacity: 3)
        #expect(live.lastSample == nil && live.history().isEmpty)
        for round in 0..<5 {
            live.record(.float(0.5 + Float(round) / 100), of: try Self.entry("battery_soc"), at: Double(round))
            live.record(.float(-1210.4), of: try Self.entry("grid_power"), at: Double(round))
            live.sample(at: Double(round))
        }
        #expect(live.history().map(\.time) == [2, 3, 4])
        let last = try #require(live.lastSample)
        #expect(last.time == 4)
        // Percent for the state of charge, whole watts; nil for what was never read.
        #expect(last.values == [nil, nil, nil, -1210, nil, 54])
        #expect(live.latest["grid_power"]?.value == .float(-1210.4))
        #expect(LiveValues.capacity(hours: 24, interval: 10) == 8640)
    }

    @Test("A poll faster than the spacing adds a sample only once the spacing has passed")
    func spacing() throws {
        var live = LiveValues(capacity: 100, spacing: 10)
        let kept = (0..<25).map { second in live.sample(at: Double(second)) }
        #expect(kept.indices.filter { kept[$0] } == [0, 10, 20])
        #expect(live.history().map(\.time) == [0, 10, 20])
    }
}
