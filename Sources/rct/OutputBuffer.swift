#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
import RCTProtocol

/// Collects output lines and writes them to standard output in large blocks, for dumps of
/// millions of lines.
///
/// The blocks are written on a thread of their own, so that the next block is made while the
/// last one is still being taken: a write to a terminal returns only when the terminal has
/// taken most of it, and made in turn, making and drawing added up. With the writes apart,
/// `rct decode` of a capture in a terminal took as long as `cat` of its text
/// (Documentation/Performance.md). Blocks may also be made on other threads
/// (``block(madeBy:)``), to spread the formatting of a dump over the processor's cores.
struct OutputBuffer: ~Copyable {
    /// The text not yet handed to the writer; a line may be written into it directly, then
    /// ended with ``endLine()``.
    var text = TextBuffer(capacity: Self.textCapacity)
    /// Blocks written already, to be written into again: by ``text`` and by those who make
    /// blocks elsewhere.
    let spares: SpareBlocks
    private let writer: BlockWriter

    /// How much is gathered before it is handed on.
    private static let blockSize = 1 << 16
    /// Room for a block and the line that takes it past ``blockSize``.
    private static let textCapacity = blockSize + 16 << 10

    /// An empty buffer for standard output.
    init() {
        spares = SpareBlocks(limit: BlockWriter.waitingBlocks)
        writer = BlockWriter(spares: spares)
    }

    /// Adds a line; hands the text on when enough has gathered.
    mutating func line(_ line: String) {
        text.append(line)
        endLine()
    }

    /// Ends the line written into ``text``; hands the text on when enough has gathered.
    mutating func endLine() {
        text.append(ascii: UInt8(ascii: "\n"))
        handOnWhenFull()
    }

    /// Hands the text on when enough has gathered; for lines written and ended in ``text``.
    mutating func handOnWhenFull() {
        if text.count >= Self.blockSize { handOn() }
    }

    /// Adds the text of `block` from byte `offset` on, made elsewhere, after everything added
    /// before. Waits while a few blocks per core are waiting.
    mutating func append(_ block: TextBuffer, from offset: Int) {
        handOn()
        writer.write(block, from: offset)
    }

    /// Adds the text that `make` returns, made on a worker thread while the caller goes on;
    /// it is written after everything added before and before everything added after. Waits
    /// while a few blocks per core are waiting, so memory stays bounded.
    mutating func block(madeBy make: @escaping @Sendable () -> TextBuffer) {
        handOn()
        writer.write(madeBy: make)
    }

    /// Writes everything gathered and returns when it is written.
    mutating func flush() {
        handOn()
        writer.finish()
    }

    private mutating func handOn() {
        guard !text.isEmpty else { return }
        writer.write(text)
        text = spares.take(capacity: Self.textCapacity)
    }

    /// What was gathered is written even when the command ends early (a bad byte in hex
    /// input): the lines before the error stand before its message.
    deinit {
        if !text.isEmpty { writer.write(text) }
        writer.finish()
    }
}

/// Writes blocks to standard output in order on a queue of its own, with a few blocks at
/// most waiting, so memory stays bounded when the reader is slow.
private final class BlockWriter: Sendable {
    /// How many blocks may wait to be made or written: enough to keep every core busy.
    static let waitingBlocks = max(4, 2 * onlineProcessors)
    private let queue = DispatchQueue(label: "rct.output")
    private let makers = DispatchQueue(label: "rct.format", attributes: .concurrent)
    private let room = DispatchSemaphore(value: BlockWriter.waitingBlocks)
    /// Where written blocks go.
    private let spares: SpareBlocks

    /// A writer that hands the blocks it has written to `spares`.
    init(spares: SpareBlocks) {
        self.spares = spares
    }

    /// Queues `block` from byte `offset` on; waits while the queue is full.
    func write(_ block: TextBuffer, from offset: Int = 0) {
        room.wait()
        writeInTurn(from: offset) { block }
    }

    /// Queues the block that `make` returns, made on another thread; waits while the queue
    /// is full.
    func write(madeBy make: @escaping @Sendable () -> TextBuffer) {
        room.wait()
        let block = Promised(placeholder: TextBuffer())
        makers.async { block.fulfil(make()) }
        writeInTurn(from: 0, block.wait)
    }

    /// Writes the block `take` gives from byte `offset` on, after every block queued before,
    /// and makes room.
    private func writeInTurn(from offset: Int, _ take: @escaping @Sendable () -> TextBuffer) {
        queue.async { [room, spares] in
            let block = take()
            block.withBytes { Console.write(UnsafeBufferPointer(rebasing: $0[min(offset, $0.count)...]), to: STDOUT_FILENO) }
            spares.give(block)
            room.signal()
        }
    }

    /// Returns when every queued block is written.
    func finish() {
        queue.sync {}
    }
}

/// How many processors are online: how many threads can work at once.
let onlineProcessors = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

/// Blocks of text written already, kept to be written into again: a dump makes blocks by the
/// hundred, and fresh memory for each cost page faults and zeroing, about 15 % of a full
/// decode on two cores (perf, Documentation/Performance.md).
final class SpareBlocks: Sendable {
    private let blocks = Mutex<[TextBuffer]>([])
    private let limit: Int

    /// Keeps at most `limit` blocks; more are let go.
    init(limit: Int) {
        self.limit = limit
    }

    /// An empty block with room for `capacity` bytes: the smallest kept that has it, or a new
    /// one (growing a small one would copy it, and fault in its new memory).
    func take(capacity: Int) -> TextBuffer {
        let kept = blocks.withLock { blocks -> TextBuffer? in
            let fitting = blocks.indices.filter { blocks[$0].capacity >= capacity }
            return fitting.min { blocks[$0].capacity < blocks[$1].capacity }.map { blocks.remove(at: $0) }
        }
        return kept ?? TextBuffer(capacity: capacity)
    }

    /// Keeps `block`, emptied, for a later ``take(capacity:)``.
    func give(_ block: TextBuffer) {
        var block = block
        block.removeAll()
        blocks.withLock { if $0.count < limit { $0.append(block) } }
    }
}
