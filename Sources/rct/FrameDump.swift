import RCTProtocol

/// One line of a frame dump, as text or as the members of its JSON object: the shared format
/// of decode, monitor and --trace. Only the form asked for is made.
enum DumpLine {
    case text(String)
    case json([(String, JSON)])

    /// The line as written: the text, or the JSON object.
    var rendered: String {
        switch self {
        case let .text(text): text
        case let .json(members): JSON.object(members).text
        }
    }
}

/// Formats frames and decoder diagnostics.
enum FrameDump {
    static let registry = Registry.standard

    /// The line for one decoder output, as JSON or as text; `raw` is the frame's bytes as they
    /// were on the wire, if known (JSON only).
    static func describe(_ output: DecoderOutput, raw: [UInt8]?, json: Bool) -> DumpLine {
        switch output {
        case let .frame(decoded):
            return describe(decoded, raw: raw, json: json)
        case let .event(event):
            let (kind, detail, extra): (String, String, [(String, JSON)]) = switch event {
            case let .skipped(_, count): ("skipped", "skipped \(count) byte\(count == 1 ? "" : "s") of noise", [("count", .int(count))])
            case let .interrupted(_, count): ("interrupted", "frame cut off by a new start byte (\(count) bytes dropped)", [("count", .int(count))])
            case let .incomplete(_, count): ("incomplete", "stream ends inside a frame (\(count) bytes dropped)", [("count", .int(count))])
            case let .crcMismatch(_, length, command): ("crc_mismatch", "CRC mismatch in a \(command) frame of \(length) bytes", [("command", .string(command.description)), ("length", .int(length))])
            case let .oversize(_, declared): ("oversize", "frame declares LEN \(declared), above the maximum; skipped its start byte", [("declared_length", .int(declared))])
            case .extensionFrame: ("extension", "EXTENSION frame (vendor app connect)", [])
            case .bootloader: ("bootloader", "BOOTLOADER signature 50 F7 05 AB: the device is stuck after a failed update", [])
            }
            guard json else { return .text("\(offset(event.offset))  \(detail)") }
            var members: [(String, JSON)] = [("offset", .int(event.offset)), ("event", .string(kind))]
            if case .crcMismatch = event { members.append(("crc_ok", .bool(false))) }
            members += extra
            if let raw { members.append(("raw", .string(HexText.format(raw, separator: "")))) }
            return .json(members)
        }
    }

    private static func describe(_ decoded: DecodedFrame, raw: [UInt8]?, json: Bool) -> DumpLine {
        let frame = decoded.frame
        let object = registry.object(id: frame.objectID)
        var decodedValue: Value?
        var problem: String?
        if !frame.payload.isEmpty {
            let type = frame.command.isResponse ? (object?.responseType ?? .unknown) : (object?.requestType ?? .unknown)
            do {
                decodedValue = try ValueCodec.decode(frame.payload, as: type)
            } catch {
                problem = error.description
            }
        }
        if json {
            var members: [(String, JSON)] = [
                ("offset", .int(decoded.offset)), ("command", .string(frame.command.description)),
                ("id", .string(frame.objectID.description)), ("name", object.map { .string($0.name) } ?? .null),
                ("crc_ok", .bool(true)), ("value", decodedValue.map(JSONValue.of) ?? .null),
            ]
            if object?.isFraction == true { members.append(("scale", .string("fraction"))) }
            if frame.command.isPlant { members.append(("address", .int(frame.address))) }
            if let problem { members.append(("error", .string(problem))) }
            // LEN as it should have been: what follows the LEN field up to the checksum.
            members.append(("length", .int(frame.length)))
            if let declared = decoded.declaredLength { members.append(("declared_length", .int(declared))) }
            members.append(("raw", raw.map { .string(HexText.format($0, separator: "")) } ?? .null))
            return .json(members)
        }
        var text = TextBuffer(capacity: 160)
        text.appendHex(UInt64(decoded.offset), digits: 8)
        text.append("  ")
        text.append(frame.command.description, paddedTo: 13)
        text.append(" 0x")
        text.appendHex(UInt64(frame.objectID.rawValue), digits: 8)
        if frame.command.isPlant {
            text.append(" @")
            text.appendDecimal(Int64(frame.address))
        }
        text.append(ascii: UInt8(ascii: " "))
        text.append(object?.name ?? "(unknown object)")
        if let decodedValue {
            text.append(" = ")
            OutputText.append(decodedValue, of: object, to: &text)
        } else if let problem {
            text.append(" [\(HexText.format(frame.payload))] (\(problem))")
        }
        text.append("  crc ok")
        if let declared = decoded.declaredLength { text.append(" (LEN said \(declared), actual \(frame.length))") }
        return .text(text.string)
    }

    /// A stream offset as eight hex digits.
    static func offset(_ value: Int) -> String {
        HexText.number(value, digits: 8)
    }

    /// Seconds with millisecond precision, e.g. `12.034`.
    static func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        let fraction = "\(millis % 1000)"
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
