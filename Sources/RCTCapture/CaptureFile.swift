#if canImport(Glibc)
import Glibc
#endif
import CPcap

/// One packet of a capture file.
public struct CapturedPacket: Sendable {
    /// Capture time, seconds since 1970.
    public let seconds: Int64
    /// Microseconds within the second.
    public let microseconds: Int
    /// The captured bytes (perhaps fewer than were on the wire).
    public let bytes: [UInt8]
}

/// Why a capture could not be read or written.
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in libpcap's words where it gave some.
    public let message: String

    /// An error saying `message`.
    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Reads a pcap or pcapng file through libpcap, one packet at a time (constant memory).
/// Used on one thread: libpcap handles are not thread-safe.
public final class CaptureReader {
    private let handle: OpaquePointer
    /// The link type number (libpcap's DLT) of the capture.
    public let linkType: Int32
    /// The file, for messages.
    public let path: String

    /// Whether `bytes` (the first four of a file) are the magic number of a pcap file (either
    /// byte order, micro- or nanosecond) or of a pcapng section header.
    public static func isCapture(magic bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        let magic = Array(bytes.prefix(4))
        return [[0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0x4D, 0x3C, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D],
                [0x0A, 0x0D, 0x0D, 0x0A]].contains(magic)
    }

    /// Opens `path`; a file libpcap cannot read (a broken header, an unknown version) is an error.
    public init(path: String) throws(CaptureError) {
        var error = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_MICRO), &error) else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw CaptureError(message: "\(path) is not a readable capture: \(reason)")
        }
        self.handle = handle
        self.linkType = pcap_datalink(handle)
        self.path = path
    }

    deinit { pcap_close(handle) }

    /// The next packet, or nil at the end; a file cut short is an error.
    public func next() throws(CaptureError) -> CapturedPacket? {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let result = pcap_next_ex(handle, &header, &data)
        switch result {
        case 1:
            guard let header, let data else { return nil }
            let bytes = Array(UnsafeBufferPointer(start: data, count: Int(header.pointee.caplen)))
            return CapturedPacket(seconds: Int64(header.pointee.ts.tv_sec), microseconds: Int(header.pointee.ts.tv_usec), bytes: bytes)
        case PCAP_ERROR_BREAK:
            return nil
        default:
            throw CaptureError(message: "\(path): \(String(cString: pcap_geterr(handle)))")
        }
    }
}

/// Writes a pcap file through libpcap's dump functions: rct's serial traces, link type
/// USER0, each chunk with one direction byte in front (0 to the inverter, 1 from it).
public final class CaptureWriter {
    /// The direction byte of a chunk.
    public enum Direction: UInt8, Sendable {
        /// From rct to the inverter.
        case toInverter = 0
        /// From the inverter (or the link) to rct.
        case fromInverter = 1
    }

    private let handle: OpaquePointer
    private let dumper: OpaquePointer

    /// Creates (or truncates) `path`.
    public init(path: String) throws(CaptureError) {
        guard let handle = pcap_open_dead(Int32(PacketParser.LinkType.user0.rawValue), 65535) else {
            throw CaptureError(message: "libpcap could not make a capture handle")
        }
        guard let dumper = pcap_dump_open(handle, path) else {
            let message = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            throw CaptureError(message: "cannot write \(path): \(message)")
        }
        self.handle = handle
        self.dumper = dumper
    }

    deinit {
        pcap_dump_close(dumper)
        pcap_close(handle)
    }

    /// Writes one chunk of the serial stream, stamped now.
    public func write(_ bytes: [UInt8], direction: Direction) {
        var now = timeval()
        gettimeofday(&now, nil)
        write(bytes, direction: direction, at: now)
    }

    /// Writes one chunk of the serial stream, stamped `seconds` since 1970 (a chunk kept to be
    /// written later).
    public func write(_ bytes: [UInt8], direction: Direction, at seconds: Double) {
        let whole = seconds.rounded(.down)
        write(bytes, direction: direction, at: timeval(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1e6)))
    }

    private func write(_ bytes: [UInt8], direction: Direction, at now: timeval) {
        for start in stride(from: 0, to: bytes.count, by: 65534) {
            let record = [direction.rawValue] + bytes[start..<min(bytes.count, start + 65534)]
            var header = pcap_pkthdr(ts: now, caplen: UInt32(record.count), len: UInt32(record.count))
            record.withUnsafeBufferPointer { buffer in
                pcap_dump(UnsafeMutablePointer<UInt8>(dumper), &header, buffer.baseAddress)
            }
        }
        pcap_dump_flush(dumper)
    }
}

/// A pcap trace for a process that runs for months: when the file passes a size, it is
/// renamed to `PATH.1` (replacing the one before) and a new `PATH` is begun, so the two hold
/// the latest traffic in at most about twice that size.
public final class RotatingCaptureWriter {
    /// Where the current file is.
    public let path: String
    /// The size at which the file is rotated.
    public let maximumBytes: Int
    private var writer: CaptureWriter?
    private var written = 0
    private let failed: (String) -> Void

    /// Creates (or truncates) `path`; `failed` hears once why the trace stopped, if it does
    /// (the file could not be begun again after a rotation).
    public init(path: String, maximumBytes: Int, failed: @escaping (String) -> Void = { _ in }) throws(CaptureError) {
        self.path = path
        self.maximumBytes = max(4096, maximumBytes)
        self.failed = failed
        writer = try CaptureWriter(path: path)
        written = Self.fileHeader
    }

    /// The pcap file header; each record adds its own header and a direction byte.
    private static let fileHeader = 24
    private static let recordHeader = 16 + 1

    /// Writes one chunk of the stream, then rotates if the file has reached its size.
    public func write(_ bytes: [UInt8], direction: CaptureWriter.Direction) {
        guard let writer else { return }
        writer.write(bytes, direction: direction)
        written += bytes.count + Self.recordHeader * (1 + bytes.count / 65534)
        guard written >= maximumBytes else { return }
        self.writer = nil
        rename(path, path + ".1")
        do {
            self.writer = try CaptureWriter(path: path)
            written = Self.fileHeader
        } catch {
            failed("the trace stopped: \(error.message)")
        }
    }
}
