import RCTTransport
import Testing
@testable import RCTServe

@Suite("The last minutes of the link, kept for the page's download")
struct RecentTrafficTests {
    static func entry(_ count: Int, sent: Bool = true) -> TraceEntry {
        TraceEntry(time: 0, direction: sent ? .sent : .received, bytes: [UInt8](repeating: 0x2B, count: count), decoded: [])
    }

    @Test("Bounded by bytes and by age; the oldest go first")
    func bounded() {
        let recent = RecentTraffic(seconds: 60, maximumBytes: 1000)
        for second in 0..<50 { recent.record(Self.entry(100), at: Double(second)) }
        #expect(recent.chunks().reduce(0) { $0 + $1.bytes.count } <= 1000)
        #expect(recent.chunks().first?.time == 40)
        let aged = RecentTraffic(seconds: 10, maximumBytes: 1 << 20)
        for second in 0..<50 { aged.record(Self.entry(10), at: Double(second)) }
        #expect(aged.chunks().first?.time == 39 && aged.chunks().last?.time == 49)
        // A line gone quiet (no bytes) is nothing to keep.
        aged.record(Self.entry(0), at: 50)
        #expect(aged.chunks().last?.time == 49)
    }

    @Test("Written as a pcap of USER0 records, one direction byte in front of each chunk")
    func pcap() throws {
        let recent = RecentTraffic()
        recent.record(Self.entry(3), at: 1_700_000_000.25)
        recent.record(Self.entry(5, sent: false), at: 1_700_000_001.5)
        let bytes = try recent.pcap()
        // The pcap header (24 bytes), then two records of 16 + 1 + chunk bytes.
        #expect(bytes.count == 24 + (16 + 4) + (16 + 6))
        #expect(bytes[24 + 16] == 0 && bytes[24 + 20 + 16] == 1)
    }
}
