import Foundation
import RCTTestSupport
import Testing

/// What a newcomer reads: errors in the tool's own words, help that says each thing once.
@Suite("Messages and help", .serialized)
struct MessageTests {
    @Test("A word that is not a command is called that, with the commands listed; exit 64")
    func unknownCommand() throws {
        for arguments in [["foo"], ["--host", "127.0.0.1:1", "gte", "battery.soc"]] {
            let result = try rct(arguments: arguments)
            #expect(result.status == 64)
            #expect(result.stderr.contains("is not a command; the commands are get, set, list"), "\(result.stderr)")
        }
    }

    @Test("Help shows each default once", arguments: ["get", "charge", "hold", "simulator", "serve", "reserve", "set"])
    func defaultsOnce(command: String) throws {
        let help = try rct(command, "--help").stdout.replacingOccurrences(of: "\n", with: " ")
            .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        #expect(help.firstMatch(of: try Regex(#"\(default [^)]*\)\.? \(default: "#)) == nil, "\(help)")
    }

    @Test("A file without RCT frames is said to be one, with its size; exit 64")
    func noFrames() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rct-noframes-\(getpid()).bin")
        try Data("hello, this is not a capture\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try rct("decode", file.path)
        #expect(result.status == 64)
        #expect(result.stderr.contains("no RCT frames found in \(file.path) (29 bytes)"), "\(result.stderr)")
        // A file large enough to be decoded in parts says the same.
        try Data(repeating: 0x41, count: 600_000).write(to: file)
        let large = try rct("decode", file.path)
        #expect(large.status == 64)
        #expect(large.stderr.contains("no RCT frames found in \(file.path) (600000 bytes)"), "\(large.stderr)")
    }

    @Test("A silent host: the object is named once; on a terminal each retry is announced, in a pipe nothing")
    func silentHost() throws {
        // A host that accepts (the kernel does) and never answers.
        let (listener, port) = try loopbackSocket(listening: true)
        defer { close(listener) }
        let host = "127.0.0.1:\(port)"
        let piped = try rct("--host", host, "--timeout", "0.3", "get", "battery.soc")
        #expect(piped.status == 75)
        #expect(piped.stderr.components(separatedBy: "battery.soc").count == 2, "named once: \(piped.stderr)")
        #expect(!piped.stderr.contains("asking again"))
        // script(1) gives rct a terminal.
        let terminal = try ChildProcess("/usr/bin/script", ["-q", "-e", "-c", "\(RCTBinary.path) --host \(host) --timeout 0.3 get battery.soc", "/dev/null"],
                                        environment: RCTBinary.environment([:]))
        _ = terminal.wait(timeout: 30)
        #expect(terminal.stdout.contains("asking again (attempt 2 of 3)") && terminal.stdout.contains("(attempt 3 of 3)"), "\(terminal.stdout)")
    }

    @Test("serve on a port in use says so in its own words; exit 69")
    func busyPort() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let result = try rct("--simulator", "serve", "--listen", simulator.endpoint, timeout: 20)
        #expect(result.status == 69)
        #expect(result.stderr.contains("cannot listen for gateway clients on \(simulator.endpoint): the port is in use"), "\(result.stderr)")
        #expect(!result.stderr.contains("errno"))
    }
}
