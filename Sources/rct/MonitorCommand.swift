#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import RCTCapture
import RCTProtocol
import RCTTransport

struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Listen passively and print every frame as it arrives.",
        discussion: "Sends nothing. Lines have the format of 'rct decode', prefixed with the time. --save keeps the raw bytes for 'rct decode' or a bug report; --save-pcap keeps them with their times as a pcap file that Wireshark opens.")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("Also write the raw bytes to this file.", valueName: "file"), completion: .file())
    var save: String?

    @Option(help: ArgumentHelp("Also write the bytes, with their times, to this pcap file (link type USER0) for Wireshark and 'rct decode'.", valueName: "file"), completion: .file())
    var savePcap: String?

    @Option(help: ArgumentHelp("Stop after this many seconds (default: until Ctrl-C).", valueName: "seconds"))
    var duration: Double?

    func validate() throws {
        if let duration, !(duration > 0) { throw ValidationError("--duration must be more than 0 seconds") }
    }

    func run() throws {
        try reportingFailures {
            try ModbusSession.refuse("monitor", writes: false, connection)
            var capture: Int32 = -1
            if let save {
                capture = open(save, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard capture >= 0 else {
                    throw Failure("cannot write \(save): \(String(cString: strerror(errno)))", status: .badInput)
                }
            }
            defer { if capture >= 0 { close(capture) } }
            let pcap = try Session.captureWriter(savePcap)
            let session = try Session(connection)
            let started = Deadline.now
            let end = duration.map { started.adding(seconds: $0) } ?? started.adding(seconds: 10 * 365 * 86400)
            var writer = DumpWriter(json: connection.json)
            let encoder = JSONLine()
            var frames = FrameLineWriter()
            // Read once: the option group is copied at each reading.
            let json = connection.json
            func writeLines() {
                while let line = writer.nextLine() {
                    // Milliseconds, as the text shows them.
                    let seconds = (started.elapsedSeconds * 1000).rounded() / 1000
                    if json {
                        Console.out(encoder.text(LocatedRecord(time: .elapsed(seconds), record: line.record)))
                    } else {
                        Console.out("\(FrameDump.seconds(seconds))  \(line.text(frames: &frames))")
                    }
                }
            }
            let transport = session.client.transport
            do {
                while !end.hasPassed {
                    if let signal = Interruption.signal { throw ClientError.interrupted(signal: signal) }
                    // Inside a frame, wait only the quiet gap: a long answer's LEN may promise more than comes.
                    let insideFrame = writer.isInsideFrame
                    let bytes = try transport.receive(deadline: min(end, .after(seconds: insideFrame ? Client.defaultQuietGap : 0.1)))
                    guard !bytes.isEmpty else {
                        if insideFrame {
                            writer.lineWentQuiet()
                            writeLines()
                        }
                        continue
                    }
                    if capture >= 0 { _ = bytes.withUnsafeBytes { write(capture, $0.baseAddress, $0.count) } }
                    pcap?.write(bytes, direction: .fromInverter)
                    if connection.trace { Session.printTrace(TraceEntry(time: 0, direction: .received, bytes: bytes, decoded: [])) }
                    writer.feed(bytes)
                    writeLines()
                }
            } catch ClientError.interrupted {
                // Ctrl-C is the normal way to end a monitor.
            }
            writer.finish()
            writeLines()
            Console.error("rct: \(writer.summaryText)")
            return .success
        }
    }
}
