import Foundation
import RCTTestSupport
import Testing

/// A real Mosquitto broker on a free loopback port, with its own config in a temporary
/// directory; stopped when the test lets go of it.
final class Broker {
    let process: ChildProcess
    let port: UInt16
    let directory: URL
    /// What the test's own clients need: host, user and password, CA file.
    private let clientOptions: [String]

    /// A broker; `users` turns anonymous access off and admits these user names and passwords;
    /// `tls` serves TLS only, with a certificate for 127.0.0.1 signed by a CA made for the test.
    init(users: [String: String] = [:], tls: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rct-broker-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try freePort()
        var config = "persistence false\nlistener \(port) 127.0.0.1\n"
        var clientOptions = ["-h", "127.0.0.1"] + (users.first.map { ["-u", $0.key, "-P", $0.value] } ?? [])
        if tls {
            try Self.makeCertificates(in: directory)
            let path = directory.path
            config += "cafile \(path)/ca.crt\ncertfile \(path)/server.crt\nkeyfile \(path)/server.key\n"
            clientOptions += ["--cafile", "\(path)/ca.crt"]
        }
        self.clientOptions = clientOptions
        if users.isEmpty {
            config += "allow_anonymous true\n"
        } else {
            let passwords = directory.appendingPathComponent("passwords")
            _ = FileManager.default.createFile(atPath: passwords.path, contents: nil)
            for (user, password) in users {
                let child = try ChildProcess(Self.tool("mosquitto_passwd"), ["-b", passwords.path, user, password], environment: [:])
                #expect(child.wait(timeout: 10) == 0, "\(child.stderr)")
            }
            config += "allow_anonymous false\npassword_file \(passwords.path)\n"
        }
        let configFile = directory.appendingPathComponent("mosquitto.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        process = try ChildProcess(Self.tool("mosquitto"), ["-c", configFile.path], environment: [:])
        let deadline = Date().addingTimeInterval(10)
        while (try? RawSocket("127.0.0.1:\(port)")) == nil {
            try #require(Date() < deadline && process.isRunning, "mosquitto did not start: \(process.stderr)")
            usleep(20_000)
        }
    }

    var url: String { "mqtt://127.0.0.1:\(port)" }

    /// The test CA's certificate, for `--mqtt-ca`.
    var caFile: String { directory.appendingPathComponent("ca.crt").path }

    /// A CA, and a certificate for 127.0.0.1 signed by it, made with openssl.
    private static func makeCertificates(in directory: URL) throws {
        let path = directory.path
        try "subjectAltName=IP:127.0.0.1\n".write(to: directory.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
        for arguments in [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(path)/ca.key", "-out", "\(path)/ca.crt", "-days", "2", "-subj", "/CN=rct test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(path)/server.key", "-out", "\(path)/server.csr", "-subj", "/CN=127.0.0.1"],
            ["x509", "-req", "-in", "\(path)/server.csr", "-CA", "\(path)/ca.crt", "-CAkey", "\(path)/ca.key", "-CAcreateserial",
             "-out", "\(path)/server.crt", "-days", "2", "-extfile", "\(path)/san.ext"],
        ] {
            let child = try ChildProcess(tool("openssl"), arguments, environment: [:])
            try #require(child.wait(timeout: 60) == 0, "openssl \(arguments[0]): \(child.stderr)")
        }
        // Started as root, mosquitto reads its files as the mosquitto user: a throwaway key may be read by all.
        chmod("\(path)/server.key", 0o644)
    }

    /// The retained messages under `filter` now: topic to payload.
    func retained(_ filter: String) throws -> [String: String] {
        let child = try ChildProcess(Self.tool("mosquitto_sub"), ["-p", "\(port)", "-t", filter, "--retained-only", "-W", "1",
                                                                  "-F", "%t\t%p"] + clientOptions, environment: [:])
        _ = child.wait(timeout: 10)
        var messages: [String: String] = [:]
        for line in child.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            messages[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return messages
    }

    /// Publishes `payload` (empty: a zero-length message) with mosquitto_pub.
    func publish(_ topic: String, _ payload: [UInt8], retain: Bool = false) throws {
        let file = directory.appendingPathComponent("payload-\(UUID().uuidString)")
        try Data(payload).write(to: file)
        let arguments = ["-p", "\(port)", "-t", topic, "-q", "1"] + clientOptions + (payload.isEmpty ? ["-n"] : ["-f", file.path]) + (retain ? ["-r"] : [])
        let child = try ChildProcess(Self.tool("mosquitto_pub"), arguments, environment: [:])
        #expect(child.wait(timeout: 10) == 0, "\(child.stderr)")
    }

    func publish(_ topic: String, _ text: String, retain: Bool = false) throws {
        try publish(topic, Array(text.utf8), retain: retain)
    }

    /// A subscriber that prints every message under `filters` as `topic<TAB>payload` lines;
    /// returns once its subscription is in place.
    func subscribe(_ filters: String...) throws -> Subscriber {
        try subscribe(filters)
    }

    func subscribe(_ filters: [String]) throws -> Subscriber {
        // mosquitto_sub buffers its output when it goes to a pipe: stdbuf makes it a line at a time.
        let subscriber = Subscriber(process: try ChildProcess(
            Self.tool("stdbuf"), ["-oL", Self.tool("mosquitto_sub"), "-p", "\(port)", "-F", "%t\t%p", "-t", "rct-test/probe"] + clientOptions
                + filters.flatMap { ["-t", $0] }, environment: [:]))
        for _ in 0..<50 where !subscriber.waitFor("rct-test/probe", timeout: 0.2) {
            try publish("rct-test/probe", "ready")
        }
        return subscriber
    }

    static func tool(_ name: String) -> String {
        for directory in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] where access(directory + "/" + name, X_OK) == 0 {
            return directory + "/" + name
        }
        return name
    }

    deinit {
        process.signal(SIGTERM)
        _ = process.wait(timeout: 5)
        try? FileManager.default.removeItem(at: directory)
    }
}

/// An independent MQTT client (mosquitto_sub) watching what the daemon publishes.
final class Subscriber {
    let process: ChildProcess

    init(process: ChildProcess) { self.process = process }

    /// Every message so far, in order.
    var messages: [(topic: String, payload: String)] {
        _ = process.wait(until: { _ in false }, timeout: 0.05)
        return process.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    /// The result messages so far, decoded.
    var results: [[String: String]] {
        messages.filter { $0.topic.hasSuffix("/result") }.compactMap { message in
            (try? JSONSerialization.jsonObject(with: Data(message.payload.utf8))) as? [String: String]
        }
    }

    /// Waits up to `timeout` seconds for a message on a topic ending in `suffix` whose payload
    /// contains `text`.
    @discardableResult
    func waitFor(_ suffix: String, containing text: String = "", timeout: Double = 15) -> Bool {
        process.wait(until: { process in
            process.stdout.split(separator: "\n").contains { line in
                let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
                // Foundation's contains("") is false: an empty text matches any payload.
                return parts[0].hasSuffix(suffix) && (text.isEmpty || (parts.count > 1 ? parts[1] : "").contains(text))
            }
        }, timeout: timeout)
    }

    /// Waits for `count` result messages in all.
    @discardableResult
    func waitForResults(_ count: Int, timeout: Double = 15) -> Bool {
        process.wait(until: { process in
            process.stdout.split(separator: "\n").filter { $0.split(separator: "\t").first?.hasSuffix("/result") == true }.count >= count
        }, timeout: timeout)
    }

    deinit {
        process.signal(SIGTERM)
        _ = process.wait(timeout: 5)
    }
}

/// `rct serve --mqtt` in front of a simulator, polling fast so tests need not wait.
func mqttServe(_ broker: Broker, upstream: [String], _ extra: [String] = []) throws -> ServeProcess {
    let serve = try ServeProcess(upstream: upstream, ["--mqtt", broker.url, "--fast-interval", "1", "--slow-interval", "2"] + extra)
    #expect(serve.log(contains: "MQTT: connected"), "\(serve.process.stderr)")
    return serve
}

/// A broker, a simulator, `rct serve --mqtt` in front of it, and an independent client
/// watching some of its topics: what most MQTT tests start with.
final class MQTTSite {
    let broker: Broker
    let simulator: SimulatorProcess
    let serve: ServeProcess
    let subscriber: Subscriber

    init(simulator simulatorOptions: [String] = [], serve serveOptions: [String], watching filters: [String]) throws {
        broker = try Broker()
        simulator = try SimulatorProcess(simulatorOptions)
        serve = try mqttServe(broker, upstream: ["--host", simulator.endpoint], serveOptions)
        subscriber = try broker.subscribe(filters)
    }

    deinit { simulator.stop() }
}

/// The simulator's serial number: the default `--name`.
let simulatorSerial = "SIM0000000000001"
/// Where the simulator's topics start.
let simulatorTopics = "rct/" + simulatorSerial

/// The number of entities the catalogue data defines: rows of Registry/homeassistant.tsv,
/// and with writes allowed the hold switch and one button per row of reserve-presets.tsv.
func catalogueEntities(writes: Bool) throws -> Int {
    func rows(_ file: String) throws -> Int {
        try String(contentsOfFile: RCTBinary.packageRoot + "/Registry/" + file, encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.count
    }
    return try rows("homeassistant.tsv") + (writes ? 1 + rows("reserve-presets.tsv") : 0)
}

/// A JSON value as a number: booleans as 1 and 0, so values compare whatever Foundation made of them.
func number(_ value: Any?) -> Double? {
    switch value {
    case let flag as Bool: flag ? 1 : 0
    case let number as NSNumber: number.doubleValue
    case let text as String: Double(text)
    default: nil
    }
}
