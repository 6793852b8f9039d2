import Foundation
import RCTCapture
import Testing

@Suite("A rotated pcap trace")
struct RotatingCaptureTests {
    @Test("At its size the file becomes FILE.1 and a new FILE begins; both read back whole, together at most about twice the size")
    func rotates() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rct-rotating-\(getpid())-\(UUID().uuidString).pcap").path
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: path + ".1")
        }
        let writer = try RotatingCaptureWriter(path: path, maximumBytes: 10_000)
        for index in 0..<500 {
            writer.write([UInt8](repeating: UInt8(index % 256), count: 100), direction: index % 2 == 0 ? .toInverter : .fromInverter)
        }
        let sizes = try [path, path + ".1"].map { try #require(try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) }
        #expect(sizes.allSatisfy { $0 <= 10_000 + 117 }, "\(sizes)")
        var packets = 0
        for file in [path, path + ".1"] {
            let reader = try CaptureReader(path: file)
            while let packet = try reader.next() {
                #expect(packet.bytes.count == 101)
                packets += 1
            }
        }
        // What the two files hold is the latest traffic: more than one file's worth, less than all of it.
        #expect(packets > 10_000 / 117 && packets < 500, "\(packets)")
    }
}
