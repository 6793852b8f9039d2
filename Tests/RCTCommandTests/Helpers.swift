import Foundation
import RCTTestSupport
import Testing

/// Runs rct and returns its result; shorthand for the tests.
func rct(_ arguments: String..., input: Data? = nil, environment: [String: String] = [:], timeout: Double = 30) throws -> CommandResult {
    try RCTBinary.run(arguments, input: input, environment: environment, timeout: timeout)
}

/// Runs rct with an argument array.
func rct(arguments: [String], input: Data? = nil, environment: [String: String] = [:], timeout: Double = 30) throws -> CommandResult {
    try RCTBinary.run(arguments, input: input, environment: environment, timeout: timeout)
}

/// Parses JSON text into Foundation values.
func json(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

/// Parses a JSON array of objects.
func jsonObjects(_ text: String) throws -> [[String: Any]] {
    try #require(try json(text) as? [[String: Any]], "not a JSON array of objects: \(text)")
}

/// A running `rct simulator` on a free loopback port.
final class SimulatorProcess {
    let process: ChildProcess
    let endpoint: String
    let ptyPath: String?

    init(_ extra: [String] = [], listen: String = "127.0.0.1:0") throws {
        process = try RCTBinary.start(["simulator", "--listen", listen] + extra)
        let first = try #require(process.firstLine(), "the simulator printed nothing: \(process.stderr)")
        endpoint = String(try #require(first.split(separator: " ").last))
        ptyPath = extra.contains("--pty") ? process.firstLine()?.split(separator: " ").dropFirst().first.map(String.init) : nil
    }

    func stop() {
        if process.isRunning {
            process.signal(SIGINT)
            _ = process.wait(timeout: 5)
        }
    }

    deinit { stop() }
}
