import Foundation
import RCTProtocol
import RCTTestSupport
import Testing

/// A running `rct serve` on a free loopback port, in front of `upstream` (connection options).
final class ServeProcess {
    let process: ChildProcess
    /// Where gateway clients connect, `127.0.0.1:port`.
    let endpoint: String
    /// Where /metrics is served, when asked for.
    let metrics: String?

    init(upstream: [String], _ extra: [String] = []) throws {
        process = try RCTBinary.start(upstream + ["serve", "--listen", "127.0.0.1:0"] + extra)
        let first = try #require(process.firstLine(), "rct serve printed nothing: \(process.stderr)")
        endpoint = String(try #require(first.split(separator: " ").last))
        metrics = extra.contains("--metrics") ? process.firstLine().flatMap { $0.split(separator: " ").last.map(String.init) } : nil
    }

    /// The host and port apart, for Python clients.
    var hostAndPort: (String, String) {
        let parts = endpoint.split(separator: ":")
        return (String(parts[0]), String(parts[1]))
    }

    /// Reads what the daemon logged so far (its pipe must not fill up), waiting up to `timeout`
    /// seconds for a line containing `text`.
    @discardableResult
    func log(contains text: String, timeout: Double = 10) -> Bool {
        process.wait(until: { $0.stderr.contains(text) }, timeout: timeout)
    }

    /// SIGTERM, then the exit status.
    func stop() -> Int32? {
        guard process.isRunning else { return process.wait(timeout: 0) }
        process.signal(SIGTERM)
        return process.wait(timeout: 10)
    }

    deinit { _ = stop() }
}

/// The values `rct get` reads directly from the simulator, as `polling_clients.py` expects them.
func expectedValues(_ names: [String], from endpoint: String) throws -> URL {
    let items = try jsonObjects(try rct(arguments: ["get"] + names + ["--json", "--host", endpoint]).stdout)
    var expected: [String: Any] = [:]
    for item in items {
        let name = try #require(item["name"] as? String)
        expected[name] = ["id": item["id"] as Any, "type": item["type"] as Any, "value": try #require(item["value"])]
    }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rct-expected-\(getpid())-\(UUID().uuidString).json")
    try JSONSerialization.data(withJSONObject: expected).write(to: url)
    return url
}

/// Objects the polling clients read: floats, strings and an enum that the simulator holds still.
let pollingObjects = ["battery.soc", "inverter_sn", "power_mng.soc_strategy", "power_mng.soc_min", "android_description",
                      "power_mng.soc_max"]

/// What `polling_clients.py` reported.
struct PollingReport {
    let clients: [[String: Any]]
    let totals: [String: Int]
    var wrong: Int { totals["wrong"] ?? -1 }
    var lost: Int { totals["lost"] ?? -1 }
    var right: Int { totals["right"] ?? 0 }
    /// The fewest right answers any client got.
    var leastServed: Int { clients.map { $0["right"] as? Int ?? 0 }.min() ?? 0 }
}

/// Starts python rctclient clients polling `host:port` at once (see Tests/Oracle/polling_clients.py).
func startPollingClients(_ host: String, _ port: String, expected: URL, clients: Int = 6, mode: String = "mixed",
                         duration: Double = 3, timeout: Double = 2) throws -> ChildProcess {
    let environment = ProcessInfo.processInfo.environment
    let python = environment["RCT_PYTHON"] ?? RCTBinary.packageRoot + "/.venv/bin/python"
    return try ChildProcess(python, [RCTBinary.packageRoot + "/Tests/Oracle/polling_clients.py", host, port,
                                     "--expected", expected.path, "--clients", "\(clients)", "--mode", mode,
                                     "--duration", "\(duration)", "--timeout", "\(timeout)"],
                            environment: environment)
}

/// Waits for polling clients started with ``startPollingClients`` and reads their report.
func report(of pollers: ChildProcess) throws -> PollingReport {
    let status = try #require(pollers.wait(timeout: 120), "the polling clients did not finish")
    #expect(status == 0, "\(pollers.stderr)")
    let report = try #require(try json(pollers.stdout) as? [String: Any], "no report: \(pollers.stdout) \(pollers.stderr)")
    return PollingReport(clients: report["clients"] as? [[String: Any]] ?? [],
                         totals: report["totals"] as? [String: Int] ?? [:])
}

/// Runs polling clients to the end and reads their report.
func pollingClients(_ host: String, _ port: String, expected: URL, clients: Int = 6, mode: String = "mixed",
                    duration: Double = 3, timeout: Double = 2) throws -> PollingReport {
    try report(of: try startPollingClients(host, port, expected: expected, clients: clients, mode: mode,
                                           duration: duration, timeout: timeout))
}

/// The frames in `bytes`, in order.
func frames(_ bytes: [UInt8]) -> [Frame] {
    var decoder = FrameDecoder()
    decoder.append(bytes)
    decoder.finish()
    var found: [Frame] = []
    while let output = decoder.next() { if case let .frame(decoded) = output { found.append(decoded.frame) } }
    return found
}

/// A plain TCP client for feeding a gateway whatever bytes a test wants.
final class RawSocket {
    let descriptor: Int32

    init(_ endpoint: String) throws {
        let parts = endpoint.split(separator: ":")
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(String(parts[0]))
        address.sin_port = in_port_t(UInt16(parts[1])!).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw ConnectError(endpoint: endpoint, code: errno)
        }
    }

    /// Sends all of `bytes` (ignores a peer that closed).
    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { return }
            sent += count
        }
    }

    /// Whatever arrives within `seconds`.
    func receive(for seconds: Double) -> [UInt8] {
        var received: [UInt8] = []
        let end = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < end {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, Int32(max(1, end.timeIntervalSinceNow * 1000))) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[..<count]
        }
        return received
    }

    /// Whether the peer closed the connection within `seconds`; bytes that arrive meanwhile
    /// (a greeting, answers) are read and dropped.
    func isClosed(within seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        repeat {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, Int32(max(0, end.timeIntervalSinceNow * 1000))) > 0 else { return false }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count == 0 || (count < 0 && errno != EAGAIN) { return true }
        } while Date() < end
        return false
    }

    deinit { close(descriptor) }
}

