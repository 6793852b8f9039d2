/// Turns a byte stream, fed in chunks of any size, into frames and diagnostics.
///
/// The decoder does no I/O: feed it with ``append(_:)``, then call ``next()`` until it
/// answers nil ("need more data"). At the end of a finite stream call ``finish()`` and
/// drain ``next()`` once more.
///
/// It resynchronises on its own: an unescaped start byte inside a frame starts a new
/// frame; after a checksum failure it scans on from the byte after the failed frame's
/// start byte, so an intact frame behind garbage is never lost.
///
/// Long frames whose LEN field is wrong (as some firmware sends them) are recovered by
/// their checksum: when the CRC at the declared end fails, or a start byte arrives inside
/// the declared length, the end is tried right before the next start byte, before the
/// 0x00s in front of it, and at the boundaries just before those (see ``WrongLengthRecovery``).
/// On a live link the last frame of an answer has no next start byte: call
/// ``lineWentQuiet()`` after a short silence to try closing it at what has arrived.
///
/// Memory is bounded: apart from the bytes of the last chunk fed, it holds at most one
/// unfinished frame of at most ``maximumLength`` bytes (twice that with escapes).
public struct FrameDecoder: Sendable {
    /// The default largest LEN accepted. Real long responses stay well below it.
    public static let defaultMaximumLength = 8192

    /// The largest LEN field accepted; a frame that declares more is reported as oversize.
    public let maximumLength: Int

    private var buffer: [UInt8] = []
    /// The checksum table, held here so the hot loop does not go through the lazy global each frame.
    private let crcTable = CRC16.table
    private var start = 0
    private var bufferOffset = 0
    private var pendingSkip: (offset: Int, count: Int)?
    private var pendingBootloader: Int?
    private var bootloaderMatched = 0
    private var finished = false
    private var quiet = false

    /// A decoder at the start of a stream, or at stream offset `offset` of it: the first byte
    /// fed is taken to stand there, so offsets stay positions in the whole stream when a part
    /// of it is decoded on its own (see ``checkpoint``).
    public init(maximumLength: Int = FrameDecoder.defaultMaximumLength, startingAt offset: Int = 0) {
        self.maximumLength = max(8, min(maximumLength, Int(UInt16.max)))
        bufferOffset = max(0, offset)
    }

    /// Everything apart from the stream's bytes that decides what a decoder does next.
    ///
    /// Two decoders of the same stream that show equal checkpoints, and are fed the same chunks
    /// from there on, give the same outputs from there on. That lets a long stream be decoded
    /// in parts on several threads: a decoder started at a part's first byte, knowing nothing
    /// of what came before, gives the whole-stream decoder's outputs from the first checkpoint
    /// the two share (Documentation/Performance.md, "Decoding on every core").
    public struct Checkpoint: Hashable, Sendable {
        /// Stream offset of the first byte not decoded yet.
        let position: Int
        /// How many bytes of the stream had been fed.
        let streamLength: Int
        /// How much of the bootloader signature the last bytes passed over matched.
        let bootloaderMatched: Int
        /// Whether the stream was ended (``finish()``).
        let finished: Bool
        /// Whether the line went quiet since the last bytes (``lineWentQuiet()``).
        let quiet: Bool
    }

    /// Where the decoder stands, or nil while it holds a diagnostic back (a run of skipped
    /// bytes that may go on, a bootloader signature): such a state also depends on bytes
    /// already passed over, so it is not compared.
    public var checkpoint: Checkpoint? {
        guard pendingSkip == nil, pendingBootloader == nil else { return nil }
        return Checkpoint(position: bufferOffset + start, streamLength: streamLength,
                          bootloaderMatched: bootloaderMatched, finished: finished, quiet: quiet)
    }

    /// Bytes held that are not decoded yet.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Total bytes fed so far.
    public var streamLength: Int { bufferOffset + buffer.count }

