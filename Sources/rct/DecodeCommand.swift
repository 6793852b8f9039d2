#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import RCTCapture
import RCTProtocol
import RCTTransport

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a captured byte stream offline.",
        discussion: "Reads raw bytes (or hex text with --hex) from FILE or standard input and prints one line per frame and per diagnostic. A pcap or pcapng FILE (tcpdump, Wireshark, a router's packet capture, or rct's own --save-pcap) is recognised by its magic number when it is a regular file, not a pipe: the TCP streams to and from port 8899 (--port for another) are put back in order per connection and direction, and each line carries the capture time, the connection and the direction. It streams: memory stays constant on captures of any size. A large raw FILE is decoded on every core, with the same output.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("The capture; - or nothing for standard input.", valueName: "file"), completion: .file())
    var file: String?

    @Flag(help: "The input is hex text (pairs of digits, any spacing).")
    var hex = false

    @Flag(help: "Print only the totals.")
    var summary = false

    /// Bytes read at a time: large enough for the system calls not to count, small enough for
    /// the copy to stay in the CPU cache (`decode --summary` of a 64 MiB capture spent 21 ms in
    /// the kernel with 64 KiB reads and 52 ms with 128 KiB, Performance.md). A file decoded in
    /// parts is fed in blocks of this size at the same offsets, so its lines are the same.
    static let readSize = 64 << 10
    /// How many lines a worker formats at a time: large enough that handing them over does not
    /// count, small enough that the workers start soon and memory stays small.
    private static let batchSize = 2048

    func run() throws {
        try reportingFailures {
            if let file, file != "-", !hex, let magic = InputFile.magic(of: file), CaptureReader.isCapture(magic: magic) {
                return try CaptureDecode(path: file, port: connection.port ?? Endpoint.defaultPort, json: connection.json,
                                         summary: summary).run()
            }
            let input = try InputFile(path: file)
            if !hex, !summary, let reader = input.positionalReader, reader.size >= 2 * PartedDecode.partSize {
                // A file large enough to be worth it is decoded on every core (Performance.md).
                var output = OutputBuffer()
                let sawFrames = try PartedDecode(file: reader, json: connection.json).run(into: &output)
                output.flush()
                guard sawFrames else { throw Self.noFrames(in: file, bytes: reader.size) }
                return .success
            }
            var writer = DumpWriter(json: connection.json, formatsLines: !summary)
            var hexParser = StreamingHexParser()
            var output = OutputBuffer()
            // Lines are formatted in batches on worker threads, while this one decodes: the
            // formatting is most of the work of a full dump (Performance.md).
            let json = connection.json
            var batch: [DumpLine] = []
            func handOnBatch() {
                guard !batch.isEmpty else { return }
                let lines = batch
                output.block { [spares = output.spares] in
                    DumpLine.text(of: lines, json: json, into: spares.take(capacity: lines.count * 128))
                }
                batch.removeAll(keepingCapacity: true)
            }
            func writeLines() {
                while let line = writer.nextLine() {
                    // Moved, not copied: the copy and its release were 26 M of the 444 M instructions
                    // of a 2 MiB dump (callgrind).
                    batch.append(consume line)
                    if batch.count == Self.batchSize { handOnBatch() }
                }
            }
            // The lines of a decode that fails (a bad hex character) are written before the
            // message.
            defer { handOnBatch() }
            // One buffer for the whole input: memory stays constant.
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Self.readSize)
            defer { buffer.deallocate() }
            while true {
                let count = try input.read(into: buffer)
                if count == 0 { break }
                let chunk = UnsafeBufferPointer(rebasing: buffer[..<count])
                if hex {
                    writer.feed(try hexParser.feed(chunk))
                } else {
                    writer.feed(chunk)
                }
                writeLines()
            }
            if hex {
                writer.feed(try hexParser.finish())
                writeLines()
            }
            writer.finish()
            writeLines()
            handOnBatch()
            if summary {
                output.line(writer.summary)
            }
            output.flush()
            // Not an RCT stream at all (a wrong file, a capture of something else): say so.
            if writer.frames == 0 && writer.crcErrors == 0 { throw Self.noFrames(in: file, bytes: writer.bytes) }
            return .success
        }
    }

    /// The refusal of input in which no frame was found: not a trace of this protocol.
    private static func noFrames(in file: String?, bytes: Int) -> Failure {
        Failure("no RCT frames found in \(file.flatMap { $0 == "-" ? nil : $0 } ?? "standard input") (\(bytes) bytes)", status: .badInput)
    }
}
