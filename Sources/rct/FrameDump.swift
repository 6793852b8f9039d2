import RCTProtocol

/// One line of a frame dump, before it is written: the shared format of decode, monitor and
/// --trace. It is written in the form asked for only, text straight into the output buffer
/// (a dump can be millions of lines) or a JSON record.
struct DumpLine {
    /// What the decoder put out.
    let output: DecoderOutput
    /// The bytes as they were on the wire, if known (JSON only).
    let raw: [UInt8]?
    /// The registry's object of a frame.
    let object: ObjectInfo?

    /// The line for `output`, with the frame's object looked up in `objects`.
    init(output: DecoderOutput, raw: [UInt8]?, objects: inout LocalRegistry) {
        self.output = output
        self.raw = raw
        if case let .frame(decoded) = output {
            object = objects.object(id: decoded.frame.objectID)
        } else {
            object = nil
        }
    }

    /// The line as text.
    var text: String {
        var frames = FrameLineWriter()
        return text(frames: &frames)
    }

    /// The line as text, a frame through `frames`, which keeps what frames of its kind share.
    func text(frames: inout FrameLineWriter) -> String {
        TextBuffer.string(capacity: 160) { write(to: &$0, frames: &frames) }
    }

    /// Writes the line as text, without the line end; a frame through `frames`, which keeps
    /// what frames of its kind share.
    func write(to text: inout TextBuffer, frames: inout FrameLineWriter) {
        switch output {
        case let .frame(decoded): frames.write(decoded, object: object, to: &text)
        case let .event(event):
            text.appendHex(UInt64(event.offset), digits: 8)
            text.append("  ")
            text.append(FrameDump.detail(of: event))
        }
    }

    /// `lines` as text or JSON, each ended, written into `text`: a share of a dump that can be
    /// made on any thread.
    static func text(of lines: [DumpLine], json: Bool, into text: consuming TextBuffer) -> TextBuffer {
        var format = DumpLineFormat(json: json)
        for line in lines { format.append(line, to: &text) }
        return text
    }

    /// The line as its JSON record.
    var record: DumpRecord {
        switch output {
        case let .frame(decoded): .frame(FrameDump.record(of: decoded, object: object, raw: raw))
        case let .event(event): .event(EventRecord(event, raw: raw))
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

    /// The frame's value, decoded as the registry lays out its payload; nil when it has none.
    @inline(__always)
    static func value(of frame: Frame, object: ObjectInfo?) throws(ValueDecodingError) -> Value? {
        guard !frame.payload.isEmpty else { return nil }
        let type = frame.command.isResponse ? (object?.responseType ?? .unknown) : (object?.requestType ?? .unknown)
        return try ValueCodec.decode(frame.payload, as: type)
    }

    /// The frame as its JSON record.
    static func record(of decoded: DecodedFrame, object: ObjectInfo?, raw: [UInt8]?) -> FrameRecord {
        let frame = decoded.frame
        var value: Value?
        var problem: String?
        do {
            value = try Self.value(of: frame, object: object)
        } catch {
            problem = error.description
        }
        return FrameRecord(offset: decoded.offset, command: frame.command.description, id: frame.objectID.description,
                           name: OrNull(object?.name), value: OrNull(value.map(ValueJSON.init)),
                           scale: object?.isFraction == true ? "fraction" : nil,
                           address: frame.command.isPlant ? frame.address : nil, error: problem, length: frame.length,
                           declaredLength: decoded.declaredLength, raw: OrNull(raw.map { HexText.format($0, separator: "") }))
    }

    /// Seconds with millisecond precision, e.g. `12.034`.
    static func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        let fraction = "\(millis % 1000)"
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
