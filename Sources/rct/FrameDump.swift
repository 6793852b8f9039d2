import RCTProtocol

/// One line of a frame dump, before it is written: the shared format of decode, monitor and
/// --trace. It is written in the form asked for only, text straight into the output buffer
/// (a dump can be millions of lines) or the members of a JSON object.
struct DumpLine {
    /// What the decoder put out.
    let output: DecoderOutput
    /// The bytes as they were on the wire, if known (JSON only).
    let raw: [UInt8]?
    /// The registry's object of a frame.
    let object: ObjectInfo?

    /// The line for `output`, with the frame's object looked up in `registry`.
    init(output: DecoderOutput, raw: [UInt8]?, registry: Registry) {
        self.output = output
        self.raw = raw
        if case let .frame(decoded) = output {
            object = registry.object(id: decoded.frame.objectID)
        } else {
            object = nil
        }
    }

    /// The line as text.
    var text: String {
        TextBuffer.string(capacity: 160) { write(to: &$0) }
    }

    /// Writes the line as text, without the line end.
    func write(to text: inout TextBuffer) {
        switch output {
        case let .frame(decoded): FrameDump.write(decoded, object: object, to: &text)
        case let .event(event):
            text.appendHex(UInt64(event.offset), digits: 8)
            text.append("  ")
            text.append(FrameDump.detail(of: event))
        }
    }

    /// The line as the members of a JSON object.
    var jsonMembers: [(String, JSON)] {
        switch output {
        case let .frame(decoded): FrameDump.members(of: decoded, object: object, raw: raw)
        case let .event(event): FrameDump.members(of: event, raw: raw)
        }
    }
}

/// Formats frames and decoder diagnostics.
enum FrameDump {
    /// What an event means, in words.
    static func detail(of event: DecoderEvent) -> String {
        switch event {
        case let .skipped(_, count): "skipped \(count) byte\(count == 1 ? "" : "s") of noise"
        case let .interrupted(_, count): "frame cut off by a new start byte (\(count) bytes dropped)"
        case let .incomplete(_, count): "stream ends inside a frame (\(count) bytes dropped)"
        case let .crcMismatch(_, length, command): "CRC mismatch in a \(command) frame of \(length) bytes"
        case let .oversize(_, declared): "frame declares LEN \(declared), above the maximum; skipped its start byte"
        case .extensionFrame: "EXTENSION frame (vendor app connect)"
        case .bootloader: "BOOTLOADER signature 50 F7 05 AB: the device is stuck after a failed update"
        }
    }

    static func members(of event: DecoderEvent, raw: [UInt8]?) -> [(String, JSON)] {
        let (kind, extra): (String, [(String, JSON)]) = switch event {
        case let .skipped(_, count): ("skipped", [("count", .int(count))])
        case let .interrupted(_, count): ("interrupted", [("count", .int(count))])
        case let .incomplete(_, count): ("incomplete", [("count", .int(count))])
        case let .crcMismatch(_, length, command): ("crc_mismatch", [("command", .string(command.description)), ("length", .int(length))])
        case let .oversize(_, declared): ("oversize", [("declared_length", .int(declared))])
        case .extensionFrame: ("extension", [])
        case .bootloader: ("bootloader", [])
        }
        var members: [(String, JSON)] = [("offset", .int(event.offset)), ("event", .string(kind))]
        if case .crcMismatch = event { members.append(("crc_ok", .bool(false))) }
        members += extra
        if let raw { members.append(("raw", .string(HexText.format(raw, separator: "")))) }
        return members
    }

    /// How the frame's payload is laid out, by the registry.
    private static func payloadType(of frame: Frame, object: ObjectInfo?) -> DataType {
        frame.command.isResponse ? (object?.responseType ?? .unknown) : (object?.requestType ?? .unknown)
    }

    static func members(of decoded: DecodedFrame, object: ObjectInfo?, raw: [UInt8]?) -> [(String, JSON)] {
        let frame = decoded.frame
        let value = frame.payload.isEmpty ? nil : Result { () throws(ValueDecodingError) in
            try ValueCodec.decode(frame.payload, as: payloadType(of: frame, object: object))
        }
        var members: [(String, JSON)] = [
            ("offset", .int(decoded.offset)), ("command", .string(frame.command.description)),
            ("id", .string(frame.objectID.description)), ("name", object.map { .string($0.name) } ?? .null),
            ("crc_ok", .bool(true)), ("value", (try? value?.get()).map(JSONValue.of) ?? .null),
        ]
        if object?.isFraction == true { members.append(("scale", .string("fraction"))) }
        if frame.command.isPlant { members.append(("address", .int(frame.address))) }
        if case let .failure(problem) = value { members.append(("error", .string(problem.description))) }
        // LEN as it should have been: what follows the LEN field up to the checksum.
        members.append(("length", .int(frame.length)))
        if let declared = decoded.declaredLength { members.append(("declared_length", .int(declared))) }
        members.append(("raw", raw.map { .string(HexText.format($0, separator: "")) } ?? .null))
        return members
    }

    static func write(_ decoded: DecodedFrame, object: ObjectInfo?, to text: inout TextBuffer) {
        let frame = decoded.frame
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
        if !frame.payload.isEmpty {
            do {
                let value = try ValueCodec.decode(frame.payload, as: payloadType(of: frame, object: object))
                text.append(" = ")
                OutputText.append(value, of: object, to: &text)
            } catch {
                text.append(" [")
                text.appendHex(frame.payload.bytes)
                text.append("] (")
                error.write(to: &text)
                text.append(ascii: UInt8(ascii: ")"))
            }
        }
        text.append("  crc ok")
        if let declared = decoded.declaredLength {
            text.append(" (LEN said ")
            text.appendDecimal(Int64(declared))
            text.append(", actual ")
            text.appendDecimal(Int64(frame.length))
            text.append(ascii: UInt8(ascii: ")"))
        }
    }

    /// Seconds with millisecond precision, e.g. `12.034`.
    static func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        let fraction = "\(millis % 1000)"
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
