import RCTCapture
import RCTProtocol

/// `rct decode` of a pcap or pcapng file: the TCP streams to and from the inverter's port,
/// or the serial chunks of an rct trace (link type USER0), each direction of each
/// connection through its own stream decoder.
struct CaptureDecode {
    let path: String
    let port: UInt16
    let json: Bool
    let summary: Bool

    /// Which way bytes went: the direction byte of rct's serial traces, for TCP too.
    typealias Direction = CaptureWriter.Direction

    /// One direction of one connection: who and which way.
    private struct Key: Hashable {
        let connection: String
        let direction: Direction
    }

    /// What is kept for one direction of one connection.
    private struct Flow {
        var reassembler = StreamReassembler()
        var writer: DumpWriter
    }

    /// Decodes the capture to standard output; a capture cut short still prints what it
    /// held, then fails with the reason.
    func run() throws -> ExitStatus {
        var output = OutputBuffer()
        let reader: CaptureReader
        do {
            reader = try CaptureReader(path: path)
        } catch {
            throw Failure(error.description, status: .badInput)
        }
        guard let link = PacketParser.LinkType(rawValue: reader.linkType) else {
            throw Failure("\(path): link type \(reader.linkType) is not one rct reads (Ethernet, Linux cooked, loopback, raw IP, USER0)",
                          status: .badInput)
        }
        var flows: [Key: Flow] = [:]
        var order: [Key] = []
        var failure: Failure?
        var time = ""
        let encoder = JSONLine()
        var frames = FrameLineWriter()
        // Every line says when, who and which way.
        func located<Record: Encodable>(_ record: Record, _ key: Key) -> LocatedRecord<Record> {
            LocatedRecord(time: .captured(time), connection: key.connection, direction: key.direction.name, record: record)
        }
        func startLine(of key: Key) {
            output.text.append(time)
            output.text.append("  ")
            output.text.append(key.connection)
            output.text.append("  ")
            output.text.append(key.direction.word)
            output.text.append("  ")
        }
        func write(_ line: DumpLine, of key: Key) {
            guard !summary else { return }
            if json {
                output.line(encoder.text(located(line.record, key)))
            } else {
                startLine(of: key)
                line.write(to: &output.text, frames: &frames)
                output.endLine()
            }
        }
        func writeLines(of key: Key) {
            // By position: the key, with its connection's text, is hashed once, not per line.
            guard let flow = flows.index(forKey: key) else { return }
            while let line = flows.values[flow].writer.nextLine() { write(line, of: key) }
        }
        func deliver(_ pieces: [StreamReassembler.Piece], to key: Key) {
            for piece in pieces {
                switch piece {
                case let .bytes(bytes):
                    flows[key]?.writer.feed(bytes)
                    writeLines(of: key)
                case let .missing(count):
                    // What was held before the gap is given up on first, then the gap is reported.
                    for line in flows[key]?.writer.gap(missing: count) ?? [] { write(line, of: key) }
                    guard !summary else { continue }
                    if json {
                        output.line(encoder.text(located(MissingRecord(count: count), key)))
                    } else {
                        startLine(of: key)
                        output.line("\(count) byte\(count == 1 ? "" : "s") missing from the capture; decoding starts afresh after them")
                    }
                }
            }
        }
        while true {
            let packet: CapturedPacket
            do {
                guard let next = try reader.next() else { break }
                packet = next
            } catch {
                failure = Failure(error.description, status: .badInput)
                break
            }
            time = Self.time(packet)
            let key: Key, sequence: UInt32?, isSYN: Bool, payload: [UInt8]
            if link == .user0 {
                guard let first = packet.bytes.first, let direction = Direction(rawValue: first) else { continue }
                key = Key(connection: "trace", direction: direction)
                (sequence, isSYN, payload) = (nil, false, Array(packet.bytes.dropFirst()))
            } else {
                guard let segment = PacketParser.segment(in: packet.bytes, link: link) else { continue }
                if segment.destination.port == port {
                    key = Key(connection: segment.source.description, direction: .toInverter)
                } else if segment.source.port == port {
                    key = Key(connection: segment.destination.description, direction: .fromInverter)
                } else {
                    continue
                }
                (sequence, isSYN, payload) = (segment.sequence, segment.isSYN, segment.payload)
            }
            if flows[key] == nil {
                flows[key] = Flow(writer: DumpWriter(json: json, formatsLines: !summary))
                order.append(key)
            }
            if let sequence {
                let pieces = flows[key]?.reassembler.add(sequence: sequence, isSYN: isSYN, payload: payload) ?? []
                deliver(pieces, to: key)
            } else {
                deliver([.bytes(payload)], to: key)
            }
        }
        for key in order {
            deliver(flows[key]?.reassembler.finish() ?? [], to: key)
            flows[key]?.writer.finish()
            writeLines(of: key)
        }
        if summary { printSummary(order.compactMap { key in flows[key].map { (key, $0.writer) } }, into: &output) }
        output.flush()
        if let failure { throw failure }
        if order.isEmpty {
            throw Failure("\(path) holds no TCP traffic to or from port \(port) (give another with --port) and no rct serial trace",
                          status: .badInput)
        }
        return .success
    }

    private func printSummary(_ flows: [(Key, DumpWriter)], into output: inout OutputBuffer) {
        if json {
            output.line(JSONLine().text(flows.map { key, writer in
                FlowSummaryRecord(connection: key.connection, direction: key.direction.name, frames: writer.frames,
                                  crcErrors: writer.crcErrors, skippedBytes: writer.skippedBytes,
                                  missingBytes: writer.missingBytes, bytes: writer.bytes)
            }))
            return
        }
        for (key, writer) in flows {
            output.line("\(key.connection)  \(key.direction.word)  \(writer.summaryText), \(writer.missingBytes) bytes missing")
        }
    }

    /// A capture time as `YYYY-MM-DDTHH:MM:SS.uuuuuuZ`.
    static func time(_ packet: CapturedPacket) -> String {
        TextBuffer.string(capacity: 28) { $0.appendTimestamp(packet.seconds, microseconds: packet.microseconds) }
    }
}

extension CaptureWriter.Direction {
    /// The direction as JSON names it: `to_inverter` or `from_inverter`.
    var name: String { self == .toInverter ? "to_inverter" : "from_inverter" }

    /// The direction in a text line, four characters wide: `to  ` or `from`.
    var word: String { self == .toInverter ? "to  " : "from" }
}
