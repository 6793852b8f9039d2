/// Takes the TCP segment out of a captured frame, for the link types captures of this
/// protocol come in. Pure: bytes in, a segment or nil out (anything that is not an
/// unfragmented TCP segment over IPv4 or IPv6, or is cut short, gives nil).
public enum PacketParser {
    /// The link types understood (libpcap's DLT numbers).
    public enum LinkType: Int32, Sendable, CaseIterable {
        /// BSD loopback: a 4-byte address family in the capturing host's byte order.
        case null = 0
        /// Ethernet (what routers such as a FRITZ!Box write).
        case ethernet = 1
        /// Raw IP on some systems.
        case rawAlternative = 12
        /// Raw IP.
        case raw = 101
        /// OpenBSD loopback: the address family in network byte order.
        case loop = 108
        /// Linux cooked capture (tcpdump -i any).
        case linuxCooked = 113
        /// The first user link type: rct's own serial traces, a direction byte before each chunk.
        case user0 = 147
        /// Raw IPv4.
        case ipv4 = 228
        /// Raw IPv6.
        case ipv6 = 229
        /// Linux cooked capture v2.
        case linuxCooked2 = 276
    }

    /// The TCP segment in `frame`, captured on a link of type `link`.
    public static func segment(in frame: [UInt8], link: LinkType) -> TCPSegment? {
        var reader = ByteReader(frame)
        switch link {
        case .ethernet:
            guard reader.skip(12), var etherType = reader.uint16() else { return nil }
            while etherType == 0x8100 || etherType == 0x88A8 {  // VLAN tags
                guard reader.skip(2), let inner = reader.uint16() else { return nil }
                etherType = inner
            }
            return ip(&reader, etherType: etherType)
        case .linuxCooked:
            guard reader.skip(14), let protocolType = reader.uint16() else { return nil }
            return ip(&reader, etherType: protocolType)
        case .linuxCooked2:
            guard let protocolType = reader.uint16(), reader.skip(18) else { return nil }
            return ip(&reader, etherType: protocolType)
        case .null, .loop:
            guard let family = reader.bytes(4) else { return nil }
            // AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30 depending on the system.
            let little = UInt32(family[0]) | UInt32(family[1]) << 8 | UInt32(family[2]) << 16 | UInt32(family[3]) << 24
            let big = UInt32(family[3]) | UInt32(family[2]) << 8 | UInt32(family[1]) << 16 | UInt32(family[0]) << 24
            let value = link == .loop ? big : (little < 256 ? little : big)
            return value == 2 ? ipv4(&reader) : [10, 24, 28, 30].contains(value) ? ipv6(&reader) : nil
        case .raw, .rawAlternative:
            guard let first = reader.peek() else { return nil }
            return first >> 4 == 4 ? ipv4(&reader) : first >> 4 == 6 ? ipv6(&reader) : nil
        case .ipv4: return ipv4(&reader)
        case .ipv6: return ipv6(&reader)
        case .user0: return nil
        }
    }

    private static func ip(_ reader: inout ByteReader, etherType: UInt16) -> TCPSegment? {
        switch etherType {
        case 0x0800: ipv4(&reader)
        case 0x86DD: ipv6(&reader)
        default: nil
        }
    }

    private static func ipv4(_ reader: inout ByteReader) -> TCPSegment? {
        let start = reader.position
        guard let versionAndLength = reader.uint8(), versionAndLength >> 4 == 4 else { return nil }
        let headerLength = Int(versionAndLength & 0x0F) * 4
        guard headerLength >= 20, reader.skip(1), let totalLength = reader.uint16(), reader.skip(2),
              let fragment = reader.uint16(), reader.skip(1), let protocolNumber = reader.uint8(), reader.skip(2),
              let source = reader.bytes(4), let destination = reader.bytes(4) else { return nil }
        // A fragment (more to come, or not the first) is not a whole segment.
        guard protocolNumber == 6, fragment & 0x3FFF == 0, Int(totalLength) >= headerLength else { return nil }
        guard reader.seek(to: start + headerLength) else { return nil }
        let end = min(reader.count, start + Int(totalLength))
        return tcp(&reader, end: end, source: source.map(String.init).joined(separator: "."),
                   destination: destination.map(String.init).joined(separator: "."))
    }

    private static func ipv6(_ reader: inout ByteReader) -> TCPSegment? {
        let start = reader.position
        guard let first = reader.uint8(), first >> 4 == 6, reader.skip(3), let payloadLength = reader.uint16(),
              let nextHeader = reader.uint8(), reader.skip(1), let source = reader.bytes(16),
              let destination = reader.bytes(16), nextHeader == 6 else { return nil }
        let end = min(reader.count, start + 40 + Int(payloadLength))
        return tcp(&reader, end: end, source: ipv6Text(source), destination: ipv6Text(destination))
    }

    private static func tcp(_ reader: inout ByteReader, end: Int, source: String, destination: String) -> TCPSegment? {
        let start = reader.position
        guard let sourcePort = reader.uint16(), let destinationPort = reader.uint16(), let sequence = reader.uint32(),
              reader.skip(4), let offset = reader.uint8(), let flags = reader.uint8() else { return nil }
        let headerLength = Int(offset >> 4) * 4
        guard headerLength >= 20, start + headerLength <= end, reader.seek(to: start + headerLength) else { return nil }
        return TCPSegment(source: SocketAddress(host: source, port: sourcePort),
                          destination: SocketAddress(host: destination, port: destinationPort),
                          sequence: sequence, isSYN: flags & 0x02 != 0, payload: reader.rest(upTo: end))
    }

    /// An IPv6 address in the usual short form (the longest run of zero groups as `::`).
    static func ipv6Text(_ bytes: [UInt8]) -> String {
        let groups = (0..<8).map { Int(bytes[2 * $0]) << 8 | Int(bytes[2 * $0 + 1]) }
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...8 {
            if index < 8 && groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength && index - runStart > 1 { bestStart = runStart; bestLength = index - runStart }
                runStart = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        return hex[..<bestStart].joined(separator: ":") + "::" + hex[(bestStart + bestLength)...].joined(separator: ":")
    }
}

/// Reads big-endian fields from bytes, answering nil past the end.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var count: Int { bytes.count }

    mutating func skip(_ count: Int) -> Bool {
        guard position + count <= bytes.count else { return false }
        position += count
        return true
    }

    mutating func seek(to offset: Int) -> Bool {
        guard offset >= 0, offset <= bytes.count else { return false }
        position = offset
        return true
    }

    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func uint8() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func uint16() -> UInt16? {
        guard let high = uint8(), let low = uint8() else { return nil }
        return UInt16(high) << 8 | UInt16(low)
    }

    mutating func uint32() -> UInt32? {
        guard let high = uint16(), let low = uint16() else { return nil }
        return UInt32(high) << 16 | UInt32(low)
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard position + count <= bytes.count else { return nil }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    mutating func rest(upTo end: Int) -> [UInt8] {
        guard position < end else { return [] }
        defer { position = end }
        return Array(bytes[position..<end])
    }
}
