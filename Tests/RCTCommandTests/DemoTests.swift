import Foundation
import RCTTestSupport
import Testing

/// scripts/demo.sh, which writes settings: only ever to the simulator it started itself.
@Suite("The demo", .serialized)
struct DemoTests {
    static func runDemo(with rct: String) throws -> ChildProcess {
        let demo = try ChildProcess("/bin/sh", [RCTBinary.packageRoot + "/scripts/demo.sh", rct],
                                    environment: RCTBinary.environment([:]))
        _ = demo.wait(timeout: 120)
        return demo
    }

    @Test("Runs to the end against a simulator on a port of its own, and leaves nothing running")
    func runs() throws {
        let demo = try Self.runDemo(with: RCTBinary.path)
        #expect(demo.wait(timeout: 0) == 0, "\(demo.stderr)")
        let line = try #require(demo.stdout.split(separator: "\n").first { $0.hasPrefix("== rct simulator on ") })
        #expect(!line.contains(":18899"), "a fixed port")
        #expect(demo.stdout.contains("handing control back") || demo.stdout.contains("handed back"), "\(demo.stdout.suffix(800))")
    }

    @Test("When its simulator cannot start, it stops at once with a message and sends nothing anywhere")
    func noSimulatorNoWrites() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rct-demo-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // An rct whose simulator fails to start, as when it cannot listen; every other command is the real one.
        let wrapper = directory.appendingPathComponent("rct").path
        try """
        #!/bin/sh
        if [ "$1" = simulator ]; then echo "rct: cannot listen: the port is in use" >&2; exit 69; fi
        echo "$*" >> \(directory.path)/commands
        exec \(RCTBinary.path) "$@"
        """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        let demo = try Self.runDemo(with: wrapper)
        #expect(demo.wait(timeout: 0) == 1)
        #expect(demo.stderr.contains("the simulator did not start") && demo.stderr.contains("the port is in use"), "\(demo.stderr)")
        let commands = (try? String(contentsOfFile: directory.path + "/commands", encoding: .utf8)) ?? ""
        #expect(!commands.contains("--host"), "sent to a host: \(commands)")
    }
}
