import RCTProtocol

/// A frame of a dump as JSON (Documentation/CommandLine.md, `rct decode --json`).
struct FrameRecord: Encodable {
    let offset: Int
    let command: String
    let id: String
    let name: OrNull<String>
    /// Always true: a frame whose checksum fails is an event, not a frame.
    let crcOK = true
    let value: OrNull<ValueJSON>
    /// `fraction` for a value from 0 to 1 that text shows as a percentage.
    let scale: String?
    /// The plant address of a plant command.
    let address: UInt32?
    /// Why the payload does not decode as the registry's type.
    let error: String?
    /// LEN as it should have been: what follows the LEN field up to the checksum.
    let length: Int
    /// LEN as the frame said it, where it said something else.
    let declaredLength: Int?
    /// The bytes as they were on the wire, in hex, where known.
    let raw: OrNull<String>

    private enum CodingKeys: String, CodingKey {
        case offset, command, id, name, crcOK = "crc_ok", value, scale, address, error, length
        case declaredLength = "declared_length", raw
    }
}

/// A decoder diagnostic of a dump as JSON: skipped noise, a cut-off or cut-short frame, a
/// failed checksum, an oversize LEN, an EXTENSION frame, a BOOTLOADER signature.
struct EventRecord: Encodable {
    let offset: Int
    let event: String
    /// False for a checksum mismatch, absent otherwise.
    let crcOK: Bool?
    let count: Int?
    let command: String?
    let length: Int?
    let declaredLength: Int?
    let raw: String?

    private enum CodingKeys: String, CodingKey {
        case offset, event, crcOK = "crc_ok", count, command, length, declaredLength = "declared_length", raw
    }

    init(_ event: DecoderEvent, raw: [UInt8]?) {
        offset = event.offset
        var (crcOK, count, command, length, declared): (Bool?, Int?, String?, Int?, Int?) = (nil, nil, nil, nil, nil)
        switch event {
        case let .skipped(_, skipped): (self.event, count) = ("skipped", skipped)
        case let .interrupted(_, dropped): (self.event, count) = ("interrupted", dropped)
        case let .incomplete(_, dropped): (self.event, count) = ("incomplete", dropped)
        case let .crcMismatch(_, wireLength, kind): (self.event, crcOK, command, length) = ("crc_mismatch", false, kind.description, wireLength)
        case let .oversize(_, declaredLength): (self.event, declared) = ("oversize", declaredLength)
        case .extensionFrame: self.event = "extension"
        case .bootloader: self.event = "bootloader"
        }
        (self.crcOK, self.count, self.command, self.length, self.declaredLength) = (crcOK, count, command, length, declared)
        self.raw = raw.map { HexText.format($0, separator: "") }
    }
}

/// A frame or an event: one line of a dump.
enum DumpRecord: Encodable {
    case frame(FrameRecord)
    case event(EventRecord)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case let .frame(record): try record.encode(to: encoder)
        case let .event(record): try record.encode(to: encoder)
        }
    }
}

/// Bytes a capture lost, after which decoding starts afresh.
struct MissingRecord: Encodable {
    let event = "missing"
    let count: Int
}

/// A dump line with when it was seen and, in a capture, on which connection and which way.
struct LocatedRecord<Record: Encodable>: Encodable {
    /// When: a capture's timestamp, or seconds since a monitor started.
    enum Time: Encodable {
        case captured(String)
        case elapsed(Double)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case let .captured(text): try container.encode(text)
            case let .elapsed(seconds): try container.encode(seconds)
            }
        }
    }

    let time: Time
    var connection: String?
    var direction: String?
    let record: Record

    private enum CodingKeys: String, CodingKey {
        case time, connection, direction
    }

    /// The record's members and these, in one object.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(time, forKey: .time)
        try container.encodeIfPresent(connection, forKey: .connection)
        try container.encodeIfPresent(direction, forKey: .direction)
        try record.encode(to: encoder)
    }
}

/// The totals of a stream (`decode --summary --json`).
struct SummaryRecord: Encodable {
    let frames: Int
    let crcErrors: Int
    let skippedBytes: Int
    let bytes: Int

    private enum CodingKeys: String, CodingKey {
        case frames, crcErrors = "crc_errors", skippedBytes = "skipped_bytes", bytes
    }
}

/// The totals of one direction of one connection of a capture (`decode --summary --json`).
struct FlowSummaryRecord: Encodable {
    let connection: String
    let direction: String
    let frames: Int
    let crcErrors: Int
    let skippedBytes: Int
    let missingBytes: Int
    let bytes: Int

    private enum CodingKeys: String, CodingKey {
        case connection, direction, frames, crcErrors = "crc_errors", skippedBytes = "skipped_bytes"
        case missingBytes = "missing_bytes", bytes
    }
}