/// A raw client could not connect.
struct ConnectError: Error {
    let endpoint: String
    let code: Int32
}

/// Connects to `endpoint` until a connect is refused, for up to `seconds`; throws the refusal.
/// Returns normally when every connect went through (the gateway never refused).
func waitForRefusal(_ endpoint: String, seconds: Double = 3) throws {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        _ = try RawSocket(endpoint)
        usleep(100_000)
    }
}

/// A loopback port free a moment ago, for the Mosquitto broker, which takes its port from
/// its config file and fails to start when the port is taken meanwhile.
func freePort() throws -> UInt16 {
    let (descriptor, port) = try loopbackSocket(listening: false)
    close(descriptor)
    return port
}

/// A TCP socket bound to a free loopback port, listening if asked (the kernel then accepts
/// connections that nobody answers: a silent host). The caller closes it.
func loopbackSocket(listening: Bool) throws -> (descriptor: Int32, port: UInt16) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var size = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(descriptor, pointer, size) == 0 && (!listening || listen(descriptor, 4) == 0)
                && getsockname(descriptor, pointer, &size) == 0
        }
    }
    guard bound else {
        close(descriptor)
        throw ConnectError(endpoint: "127.0.0.1:0", code: errno)
    }
    return (descriptor, UInt16(bigEndian: address.sin_port))
}

/// Every sample of `/metrics` at `endpoint`, as parsed by prometheus-client's own parser:
/// `name{label=value,...}` (labels sorted) to value.
func scrape(_ endpoint: String) throws -> [String: Double] {
    let environment = ProcessInfo.processInfo.environment
    let python = environment["RCT_PYTHON"] ?? RCTBinary.packageRoot + "/.venv/bin/python"
    let script = """
    import json, sys, urllib.request
    from prometheus_client.parser import text_string_to_metric_families
    text = urllib.request.urlopen("http://" + sys.argv[1] + "/metrics", timeout=5).read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = sample.name + ("{" + ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items())) + "}" if sample.labels else "")
            samples[key] = sample.value
    print(json.dumps(samples))
    """
    let child = try ChildProcess(python, ["-c", script, endpoint], environment: environment)
    #expect(child.wait(timeout: 20) == 0, "\(child.stderr)")
    return try #require(try json(child.stdout) as? [String: Double], "\(child.stdout)")
}
