#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import RCTProtocol

/// Collects output lines and writes them to standard output in large blocks, for dumps of
/// millions of lines.
///
/// The blocks are written on a thread of their own, so that the next block is made while the
/// last one is still being taken: a write to a terminal returns only when the terminal has
/// taken most of it, and made in turn, making and drawing added up. With the writes apart,
/// `rct decode` of a capture in a terminal took as long as `cat` of its text
/// (Documentation/Performance.md).
struct OutputBuffer: ~Copyable {
    /// The text not yet handed to the writer; a line may be written into it directly, then
    /// ended with ``endLine()``.
    var text = TextBuffer(capacity: Self.blockSize + 16 << 10)
    private let writer = BlockWriter()

    /// How much is gathered before it is handed on.
    private static let blockSize = 1 << 16

    /// Adds a line; hands the text on when enough has gathered.
    mutating func line(_ line: String) {
        text.append(line)
        endLine()
    }

    /// Ends the line written into ``text``; hands the text on when enough has gathered.
    mutating func endLine() {
        text.append(ascii: UInt8(ascii: "\n"))
        if text.count >= Self.blockSize { handOn() }
    }

    /// Writes everything gathered and returns when it is written.
    mutating func flush() {
        handOn()
        writer.finish()
    }

    private mutating func handOn() {
        guard !text.isEmpty else { return }
        writer.write(text.withBytes { Array($0) })
        text.removeAll()
    }

    /// What was gathered is written even when the command ends early (a bad byte in hex
    /// input): the lines before the error stand before its message.
    deinit {
        if !text.isEmpty { writer.write(text.withBytes { Array($0) }) }
        writer.finish()
    }
}

/// Writes blocks to standard output in order on a queue of its own, with a few blocks at
/// most waiting, so memory stays bounded when the reader is slow.
private final class BlockWriter: Sendable {
    private let queue = DispatchQueue(label: "rct.output")
    private let room = DispatchSemaphore(value: 4)

    /// Queues `block`; waits while four blocks are already waiting.
    func write(_ block: [UInt8]) {
        room.wait()
        queue.async { [room] in
            block.withUnsafeBufferPointer { Console.write($0, to: STDOUT_FILENO) }
            room.signal()
        }
    }

    /// Returns when every queued block is written.
    func finish() {
        queue.sync {}
    }
}
