import Foundation

/// What a run of the `rct` binary produced.
public struct CommandResult: Sendable {
    /// The exit status.
    public let status: Int32
    /// Standard output.
    public let stdout: String
    /// Standard error.
    public let stderr: String

    /// A result as collected.
    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Standard output as lines.
    public var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// A child process started with posix_spawn: default signal handling and an empty signal
/// mask (test runner threads block signals, and children would inherit that), pipes for
/// its output, and waits that poll instead of relying on a run loop.
public final class ChildProcess {
    /// The process id.
    public let pid: pid_t
    private var output: Int32
    private var errors: Int32
    private var outData: [UInt8] = []
    private var errData: [UInt8] = []
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments` (argv[0] excluded) and `environment`; `input` goes to its stdin.
    public init(_ executable: String, _ arguments: [String], environment: [String: String], input: [UInt8]? = nil) throws {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        // Close-on-exec, so children spawned by concurrent tests do not inherit these ends
        // (a stray write end would keep this child's output open after it exits).
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0, pipe(&inPipe) == 0 else { throw SpawnError(reason: "pipe") }
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in inPipe + outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard result == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw SpawnError(reason: "posix_spawn \(executable): \(result)")
        }
        pid = child
        output = outPipe[0]
        errors = errPipe[0]
        if let input, !input.isEmpty {
            var offset = 0
            while offset < input.count {
                let written = input.withUnsafeBytes { write(inPipe[1], $0.baseAddress! + offset, input.count - offset) }
                if written <= 0 { break }
                offset += written
            }
        }
        close(inPipe[1])
    }

    deinit {
        if exitStatus == nil { kill(pid, SIGKILL); _ = wait(timeout: 5) }
        if output >= 0 { close(output) }
        if errors >= 0 { close(errors) }
    }

    /// Sends a signal.
    public func signal(_ number: Int32) { kill(pid, number) }

    /// Whether it still runs.
    public var isRunning: Bool { reap() == nil }

    /// Reads what is available, then returns its exit status if it ended.
    @discardableResult
    private func reap() -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        }
        return exitStatus
    }

    /// Collects output until it ends or `timeout` passes (then it is killed); nil on timeout.
    public func wait(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            drain(wait: 20)
            if let status = reap() {
                while drain(wait: 0) {}
                return status
            }
            if Date() > deadline {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                exitStatus = 137
                return nil
            }
        }
    }

    /// The first line of standard output, read within `timeout` seconds.
    public func firstLine(timeout: Double = 10) -> String? {
        let newlineByte = UInt8(ascii: "\n")
        guard wait(until: { $0.outData.contains(newlineByte) }, timeout: timeout),
              let newline = outData.firstIndex(of: newlineByte) else { return nil }
        let line = String(decoding: outData[..<newline], as: UTF8.self)
        outData.removeSubrange(...newline)
        return line
    }

    /// Collects output until `condition` holds, for at most `timeout` seconds; false if it never did.
    /// Tests wait on what the child says instead of sleeping a guess.
    public func wait(until condition: (ChildProcess) -> Bool, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(self) {
            guard Date() < deadline, drain(wait: 20) || reap() == nil else { return condition(self) }
        }
        return true
    }

    /// What it printed so far.
    public var stdout: String { String(decoding: outData, as: UTF8.self) }
    /// What it printed on stderr so far.
    public var stderr: String { String(decoding: errData, as: UTF8.self) }

    /// Reads whatever the pipes hold; true if anything was read.
    @discardableResult
    private func drain(wait milliseconds: Int32) -> Bool {
        var entries = [pollfd(fd: output, events: Int16(POLLIN), revents: 0), pollfd(fd: errors, events: Int16(POLLIN), revents: 0)]
        guard poll(&entries, 2, milliseconds) > 0 else { return false }
        var any = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        for (index, entry) in entries.enumerated() where entry.revents != 0 {
            let fd = index == 0 ? output : errors
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                any = true
                if index == 0 { outData += buffer[..<count] } else { errData += buffer[..<count] }
            }
        }
        return any
    }

    /// A child that could not be started.
    public struct SpawnError: Error { public let reason: String }
}

/// Runs the built `rct` binary, as a user would.
public enum RCTBinary {
    /// The binary next to the test bundle (or RCT_BINARY).
    public static var path: String {
        if let path = ProcessInfo.processInfo.environment["RCT_BINARY"] { return path }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // On Linux the test runner is .build/<config>/<Package>PackageTests.xctest.
        return bundle.appendingPathComponent("rct").path
    }

    /// The package root, for fixtures.
    public static var packageRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    /// The environment for rct: the test's, without the user's own link settings.
    public static func environment(_ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["RCT_DEVICE"] = nil
        env["RCT_HOST"] = nil
        env["XDG_CONFIG_HOME"] = "/nonexistent-rct-test-config"
        for (key, value) in extra { env[key] = value }
        return env
    }

    /// Runs `rct` with `arguments`, optional standard input, extra environment and a time limit;
    /// `prefix` runs it under another program (umockdev-run, time).
    public static func run(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:],
                           timeout: Double = 30, prefix: [String] = []) throws -> CommandResult {
        let child = prefix.isEmpty
            ? try ChildProcess(path, arguments, environment: Self.environment(environment), input: input.map { Array($0) })
            : try ChildProcess(prefix[0], Array(prefix.dropFirst()) + [path] + arguments,
                               environment: Self.environment(environment), input: input.map { Array($0) })
        guard let status = child.wait(timeout: timeout) else { throw TimedOut(arguments: arguments) }
        return CommandResult(status: status, stdout: child.stdout, stderr: child.stderr)
    }

    /// Starts `rct` without waiting for it; the caller ends it.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess(path, arguments, environment: Self.environment(environment))
    }

    /// A run that did not end in time.
    public struct TimedOut: Error { public let arguments: [String] }
}