    /// Feeds the next chunk of the stream.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compact()
        quiet = false
        buffer.append(contentsOf: bytes)
    }

    /// Feeds the next chunk of the stream (a block copy; the generic form goes byte by byte
    /// when called from another module).
    public mutating func append(_ bytes: [UInt8]) {
        compact()
        quiet = false
        buffer.append(contentsOf: bytes)
    }

    /// Feeds the next chunk of the stream, as a block copy.
    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        compact()
        quiet = false
        buffer.append(contentsOf: bytes)
    }

    /// Feeds the next chunk of the stream, as a block copy.
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        compact()
        quiet = false
        buffer.append(contentsOf: bytes)
    }

    /// Marks the end of the stream: whatever is left becomes frames or diagnostics.
    public mutating func finish() {
        finished = true
    }

    /// Goes on after a gap: `missing` bytes of the stream are lost (a capture did not have
    /// them). Call after ``finish()`` and draining ``next()``, so that what was held has
    /// been given up on as at the end of a stream. The decoder starts afresh; offsets count
    /// the missing bytes, so they stay positions in the whole stream.
    public mutating func resume(afterMissing missing: Int) {
        bufferOffset += buffer.count + max(0, missing)
        buffer.removeAll(keepingCapacity: true)
        start = 0
        finished = false
        quiet = false
        bootloaderMatched = 0
        pendingSkip = nil
        pendingBootloader = nil
    }

    /// Tells the decoder that the line has been silent for a while, so that a long frame in
    /// progress may be closed at what has arrived (its LEN may promise bytes that never
    /// come). Drain ``next()`` afterwards. Unlike ``finish()`` nothing is given up: a frame
    /// that does not check out at the end of the bytes so far is waited for as before.
    /// The next ``append(_:)`` ends the quiet spell.
    public mutating func lineWentQuiet() {
        quiet = true
    }

    /// The next frame or diagnostic, or nil when more data is needed.
    public mutating func next() -> DecoderOutput? {
        switch advance(materialising: true) {
        case let .output(output)?: output
        case let .span(offset, wireLength)?:
            // Not produced when materialising; kept total rather than trapping.
            .event(.skipped(offset: offset, count: wireLength))
        case nil: nil
        }
    }

    /// Like ``next()``, for callers that only count: frames come as the length of a run of
    /// consecutive frames, without being handed out one by one. Diagnostics are as from
    /// ``next()``, in the same order relative to the frames; where a run is cut (at a
    /// diagnostic, or where more data is needed) depends on the chunks fed.
    public mutating func nextSkimming() -> SkimmedOutput? {
        if pendingSkip == nil, pendingBootloader == nil {
            let count = skimRun()
            if count > 0 { return .frames(count: count) }
        }
        switch advance(materialising: false) {
        case .output(.frame)?, .span?: return .frames(count: 1)
        case let .output(.event(event))?: return .event(event)
        case nil: return nil
        }
    }

    /// Steps over the frames that follow one another from `start` and check out, in one tight
    /// loop; stops at anything else (noise, a diagnostic, a frame not complete yet), which
    /// ``advance(materialising:)`` then deals with. A lone 0x00 right before a start byte is
    /// stepped over, as ``noteSkipped(from:to:)`` would leave it unreported.
    private mutating func skimRun() -> Int {
        var count = 0
        var position = start
        crcTable.withUnsafeBufferPointer { table in
            buffer.withUnsafeBufferPointer { raw in
                while position < raw.count {
                    var frameStart = position
                    if raw[frameStart] == 0, frameStart + 1 < raw.count { frameStart += 1 }
                    guard raw[frameStart] == FrameByte.start,
                          case let .frameSpan(wireEnd) = parse(raw, at: frameStart, table: table, materialising: false)
                    else { break }
                    count += 1
                    position = wireEnd
                }
            }
        }
        start = position
        return count
    }

    private enum Advanced {
        case output(DecoderOutput)
        case span(offset: Int, wireLength: Int)
    }

    @inline(__always)
    private mutating func advance(materialising: Bool) -> Advanced? {
        while true {
            let end = buffer.count
            var found = start
            buffer.withUnsafeBufferPointer { raw in
                while found < end && raw[found] != FrameByte.start { found += 1 }
            }
            // A 0x00 at the very end may be the one some devices send before a start byte:
            // hold it back until the next chunk shows whether one follows.
            let skipEnd = found == end && found > start && !finished && buffer[end - 1] == 0 ? end - 1 : found
            if skipEnd > start {
                noteSkipped(from: start, to: skipEnd)
                start = skipEnd
            }
            if found == end {
                return flushPending(atEnd: true).map(Advanced.output)
            }
            let step = crcTable.withUnsafeBufferPointer { table in
                buffer.withUnsafeBufferPointer { raw in
                    parse(raw, at: found, table: table, materialising: materialising)
                }
            }
            if case .needMore = step { return flushPending(atEnd: true).map(Advanced.output) }
            if case .noise = step {
                noteSkipped(from: found, to: found + 1)
                start = found + 1
                continue
            }
            if let pending = flushPending() { return .output(pending) }
            let offset = bufferOffset + found
            switch step {
            case .needMore, .noise:
                continue
            case let .frame(frame, wireEnd, declared):
                start = wireEnd
                return .output(.frame(DecodedFrame(frame: frame, offset: offset, wireLength: wireEnd - found, declaredLength: declared)))
            case let .frameSpan(wireEnd):
                start = wireEnd
                return .span(offset: offset, wireLength: wireEnd - found)
            case let .extensionFrame(wireEnd):
                start = wireEnd
                return .output(.event(.extensionFrame(offset: offset)))
            case let .interrupted(at):
                // A start byte hidden behind an escape in the dropped bytes may begin an intact frame.
                start = nextStartByte(after: found, before: at)
                return .output(.event(.interrupted(offset: offset, count: start - found)))
            case .incomplete:
                start = nextStartByte(after: found, before: end)
                return .output(.event(.incomplete(offset: offset, count: start - found)))
            case let .crcMismatch(wireEnd, command):
                start = found + 1
                return .output(.event(.crcMismatch(offset: offset, wireLength: wireEnd - found, command: command)))
            case let .oversize(declared):
                start = found + 1
                return .output(.event(.oversize(offset: offset, declaredLength: declared)))
            }
        }
    }

    // MARK: - Parsing one frame

    private enum Step {
        case needMore
        case noise
        case frame(Frame, wireEnd: Int, declaredLength: Int?)
        /// A frame that checked out, not copied out (when skimming).
        case frameSpan(wireEnd: Int)
        case extensionFrame(wireEnd: Int)
        case interrupted(at: Int)
        case incomplete
        case crcMismatch(wireEnd: Int, command: Command)
        case oversize(declaredLength: Int)
    }

    /// Reads unescaped bytes; answers `needMore` at the end of the buffer and
    /// `startByte` (without moving) at an unescaped start byte.
    private struct Unescaper {
        static let needMore = -1
        static let startByte = -2
        let raw: UnsafeBufferPointer<UInt8>
        var index: Int

        @inline(__always)
        mutating func next() -> Int {
            guard index < raw.count else { return Self.needMore }
            let byte = raw[index]
            if byte == FrameByte.start { return Self.startByte }
            if byte == FrameByte.escape {
                guard index + 1 < raw.count else { return Self.needMore }
                index += 2
                return Int(raw[index - 1])
            }
            index += 1
            return Int(byte)
        }
    }

    private static let extensionCommand = 0x3C

    /// The frame, or what stands instead of one, at raw index `position` (a start byte).
    @inline(__always)
    private func parse(_ raw: UnsafeBufferPointer<UInt8>, at position: Int, table: UnsafeBufferPointer<UInt16>,
                       materialising: Bool) -> Step {
        parsePlain(raw, at: position, table: table, materialising: materialising)
            ?? parseByteByByte(raw, at: position, table: table, materialising: materialising)
    }

    /// The general path of ``parse(_:at:table:materialising:)``: reads the frame through its
    /// escapes, and deals with frames not complete yet, cut short, or with a wrong LEN.
    private func parseByteByByte(_ raw: UnsafeBufferPointer<UInt8>, at position: Int, table: UnsafeBufferPointer<UInt16>,
                                 materialising: Bool) -> Step {
        var reader = Unescaper(raw: raw, index: position + 1)
        let commandByte = reader.next()
        if commandByte == Unescaper.needMore { return finished ? .incomplete : .needMore }
        if commandByte == Unescaper.startByte { return .interrupted(at: reader.index) }
        guard let command = Command(rawValue: UInt8(commandByte)) else {
            guard commandByte == Self.extensionCommand else { return .noise }
            if reader.index < raw.count {
                return .extensionFrame(wireEnd: raw[reader.index] == FrameByte.start ? reader.index : reader.index + 1)
            }
            return finished ? .extensionFrame(wireEnd: reader.index) : .needMore
        }
        var crc = CRC16.update(0xFFFF, with: UInt8(commandByte), table: table)

        var length = 0
        for _ in 0..<(command.isLong ? 2 : 1) {
            let byte = reader.next()
            if byte < 0 { return fallback(byte, stoppedAt: reader.index, raw, at: position, command: command) }
            crc = CRC16.update(crc, with: UInt8(byte), table: table)
            length = length << 8 | byte
        }
        let headerLength = command.isPlant ? 8 : 4
        if length < headerLength {
            // A long frame's LEN may be wrong by any amount; other frames this short are noise.
            return command.isLong ? recoverAfterMismatch(raw, at: position, from: reader.index, command: command) : .noise
        }
        if length > maximumLength { return .oversize(declaredLength: length) }

        // The rest of the frame may still be plain when the command or LEN byte was escaped.
        let bodyStart = reader.index
        let bodyEnd = bodyStart + length + 2
        if bodyEnd <= raw.count, let dataCRC = Self.checksumIfPlain(raw, from: bodyStart, to: bodyEnd, crc: crc, table: table) {
            let received = UInt16(raw[bodyEnd - 2]) << 8 | UInt16(raw[bodyEnd - 1])
            return check(command, data: UnsafeBufferPointer(rebasing: raw[bodyStart..<(bodyEnd - 2)]), crc: dataCRC,
                         received: received, wireEnd: bodyEnd, in: raw, at: position, table: table, materialising: materialising)
        }

        // Slow path: escapes in the frame, or not all of it here yet. Unescape the data and
        // the checksum into scratch space, then check and slice the data as the fast path does.
        let headerCRC = crc
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length + 2) { scratch in
            let (outcome, stop) = Self.unescape(raw, from: bodyStart, into: scratch)
            if outcome < 0 { return fallback(outcome, stoppedAt: stop, raw, at: position, command: command) }
            let data = UnsafeBufferPointer(rebasing: scratch[..<length])
            return check(command, data: data, crc: CRC16.update(headerCRC, over: data, table: table),
                         received: UInt16(scratch[length]) << 8 | UInt16(scratch[length + 1]), wireEnd: stop,
                         in: raw, at: position, table: table, materialising: materialising)
        }
    }

    /// The fastest path, for most frames on a clean link: the whole frame is in the buffer
    /// and no byte after its start byte is a start or escape byte, so the checksum runs over
    /// one range of raw bytes and the data is sliced in place. Nil when that does not hold
    /// (or LEN is out of bounds), and ``parseByteByByte(_:at:table:materialising:)`` reads it.
    @inline(__always)
    private func parsePlain(_ raw: UnsafeBufferPointer<UInt8>, at position: Int, table: UnsafeBufferPointer<UInt16>,
                            materialising: Bool) -> Step? {
        guard position + 3 <= raw.count, let command = Command(rawValue: raw[position + 1]) else { return nil }
        let dataStart = position + (command.isLong ? 4 : 3)
        guard dataStart <= raw.count else { return nil }
        let length = command.isLong ? Int(raw[position + 2]) << 8 | Int(raw[position + 3]) : Int(raw[position + 2])
        let wireEnd = dataStart + length + 2
        guard length >= (command.isPlant ? 8 : 4), length <= maximumLength, wireEnd <= raw.count,
              let crc = Self.checksumIfPlain(raw, from: position + 1, to: wireEnd, crc: 0xFFFF, table: table)
        else { return nil }
        return check(command, data: UnsafeBufferPointer(rebasing: raw[dataStart..<(wireEnd - 2)]), crc: crc,
                     received: UInt16(raw[wireEnd - 2]) << 8 | UInt16(raw[wireEnd - 1]), wireEnd: wireEnd,
                     in: raw, at: position, table: table, materialising: materialising)
    }

    /// Unescapes raw bytes from `index` on until `output` is full. Answers 0 and the raw index
    /// after the last byte read, or ``Unescaper/needMore`` or ``Unescaper/startByte`` and the
    /// raw index where the bytes ran out or the start byte stands. Runs without a special
    /// byte are copied eight bytes at a time.
    @inline(__always)
    private static func unescape(_ raw: UnsafeBufferPointer<UInt8>, from index: Int,
                                 into output: UnsafeMutableBufferPointer<UInt8>) -> (outcome: Int, index: Int) {
        var index = index
        var written = 0
        let bytes = UnsafeRawBufferPointer(raw)
        let target = UnsafeMutableRawBufferPointer(output)
        while written < output.count {
            if written + 8 <= output.count, index + 8 <= raw.count {
                let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                if !containsStartOrEscape(word) {
                    target.storeBytes(of: word, toByteOffset: written, as: UInt64.self)
                    written += 8
                    index += 8
                    continue
                }
            }
            guard index < raw.count else { return (Unescaper.needMore, index) }
            var byte = raw[index]
            if byte == FrameByte.start { return (Unescaper.startByte, index) }
            if byte == FrameByte.escape {
                guard index + 1 < raw.count else { return (Unescaper.needMore, index) }
                index += 1
                byte = raw[index]
            }
            output[written] = byte
            written += 1
            index += 1
        }
        return (0, index)
    }

    /// What to do when the frame at raw index `position` cannot be read to its end as declared:
    /// the bytes ran out (`outcome` is ``Unescaper/needMore``), or a start byte came first at
    /// raw index `stop` (a long frame's LEN may be too large).
    private func fallback(_ outcome: Int, stoppedAt stop: Int, _ raw: UnsafeBufferPointer<UInt8>, at position: Int,
                          command: Command) -> Step {
        if outcome == Unescaper.needMore {
            if finished { return recoverLong(raw, at: position, before: raw.count, command: command, searchingNoise: true) ?? .incomplete }
            if quiet { return recoverLong(raw, at: position, before: raw.count, command: command, searchingNoise: false) ?? .needMore }
            return .needMore
        }
        return recoverLong(raw, at: position, before: stop, command: command, searchingNoise: true)
            ?? .interrupted(at: stop)
    }

    /// Ends a frame whose unescaped data (address, object id and payload) is `data` and whose
    /// checksum has run up to the end of the data: pads it, compares it with `received`, and
    /// gives the frame, or the mismatch, ending at raw index `wireEnd`.
    @inline(__always)
    private func check(_ command: Command, data: UnsafeBufferPointer<UInt8>, crc: UInt16, received: UInt16,
                       wireEnd: Int, in raw: UnsafeBufferPointer<UInt8>, at position: Int,
                       table: UnsafeBufferPointer<UInt16>, materialising: Bool) -> Step {
        var crc = crc
        if ((command.isLong ? 3 : 2) + data.count) & 1 == 1 {
            crc = CRC16.update(crc, with: 0, table: table)
        }
        guard crc == received else {
            return command.isLong ? recoverAfterMismatch(raw, at: position, from: wireEnd, command: command)
                : .crcMismatch(wireEnd: wireEnd, command: command)
        }
        guard materialising else { return .frameSpan(wireEnd: wireEnd) }
        return .frame(Self.frame(command, data: data), wireEnd: wireEnd, declaredLength: nil)
    }

    /// After a long frame failed its checksum at the end its LEN gave (raw index `end`; the
    /// LEN may be too small): tries the end before the next start byte, waiting for it if it
    /// has not arrived, or at what has arrived once the line is quiet or the stream ended.
    private func recoverAfterMismatch(_ raw: UnsafeBufferPointer<UInt8>, at position: Int, from end: Int, command: Command) -> Step {
        let mismatch = Step.crcMismatch(wireEnd: end, command: command)
        var scan = end
        while scan < raw.count && raw[scan] != FrameByte.start {
            scan += raw[scan] == FrameByte.escape ? 2 : 1
        }
        scan = min(scan, raw.count)
        if scan < raw.count || finished {
            return recoverLong(raw, at: position, before: scan, command: command, searchingNoise: true) ?? mismatch
        }
        if quiet, let frame = recoverLong(raw, at: position, before: scan, command: command, searchingNoise: false) {
            return frame
        }
        return scan - position <= 2 * maximumLength + 16 ? .needMore : mismatch
    }

    /// The checksum `crc` continued over the frame data in raw bytes `from..<to` (the last two
    /// are the received checksum), or nil if the range holds a start or escape byte. The bulk
    /// is tested and folded in one pass of eight bytes per step; the short rest goes through
    /// the general helpers.
    @inline(__always)
    private static func checksumIfPlain(_ raw: UnsafeBufferPointer<UInt8>, from: Int, to: Int, crc: UInt16,
                                        table: UnsafeBufferPointer<UInt16>) -> UInt16? {
        var crc = crc
        var index = from
        let bytes = UnsafeRawBufferPointer(raw)
        while index + 8 <= to - 2 {
            let word = bytes.bigEndianWord(at: index)
            if containsStartOrEscape(word) { return nil }
            crc = CRC16.update(crc, withEightBytes: word, table: table)
            index += 8
        }
        // The rest (at most seven data bytes and the two checksum bytes): one word test
        // overlapping what was tested already, and one byte if nine are left.
        if to - from >= 8 {
            if containsStartOrEscape(bytes.bigEndianWord(at: to - 8)) { return nil }
            if to - index > 8, raw[index] == FrameByte.start || raw[index] == FrameByte.escape { return nil }
        } else if containsStartOrEscape(raw, from: index, to: to) {
            return nil
        }
        return CRC16.update(crc, over: UnsafeBufferPointer(rebasing: raw[index..<(to - 2)]), table: table)
    }

    /// Whether raw bytes `from..<to` hold a start or escape byte.
    @inline(__always)
    private static func containsStartOrEscape(_ raw: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Bool {
        var index = from
        while index < to {
            if raw[index] == FrameByte.start || raw[index] == FrameByte.escape { return true }
            index += 1
        }
        return false
    }

    /// Whether any of the eight bytes of `word` is a start or escape byte.
    @inline(__always)
    private static func containsStartOrEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let starts = word ^ ones &* UInt64(FrameByte.start)
        let escapes = word ^ ones &* UInt64(FrameByte.escape)
        // A byte is zero exactly where the word matched: the classic has-zero-byte test.
        let zeroes = (starts &- ones) & ~starts | (escapes &- ones) & ~escapes
        return zeroes & (ones << 7) != 0
    }

    /// The frame whose unescaped data is `data`: address (plant frames), object id, payload.
    @inline(__always)
    private static func frame(_ command: Command, data: UnsafeBufferPointer<UInt8>) -> Frame {
        let headerLength = command.isPlant ? 8 : 4
        var header: UInt64 = 0
        for index in 0..<headerLength { header = header << 8 | UInt64(data[index]) }
        let payload = Payload(copying: UnsafeBufferPointer(rebasing: data[headerLength...]))
        return Frame(command: command, objectID: ObjectID(UInt32(truncatingIfNeeded: header)), payload: payload,
                     address: command.isPlant ? UInt32(truncatingIfNeeded: header >> 32) : 0)
    }

    /// A long frame starting at raw index `position` whose end, whatever its LEN said, is found
    /// by its checksum at or before raw index `boundary`; nil for other commands or when no
    /// end checks out.
    private func recoverLong(_ raw: UnsafeBufferPointer<UInt8>, at position: Int, before boundary: Int, command: Command,
                             searchingNoise: Bool) -> Step? {
        guard command.isLong,
              let found = WrongLengthRecovery.find(in: raw, frameAt: position, boundary: boundary,
                                                   headerLength: command.isPlant ? 8 : 4, maximumLength: maximumLength,
                                                   searchingNoise: searchingNoise) else { return nil }
        let body = found.body
        let declared = Int(body[1]) << 8 | Int(body[2])
        let frame = body.withUnsafeBufferPointer { Self.frame(command, data: UnsafeBufferPointer(rebasing: $0[3...])) }
        return .frame(frame, wireEnd: found.wireEnd, declaredLength: declared == body.count - 3 ? nil : declared)
    }

    // MARK: - Bookkeeping

    /// The first start byte in the raw bytes after `position`, or `limit` if there is none.
    private func nextStartByte(after position: Int, before limit: Int) -> Int {
        var index = position + 1
        while index < limit && buffer[index] != FrameByte.start { index += 1 }
        return index
    }

    private static let skipReportThreshold = 256

    private static let bootloaderSignature: [UInt8] = [0x50, 0xF7, 0x05, 0xAB]

    private mutating func noteSkipped(from lower: Int, to upper: Int) {
        // A lone 00 right before a start byte is a known device habit, not noise.
        if pendingSkip == nil, upper - lower == 1, buffer[lower] == 0, upper < buffer.count,
           buffer[upper] == FrameByte.start {
            return
        }
        for index in lower..<upper {
            let byte = buffer[index]
            if byte == Self.bootloaderSignature[bootloaderMatched] {
                bootloaderMatched += 1
            } else {
                bootloaderMatched = byte == Self.bootloaderSignature[0] ? 1 : 0
            }
            if bootloaderMatched == Self.bootloaderSignature.count {
                bootloaderMatched = 0
                pendingBootloader = pendingBootloader ?? bufferOffset + index - 3
            }
        }
        if let skip = pendingSkip {
            pendingSkip = (skip.offset, skip.count + upper - lower)
        } else {
            pendingSkip = (bufferOffset + lower, upper - lower)
        }
    }

    /// Reports held diagnostics. At the end of the buffer a run of skipped bytes is held
    /// back (it may go on in the next chunk) unless the stream is finished or the run is long.
    private mutating func flushPending(atEnd: Bool = false) -> DecoderOutput? {
        if let skip = pendingSkip, !atEnd || finished || skip.count >= Self.skipReportThreshold {
            pendingSkip = nil
            return .event(.skipped(offset: skip.offset, count: skip.count))
        }
        if let offset = pendingBootloader {
            pendingBootloader = nil
            return .event(.bootloader(offset: offset))
        }
        return nil
    }

    private mutating func compact() {
        guard start > 0 else { return }
        if start >= buffer.count {
            bufferOffset += buffer.count
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= 4096 || start * 2 >= buffer.count {
            bufferOffset += start
            buffer.removeFirst(start)
            start = 0
        }
    }
}
