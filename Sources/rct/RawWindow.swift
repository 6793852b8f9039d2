import RCTProtocol

/// The recent bytes of a stream, so a dump can show each frame's raw bytes in constant memory.
struct RawWindow {
    private var bytes: [UInt8] = []
    private var base = 0

    /// Adds the next chunk of the stream.
    mutating func append(_ chunk: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: chunk)
    }

    /// The bytes at stream `offset`, if still held.
    func slice(offset: Int, count: Int) -> [UInt8]? {
        let start = offset - base
        guard start >= 0, count >= 0, start + count <= bytes.count else { return nil }
        return Array(bytes[start..<(start + count)])
    }

    /// Drops everything and goes on at stream `offset` (after a gap).
    mutating func restart(at offset: Int) {
        bytes.removeAll(keepingCapacity: true)
        base = offset
    }

    /// Drops everything before stream `offset`.
    mutating func discard(before offset: Int) {
        let drop = min(bytes.count, offset - base)
        guard drop > 0 else { return }
        bytes.removeFirst(drop)
        base += drop
    }
}

/// Feeds a decoder and hands out what it finds as dump lines, one at a time like the decoder
/// itself (``nextLine()``): shared by decode and monitor.
struct DumpWriter {
    let json: Bool
    /// Whether lines are formatted at all (not for --summary, which only counts).
    let formatsLines: Bool
    private var decoder = FrameDecoder()
    /// The registry's objects, this writer's own copies: reaching the shared registry each
    /// time costs a check of its initialisation per frame, and counting references to objects
    /// shared with other threads' writers costs more (``LocalRegistry``).
    private var objects = LocalRegistry(.standard)
    private var window = RawWindow()
    private(set) var frames = 0
    private(set) var crcErrors = 0
    private(set) var skippedBytes = 0
    private(set) var sawBootloader = false
    private(set) var missingBytes = 0

    /// A writer for a stream, or for the part of it from stream offset `offset` on (decoded
    /// on its own, see ``PartedDecode``).
    init(json: Bool, formatsLines: Bool = true, startingAt offset: Int = 0) {
        self.json = json
        self.formatsLines = formatsLines
        decoder = FrameDecoder(startingAt: offset)
        window.restart(at: offset)
    }

    /// How many bytes of the stream were fed, counted from its start.
    var bytes: Int { decoder.streamLength }

    /// The decoder's checkpoint: two writers of one stream with equal checkpoints, fed alike,
    /// give the same lines from there on (``FrameDecoder/Checkpoint``). The raw bytes kept for
    /// JSON lines agree as well: the lines after a checkpoint need none from before it.
    var checkpoint: FrameDecoder.Checkpoint? { decoder.checkpoint }

    /// Takes the next chunk of the stream; its lines come from ``nextLine()``.
    mutating func feed(_ chunk: [UInt8]) {
        chunk.withUnsafeBufferPointer { feed($0) }
    }

    /// Takes the next chunk of the stream; its lines come from ``nextLine()``. Without lines
    /// to format (the summary) the raw bytes are not kept at all.
    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) {
        decoder.append(chunk)
        // The raw bytes appear in JSON lines only.
        if formatsLines && json { window.append(chunk) }
    }

    /// Whether the decoder holds bytes of a frame that has not ended yet.
    var isInsideFrame: Bool { decoder.bufferedByteCount > 0 }

    /// After a silence on a live link: a long frame may be closed at what has arrived, if its
    /// checksum holds there (its LEN may promise bytes that never come). Drain ``nextLine()``.
    mutating func lineWentQuiet() {
        decoder.lineWentQuiet()
    }

    /// A gap of `missing` bytes (a capture lost them): what is held is given up on as at the
    /// end of a stream, and its lines are returned; decoding then goes on after the gap.
    mutating func gap(missing: Int) -> [DumpLine] {
        decoder.finish()
        var lines: [DumpLine] = []
        while let line = nextLine() { lines.append(line) }
        decoder.resume(afterMissing: missing)
        window.restart(at: decoder.streamLength)
        missingBytes += missing
        return lines
    }

    /// Ends the stream: what is held becomes lines. Drain ``nextLine()``.
    mutating func finish() {
        decoder.finish()
    }

    /// The next dump line, or nil when the bytes fed so far are used up. For the summary
    /// there are no lines: the frames are only counted.
    mutating func nextLine() -> DumpLine? {
        guard formatsLines else {
            count()
            return nil
        }
        guard let output = decoder.next() else {
            if json { window.discard(before: decoder.streamLength - decoder.bufferedByteCount) }
            return nil
        }
        var raw: [UInt8]?
        switch output {
        case let .frame(decoded):
            frames += 1
            if json { raw = window.slice(offset: decoded.offset, count: decoded.wireLength) }
        case let .event(event):
            tally(event)
            switch event {
            case let .skipped(offset, count), let .interrupted(offset, count), let .incomplete(offset, count):
                raw = json && count <= 64 ? window.slice(offset: offset, count: count) : nil
            default: break
            }
        }
        return DumpLine(output: output, raw: raw, objects: &objects)
    }

    /// Counts without formatting (the summary): frames are skimmed in runs, not copied out.
    private mutating func count() {
        while let output = decoder.nextSkimming() {
            switch output {
            case let .frames(count): frames += count
            case let .event(event): tally(event)
            }
        }
    }

    private mutating func tally(_ event: DecoderEvent) {
        switch event {
        case let .skipped(_, count), let .interrupted(_, count), let .incomplete(_, count): skippedBytes += count
        case .crcMismatch: crcErrors += 1
        case .bootloader: sawBootloader = true
        case .oversize, .extensionFrame: break
        }
    }

    /// The totals line, as text.
    var summaryText: String {
        "\(frames) frames, \(crcErrors) CRC errors, \(skippedBytes) skipped bytes, \(bytes) bytes"
    }

    /// The totals line, in the form of the other lines.
    var summary: String {
        guard json else { return summaryText }
        return JSONLine().text(SummaryRecord(frames: frames, crcErrors: crcErrors, skippedBytes: skippedBytes, bytes: bytes))
    }
}
