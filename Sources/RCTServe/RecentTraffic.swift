#if canImport(Glibc)
import Glibc
#endif
import RCTCapture
import RCTTransport
import Synchronization

/// The last minutes of the upstream link, every byte sent and received, kept in memory so
/// that an installer can download them as a pcap from the page (`/api/capture.pcap`) and
/// read them with `rct decode` or Wireshark's dissector. Bounded by age and by bytes.
public final class RecentTraffic: Sendable {
    /// One chunk of the link, as the client's trace saw it.
    struct Chunk {
        let time: Double
        let sent: Bool
        let bytes: [UInt8]
    }

    private struct State {
        var chunks: [Chunk] = []
        var start = 0
        var bytes = 0
    }

    /// Seconds kept.
    public let seconds: Double
    /// Bytes kept at most; the oldest go first.
    public let maximumBytes: Int
    private let state = Mutex(State())

    /// Keeps the last `seconds` of traffic, at most `maximumBytes` of it.
    public init(seconds: Double = 600, maximumBytes: Int = 4 << 20) {
        self.seconds = seconds
        self.maximumBytes = maximumBytes
    }

    /// Takes what the upstream client's trace saw, stamped `now` (seconds since 1970).
    func record(_ entry: TraceEntry, at now: Double) {
        guard !entry.bytes.isEmpty else { return }
        state.withLock { state in
            state.chunks.append(Chunk(time: now, sent: entry.direction == .sent, bytes: entry.bytes))
            state.bytes += entry.bytes.count
            while state.start < state.chunks.count,
                  state.bytes > maximumBytes || state.chunks[state.start].time < now - seconds {
                state.bytes -= state.chunks[state.start].bytes.count
                state.start += 1
            }
            // Drop what was passed over now and then, not at every chunk.
            if state.start > 1024 && state.start * 2 > state.chunks.count {
                state.chunks.removeFirst(state.start)
                state.start = 0
            }
        }
    }

    /// The chunks kept, oldest first.
    func chunks() -> ArraySlice<Chunk> {
        state.withLock { $0.chunks[$0.start...] }
    }

    /// The chunks kept, as a pcap file (link type USER0, one direction byte in front of
    /// each chunk, as `--trace-pcap` writes), written by libpcap through a temporary file.
    func pcap() throws(CaptureError) -> [UInt8] {
        var template = Array("/tmp/rct-capture-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw CaptureError(message: "cannot make a temporary file for the capture") }
        close(descriptor)
        let path = String(cString: template.map { UInt8(bitPattern: $0) })
        defer { unlink(path) }
        do {
            let writer = try CaptureWriter(path: path)
            for chunk in chunks() {
                writer.write(chunk.bytes, direction: chunk.sent ? .toInverter : .fromInverter, at: chunk.time)
            }
        }
        guard let file = fopen(path, "rb") else { throw CaptureError(message: "cannot read the capture back") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        return bytes
    }
}
