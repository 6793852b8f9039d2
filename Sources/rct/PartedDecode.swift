import Dispatch
import RCTProtocol

/// Decodes a capture file in parts on every core and writes the lines that one decoder reading
/// it from start to end would write, in the same order.
///
/// A worker decodes each part knowing nothing of the bytes before it, and notes the decoder's
/// checkpoints after the first lines (``FrameDecoder/Checkpoint``). In file order, the
/// decoder that came through the part before goes on into the part, writing lines itself,
/// until its checkpoint is one the worker noted; from there the two give the same lines, so
/// the worker's text is written from that line on and its decoder goes on to the next part.
/// A part that does not join in its first block is decoded to its end by the decoder coming
/// through: slower, never different.
///
/// Every decoder is fed the file in the blocks ``DecodeCommand`` reads it in, at the same
/// offsets, so the lines are the same as a decode of the same bytes from standard input.
struct PartedDecode {
    /// Bytes read at a time, as ``DecodeCommand`` reads them.
    static let blockSize = DecodeCommand.readSize
    /// Bytes of the file per part: four blocks. Large enough that the join at each part's
    /// start (one block read twice, a few lines written by the decoder coming through) does
    /// not count, small enough that the parts waiting to be written stay a few megabytes.
    static let partSize = 4 * blockSize
    /// How many of a part's first lines it may be joined after: real streams join after a
    /// few; the bound keeps the noting cheap when they do not.
    static let joinableLines = 512

    /// The file.
    let file: PositionalReader
    /// Whether lines are JSON records.
    let json: Bool

    /// What a worker made of one part.
    private struct DecodedPart: Sendable {
        /// The part's lines, each ended.
        var text: TextBuffer
        /// The checkpoints after its first lines, with where the text after each begins.
        var joins: [FrameDecoder.Checkpoint: Int] = [:]
        /// The writer after the part's last byte.
        var writer: DumpWriter
    }

    /// Decodes the file and writes its lines to `output`. Returns when every worker is done
    /// with the file, and whether any decoder found a frame (or one whose checksum failed):
    /// a file in which none did is no RCT stream.
    func run(into output: inout OutputBuffer) throws(Failure) -> Bool {
        var sawFrames = false
        let starts = Array(stride(from: 0, to: file.size, by: Self.partSize))
        let workers = DispatchQueue(label: "rct.decode", attributes: .concurrent)
        let spares = output.spares
        var made: [Promised<Result<DecodedPart, Failure>>] = []
        var submitted = 0
        func submit() {
            guard submitted < starts.count else { return }
            let range = partBytes(startingAt: starts[submitted])
            let part = Promised<Result<DecodedPart, Failure>>(
                placeholder: .failure(Failure("cannot read \(file.name): the decoding stopped", status: .badInput)))
            workers.async { [self] in part.fulfil(Result { () throws(Failure) in try decode(range, into: spares) }) }
            made.append(part)
            submitted += 1
        }
        // The workers read the file, which is closed after this returns.
        defer { for part in made { _ = part.wait() } }
        // Two parts per core on their way: the cores stay busy while one part is joined.
        for _ in 0..<max(4, 2 * onlineProcessors) { submit() }
        var through: DumpWriter?
        var format = DumpLineFormat(json: json)
        let block = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Self.blockSize)
        defer { block.deallocate() }
        for start in starts {
            let part = try made.removeFirst().wait().get()
            sawFrames = sawFrames || part.writer.frames > 0 || part.writer.crcErrors > 0
            submit()
            let range = partBytes(startingAt: start)
            guard var writer = through.take() else {
                // The first part starts where the stream starts: nothing to join.
                output.append(part.text, from: 0)
                through = part.writer
                continue
            }
            if let textOffset = try join(&writer, into: range, on: part.joins, block: block, format: &format, output: &output) {
                output.append(part.text, from: textOffset)
                through = part.writer
            } else {
                through = writer
            }
        }
        return sawFrames
    }

    /// The bytes of the part that starts at file offset `start`.
    private func partBytes(startingAt start: Int) -> Range<Int> {
        start..<min(file.size, start + Self.partSize)
    }

    /// Decodes the part `range` on its own, from a decoder started at its first byte, into a
    /// block from `spares`.
    private func decode(_ range: Range<Int>, into spares: SpareBlocks) throws(Failure) -> DecodedPart {
        var writer = DumpWriter(json: json, startingAt: range.lowerBound)
        var text = spares.take(capacity: range.count * 6)
        var joins: [FrameDecoder.Checkpoint: Int] = [:]
        var format = DumpLineFormat(json: json)
        if let checkpoint = writer.checkpoint { joins[checkpoint] = 0 }
        let joinableEnd = range.lowerBound + Self.blockSize
        let block = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Self.blockSize)
        defer { block.deallocate() }
        try feed(&writer, part: range, through: block) { writer in
            while let line = writer.nextLine() {
                format.append(line, to: &text)
                if joins.count < Self.joinableLines, writer.bytes <= joinableEnd,
                   let checkpoint = writer.checkpoint, joins[checkpoint] == nil {
                    joins[checkpoint] = text.count
                }
            }
            return false
        }
        return DecodedPart(text: text, joins: joins, writer: writer)
    }

    /// Goes on with `writer`, which has decoded everything before `range`, into that part,
    /// writing its lines to `output`, until its checkpoint is one of `joins`. Returns where the
    /// part's text goes on from there, or nil when `writer` decoded the whole part itself.
    private func join(_ writer: inout DumpWriter, into range: Range<Int>, on joins: [FrameDecoder.Checkpoint: Int],
                      block: UnsafeMutableBufferPointer<UInt8>, format: inout DumpLineFormat,
                      output: inout OutputBuffer) throws(Failure) -> Int? {
        var joined = writer.checkpoint.flatMap { joins[$0] }
        if joined != nil { return joined }
        try feed(&writer, part: range, through: block) { writer in
            while let line = writer.nextLine() {
                format.append(line, to: &output.text)
                output.handOnWhenFull()
                joined = writer.checkpoint.flatMap { joins[$0] }
                if joined != nil { return true }
            }
            return false
        }
        return joined
    }

    /// Feeds `writer` the part `range` in the blocks ``DecodeCommand`` reads, ending the stream
    /// after the file's last byte, and calls `drain` after each block and after the end; stops
    /// when `drain` answers true.
    private func feed(_ writer: inout DumpWriter, part range: Range<Int>, through block: UnsafeMutableBufferPointer<UInt8>,
                      drain: (inout DumpWriter) -> Bool) throws(Failure) {
        var offset = range.lowerBound
        while offset < range.upperBound {
            let count = try file.read(into: block, at: offset)
            guard count > 0 else { break }
            writer.feed(UnsafeBufferPointer(rebasing: block[..<count]))
            offset += count
            if drain(&writer) { return }
        }
        if range.upperBound == file.size {
            writer.finish()
            _ = drain(&writer)
        }
    }
}
