import Foundation
import RCTTestSupport
import Testing

/// `rct serve --mqtt` against a real Mosquitto broker, checked by an independent client.
@Suite("rct serve over MQTT", .serialized)
struct MQTTTests {
    @Test("Discovery configs, retained states and availability; configs come back when Home Assistant says online")
    func discovery() throws {
        let site = try MQTTSite(serve: ["--allow-writes"], watching: ["\(simulatorTopics)/#"])
        let (broker, serve, subscriber) = (site.broker, site.serve, site.subscriber)
        #expect(subscriber.waitFor("/state/energy_grid_feed"), "the slow values were not published")
        let expected = try catalogueEntities(writes: true)
        var configs: [String: String] = [:]
        for _ in 0..<50 {
            configs = try broker.retained("homeassistant/#")
            if configs.count >= expected { break }
        }
        #expect(configs.count == expected)
        let states = try broker.retained("\(simulatorTopics)/#")
        #expect(states["\(simulatorTopics)/availability"] == "online")
        var uniqueIDs: Set<String> = []
        for (topic, payload) in configs {
            let config = try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any], "\(topic)")
            uniqueIDs.insert(try #require(config["unique_id"] as? String))
            let device = try #require(config["device"] as? [String: Any])
            #expect(device["sw_version"] as? String == "RCT-SIMULATOR-1")
            if let stateTopic = config["state_topic"] as? String {
                #expect(states[stateTopic] != nil, "\(topic): no retained state on \(stateTopic)")
            }
        }
        #expect(uniqueIDs.count == configs.count)
        // The same values as the inverter has, in the unit shown.
        #expect(states["\(simulatorTopics)/state/battery_soc"] == "55.0")
        #expect(states["\(simulatorTopics)/state/soc_strategy"] == "Internal")
        #expect(states["\(simulatorTopics)/state/inverter_state"] == "Feed in")
        #expect(states["\(simulatorTopics)/state/hold"] == "OFF")

        // Home Assistant lost its configs (an empty retained message removes one) and restarts.
        let socConfig = "homeassistant/sensor/rct_\(simulatorSerial)/battery_soc/config"
        try broker.publish(socConfig, [], retain: true)
        #expect(try broker.retained(socConfig)[socConfig] == nil)
        try broker.publish("homeassistant/status", "online")
        var republished = false
        for _ in 0..<30 where !republished {
            republished = try broker.retained(socConfig)[socConfig]?.contains("\"unique_id\":\"rct_\(simulatorSerial)_battery_soc\"") == true
        }
        #expect(republished)
        #expect(serve.stop() == 0)
        #expect(try broker.retained("\(simulatorTopics)/availability")["\(simulatorTopics)/availability"] == "offline")
    }

    @Test("Every setting: a valid command is written once, read back, and its state is the value read back")
    func settings() throws {
        let site = try MQTTSite(simulator: ["--log-requests"], serve: ["--allow-writes"], watching: ["\(simulatorTopics)/#"])
        let (broker, simulator, serve, subscriber) = (site.broker, site.simulator, site.serve, site.subscriber)
        #expect(subscriber.waitFor("/availability", containing: "online"))
        // In an order that keeps soc_charge below soc_min throughout.
        let commands: [(key: String, payload: String, state: String, get: String, value: Double)] = [
            ("soc_min", "20", "20.0", "power_mng.soc_min", 0.2),
            ("soc_charge", "15.0", "15.0", "power_mng.soc_charge", 0.15),
            ("soc_max", "95", "95.0", "power_mng.soc_max", 0.95),
            ("soc_target", "60", "60.0", "power_mng.soc_target_set", 0.6),
            ("soc_min_island", "10", "10.0", "power_mng.soc_min_island", 0.1),
            ("soc_charge_power", "500", "500", "power_mng.soc_charge_power", 500),
            ("battery_power_extern", "-100", "-100", "power_mng.battery_power_extern", -100),
            ("use_grid_power", "ON", "ON", "power_mng.use_grid_power_enable", 1),
            ("soc_strategy", "External", "External", "power_mng.soc_strategy", 2),
        ]
        for (index, command) in commands.enumerated() {
            try broker.publish("\(simulatorTopics)/set/\(command.key)", command.payload)
            #expect(subscriber.waitForResults(index + 1), "no result for \(command.key)")
            let result = try #require(subscriber.results.last)
            #expect(result["outcome"] == "written" && result["command"] == "set \(command.key)", "\(result)")
            #expect(subscriber.waitFor("/state/\(command.key)", containing: command.state))
            #expect(try broker.retained("\(simulatorTopics)/state/\(command.key)")["\(simulatorTopics)/state/\(command.key)"] == command.state)
            let read = try rct("get", command.get, "--json", "--host", serve.endpoint)
            let value = try #require(number(try jsonObjects(read.stdout).first?["value"]), "\(read.stdout)")
            #expect(abs(value - command.value) < 1e-4, "\(command.get) = \(value)")
        }
        #expect(simulator.process.wait(until: { $0.stderr.components(separatedBy: "WRITE").count - 1 >= commands.count }, timeout: 5))
        #expect(simulator.process.stderr.components(separatedBy: "WRITE").count - 1 == commands.count, "one WRITE per command")
        // Sent again: nothing to write.
        try broker.publish("\(simulatorTopics)/set/soc_min", "20")
        #expect(subscriber.waitForResults(commands.count + 1))
        #expect(subscriber.results.last?["outcome"] == "unchanged")
        #expect(serve.stop() == 0)
    }

    /// Bad payloads of every kind: each gets a refusal on the result topic and nothing upstream.
    static let badCommands: [(topic: String, payload: [UInt8])] = [
        ("set/soc_min", Array("abc".utf8)), ("set/soc_min", Array("101".utf8)), ("set/soc_min", Array("30.5".utf8)),
        ("set/soc_min", []), ("set/soc_min", Array(repeating: 0x31, count: 300)), ("set/soc_min", [0xFF, 0xFE]),
        ("set/soc_min", Array("{\"value\": 30}".utf8)), ("set/battery_power_extern", Array("7000".utf8)),
        ("set/soc_strategy", Array("Turbo".utf8)), ("set/use_grid_power", Array("maybe".utf8)),
        ("set/soc_min", Array("99".utf8)), ("set/battery_soc", Array("10".utf8)), ("set/no_such", Array("1".utf8)),
        ("action/hold", Array("maybe".utf8)), ("action/hold", Array("OFF".utf8)), ("action/charge", Array("[3000]".utf8)),
        ("action/charge", Array("{\"power\": 3000, \"turbo\": 1}".utf8)), ("action/charge", Array("{\"power\": 99999}".utf8)),
        ("action/charge", Array("{\"power\": 3000, \"max_duration\": \"13h\"}".utf8)), ("action/charge", []),
        ("action/charge", Array(("{\"power\": 3000, \"x\": \"" + String(repeating: "a", count: 100_000) + "\"}").utf8)),
        ("action/reserve_winter", Array("NOW".utf8)), ("action/self_destruct", Array("PRESS".utf8)),
    ]

    @Test("Bad commands get a refusal with a reason and never a write; the daemon carries on")
    func badCommands() throws {
        let site = try MQTTSite(simulator: ["--log-requests"], serve: ["--allow-writes"], watching: ["\(simulatorTopics)/result"])
        let (broker, simulator, serve, subscriber) = (site.broker, site.simulator, site.serve, site.subscriber)
        for (index, command) in Self.badCommands.enumerated() {
            try broker.publish("\(simulatorTopics)/\(command.topic)", command.payload)
            #expect(subscriber.waitForResults(index + 1), "no result for \(command.topic)")
            let result = try #require(subscriber.results.last)
            #expect(result["outcome"] == "refused" && !(result["reason"] ?? "").isEmpty,
                    "\(command.topic) \(String(decoding: command.payload.prefix(40), as: UTF8.self)): \(result)")
        }
        #expect(!simulator.process.stderr.contains("WRITE"), "a refused command reached the inverter")
        #expect(!serve.process.stderr.contains("write from"))
        // Still serving: a good command goes through.
        try broker.publish("\(simulatorTopics)/set/soc_max", "90")
        #expect(subscriber.waitFor("/result", containing: "\"outcome\":\"written\""))
        #expect(serve.stop() == 0)
    }

    @Test("Read-only without --allow-writes: settings appear as sensors, commands are refused with the reason")
    func readOnly() throws {
        let site = try MQTTSite(simulator: ["--log-requests"], serve: [], watching: ["\(simulatorTopics)/#"])
        let (broker, simulator, serve, subscriber) = (site.broker, site.simulator, site.serve, site.subscriber)
        #expect(subscriber.waitFor("/state/soc_min"))
        let configs = try broker.retained("homeassistant/#")
        #expect(configs.count == (try catalogueEntities(writes: false)))
        #expect(configs.keys.allSatisfy { $0.hasPrefix("homeassistant/sensor/") || $0.hasPrefix("homeassistant/binary_sensor/") })
        #expect(configs.values.allSatisfy { !$0.contains("command_topic") })
        try broker.publish("\(simulatorTopics)/set/soc_min", "30")
        try broker.publish("\(simulatorTopics)/action/hold", "ON")
        #expect(subscriber.waitForResults(2))
        #expect(subscriber.results.allSatisfy { $0["outcome"] == "refused" && $0["reason"]?.contains("--allow-writes") == true })
        #expect(!simulator.process.stderr.contains("WRITE"))
        #expect(serve.stop() == 0)
    }

    @Test("Hold: ON forces External with 0 W and the switch follows the inverter; OFF hands back; another action is refused")
    func hold() throws {
        let site = try MQTTSite(serve: ["--allow-writes"], watching: ["\(simulatorTopics)/#"])
        let (broker, serve, subscriber) = (site.broker, site.serve, site.subscriber)
        #expect(subscriber.waitFor("/state/hold", containing: "OFF"))
        try broker.publish("\(simulatorTopics)/action/hold", "ON")
        #expect(subscriber.waitFor("/result", containing: "\"outcome\":\"progress\""))
        #expect(subscriber.waitFor("/state/hold", containing: "ON"))
        #expect(try strategy(serve) == 2)
        try broker.publish("\(simulatorTopics)/action/charge", "{\"power\": 3000}")
        #expect(subscriber.waitFor("/result", containing: "hold is already running"))
        try broker.publish("\(simulatorTopics)/action/hold", "OFF")
        #expect(subscriber.waitFor("/result", containing: "\"outcome\":\"ended\""))
        #expect(try strategy(serve) == 4)
        let last = subscriber.messages.last { $0.topic.hasSuffix("/state/hold") }
        #expect(last?.payload == "OFF")
        let steps = subscriber.results.filter { $0["outcome"] == "step" && $0["phase"] == "hand_back" }
        #expect(steps.map { $0["parameter"] ?? "" } == ["power_mng.soc_strategy", "power_mng.battery_power_extern"])
        #expect(serve.stop() == 0)
    }

    @Test("Charge with a time limit: grid charging and External -P, then at the end everything as it was")
    func chargeExpires() throws {
        let site = try MQTTSite(serve: ["--allow-writes"], watching: ["\(simulatorTopics)/result"])
        let (broker, serve, subscriber) = (site.broker, site.serve, site.subscriber)
        try broker.publish("\(simulatorTopics)/action/charge", "{\"power\": 2500, \"max_duration\": 3}")
        #expect(subscriber.waitFor("/result", containing: "\"outcome\":\"progress\""))
        #expect(try value(serve, "power_mng.battery_power_extern") == -2500)
        #expect(try value(serve, "power_mng.use_grid_power_enable") == 1)
        #expect(subscriber.waitFor("/result", containing: "the time is up"))
        #expect(subscriber.waitFor("/result", containing: "\"outcome\":\"ended\""))
        #expect(try strategy(serve) == 4)
        #expect(try value(serve, "power_mng.battery_power_extern") == 0)
        #expect(try value(serve, "power_mng.use_grid_power_enable") == 0)
        #expect(serve.stop() == 0)
    }

    @Test("SIGTERM during a charge: hand-back first, then offline, exit 0")
    func sigterm() throws {
        let site = try MQTTSite(serve: ["--allow-writes"], watching: ["\(simulatorTopics)/result", "\(simulatorTopics)/availability"])
        let (broker, simulator, serve, subscriber) = (site.broker, site.simulator, site.serve, site.subscriber)
        try broker.publish("\(simulatorTopics)/action/charge", "{\"power\": 3000}")
        #expect(subscriber.waitFor("/result", containing: "\"outcome\":\"progress\""))
        #expect(serve.stop() == 0)
        // Ended by the signal itself or by the daemon stopping the action: handed back either way.
        #expect(subscriber.waitFor("/result", containing: "\"outcome\":\"ended\""))
        #expect(subscriber.results.last?["reason"]?.hasSuffix("handed back") == true,
                "\(subscriber.messages.map { "\($0.topic) \($0.payload)" }.joined(separator: "\n")) \(serve.process.stderr)")
        #expect(subscriber.waitFor("/availability", containing: "offline"))
        let order = subscriber.messages.map(\.payload)
        let handedBack = try #require(order.lastIndex { $0.contains("handed back") })
        #expect(order.lastIndex(of: "offline") ?? -1 > handedBack)
        // The simulator kept its state: the strategy is back without any help.
        let direct = try rct("get", "power_mng.soc_strategy", "power_mng.use_grid_power_enable", "--json", "--host", simulator.endpoint)
        #expect(try jsonObjects(direct.stdout).map { number($0["value"]) } == [4, 0])
    }

    @Test("The link lost during a hold: offline, and the hand-back is done on the same inverter once the link is back")
    func linkLost() throws {
        let broker = try Broker()
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let proxy = try startProxy(to: simulator.endpoint)
        defer { proxy.process.signal(SIGKILL) }
        let serve = try mqttServe(broker, upstream: ["--host", proxy.endpoint, "--timeout", "0.5"], ["--allow-writes"])
        let subscriber = try broker.subscribe("\(simulatorTopics)/#")
        try broker.publish("\(simulatorTopics)/action/hold", "ON")
        #expect(subscriber.waitFor("/result", containing: "\"outcome\":\"progress\""))
        proxy.process.signal(SIGUSR1)
        #expect(subscriber.waitFor("/availability", containing: "offline"))
        #expect(subscriber.waitFor("/result", containing: "hand_back_retry"))
        let direct = try rct("get", "power_mng.soc_strategy", "--json", "--host", simulator.endpoint)
        #expect(number(try jsonObjects(direct.stdout).first?["value"]) == 2, "still held while the link is down")
        proxy.process.signal(SIGUSR2)
        #expect(subscriber.waitFor("/result", containing: "\"outcome\":\"ended\"", timeout: 30))
        let back = try rct("get", "power_mng.soc_strategy", "--json", "--host", simulator.endpoint)
        #expect(number(try jsonObjects(back.stdout).first?["value"]) == 4)
        #expect(subscriber.results.contains { $0["phase"] == "hand_back" && $0["parameter"] == "power_mng.soc_strategy" && $0["reason"] == "written and read back" })
        #expect(subscriber.waitFor("/availability", containing: "online"))
        #expect(serve.stop() == 0)
    }

    @Test("Killed outright: the broker publishes the last will, offline; the inverter gone: offline too")
    func lastWill() throws {
        let broker = try Broker()
        let simulator = try SimulatorProcess()
        let serve = try mqttServe(broker, upstream: ["--host", simulator.endpoint])
        let subscriber = try broker.subscribe("\(simulatorTopics)/availability")
        #expect(subscriber.waitFor("/availability", containing: "online"))
        simulator.stop()
        #expect(subscriber.waitFor("/availability", containing: "offline"))
        let restarted = try SimulatorProcess(listen: simulator.endpoint)
        defer { restarted.stop() }
        #expect(subscriber.process.wait(until: { $0.stdout.hasSuffix("online\n") }, timeout: 20))
        serve.process.signal(SIGKILL)
        _ = serve.process.wait(timeout: 5)
        #expect(subscriber.process.wait(until: { $0.stdout.hasSuffix("offline\n") }, timeout: 90), "no last will")
    }

    @Test("The password comes from a file only its owner may read; the name and prefixes from a config file")
    func passwordAndConfig() throws {
        let broker = try Broker(users: ["ha": "s3cret"])
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let passwordFile = broker.directory.appendingPathComponent("mqtt-password")
        try "s3cret\n".write(to: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile.path, 0o644)
        let config = broker.directory.appendingPathComponent("serve.conf")
        try """
        # rct serve, garage inverter
        host = \(simulator.endpoint)
        mqtt = mqtt://ha@127.0.0.1:\(broker.port)
        mqtt-password-file = \(passwordFile.path)
        name = garage
        topic-prefix = home/rct
        fast-interval = 1
        listen = 127.0.0.1:0
        """.write(to: config, atomically: true, encoding: .utf8)
        let open = try rct("serve", "--config", config.path)
        #expect(open.status == 64 && open.stderr.contains("may be read by others"), "\(open.stderr)")
        chmod(passwordFile.path, 0o600)
        let serve = try ServeProcess(upstream: [], ["--config", config.path, "--allow-writes"])
        #expect(serve.log(contains: "MQTT: connected"), "\(serve.process.stderr)")
        let subscriber = try broker.subscribe("home/rct/garage/#")
        _ = subscriber
        var retained: [String: String] = [:]
        for _ in 0..<20 where retained["home/rct/garage/availability"] != "online" {
            retained = try broker.retained("home/rct/garage/#")
        }
        #expect(retained["home/rct/garage/availability"] == "online")
        #expect(!serve.process.stderr.contains("s3cret"))
        #expect(serve.stop() == 0)
    }

    @Test("Bad MQTT options and config files exit 64 and serve nothing", arguments: [
        (["--mqtt", "http://broker"], "mqtt://"), (["--mqtt", "mqtt://user:pw@broker"], "password"),
        (["--name", "x"], "needs --mqtt"), (["--mqtt", "mqtt://b", "--name", "a/b"], "--name"),
        (["--mqtt", "mqtt://b", "--topic-prefix", "a/#"], "--topic-prefix"), (["--mqtt", "mqtt://b", "--mqtt-ca", "/etc/hostname"], "mqtts"),
        (["--mqtt", "mqtt://b", "--mqtt-password-file", "/etc/hostname"], "user name"),
        (["--mqtt", "mqtt://u@b", "--mqtt-password-file", "/nonexistent"], "cannot find"),
        (["--fast-interval", "0"], "--fast-interval"), (["--config", "/nonexistent"], "cannot read"),
    ])
    func badOptions(arguments: [String], message: String) throws {
        let result = try rct(arguments: ["--simulator", "serve", "--listen", "127.0.0.1:0"] + arguments, timeout: 10)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stdout.contains("listening"))
    }

    @Test("A config file with a line that is not an option is refused with the file named", arguments: [
        "host", "= 1", "no-such-option = 1", "fresh = soon", "config = other",
    ])
    func badConfigLine(line: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rct-serve-\(UUID().uuidString).conf")
        defer { try? FileManager.default.removeItem(at: file) }
        try (line + "\n").write(to: file, atomically: true, encoding: .utf8)
        let result = try rct(arguments: ["--simulator", "serve", "--listen", "127.0.0.1:0", "--config", file.path], timeout: 10)
        #expect(result.status == 64 && result.stderr.contains(file.path), "\(result.stderr)")
    }

    private func strategy(_ serve: ServeProcess) throws -> Double? { try value(serve, "power_mng.soc_strategy") }

    /// A value read through the gateway, as a number.
    private func value(_ serve: ServeProcess, _ name: String) throws -> Double? {
        number(try jsonObjects(try rct("get", name, "--json", "--host", serve.endpoint).stdout).first?["value"])
    }
}

/// A TCP relay that a test can cut (SIGUSR1) and restore (SIGUSR2); see Tests/Oracle/tcp_proxy.py.
func startProxy(to endpoint: String) throws -> (process: ChildProcess, endpoint: String) {
    let parts = endpoint.split(separator: ":")
    return try startProxy([String(parts[0]), String(parts[1])])
}

/// A TCP relay to whatever `file` names ("HOST PORT"), closing connections while it names
/// nothing: an inverter that goes and comes back on a port of its own choosing.
func startProxy(targetFile file: String) throws -> (process: ChildProcess, endpoint: String) {
    try startProxy(["--target-file", file])
}

private func startProxy(_ arguments: [String]) throws -> (process: ChildProcess, endpoint: String) {
    let environment = ProcessInfo.processInfo.environment
    let python = environment["RCT_PYTHON"] ?? RCTBinary.packageRoot + "/.venv/bin/python"
    let process = try ChildProcess(python, [RCTBinary.packageRoot + "/Tests/Oracle/tcp_proxy.py"] + arguments, environment: environment)
    let first = try #require(process.firstLine(), "the proxy printed nothing: \(process.stderr)")
    return (process, String(try #require(first.split(separator: " ").last)))
}

@Suite("rct serve: the inverter's values on /metrics")
struct InverterMetricsTests {
    @Test("The catalogue's values from the cache, in base units; enums as labels; energy as counters; ages")
    func inverterMetrics() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint],
                                     ["--metrics", "127.0.0.1:0", "--fast-interval", "3600", "--slow-interval", "3600"])
        let metrics = try #require(serve.metrics)
        var samples: [String: Double] = [:]
        // The last row of the catalogue: the first poll is complete.
        for _ in 0..<50 where samples["rct_use_grid_power_enabled"] == nil {
            usleep(100_000)
            samples = try scrape(metrics)
        }
        #expect(samples["rct_battery_state_of_charge_ratio"] == 0.55)
        #expect(samples["rct_battery_voltage_volts"] ?? 0 > 100)
        #expect(samples["rct_grid_power_watts"] != nil && samples["rct_pv_string_a_power_watts"] != nil)
        #expect(abs((samples["rct_energy_grid_feed_watt_hours_total"] ?? 0) - 1234567) < 1)
        // The battery's lifetime energy in and out, for the Energy dashboard's battery.
        #expect(samples["rct_energy_battery_charge_watt_hours_total"] == 1_254_300)
        #expect(samples["rct_energy_battery_discharge_watt_hours_total"] == 1_187_600)
        #expect(samples["rct_inverter_state{code=13,state=Feed in}"] == 1)
        #expect(samples["rct_inverter_state{code=0,state=Standby}"] == 0)
        #expect(samples["rct_soc_strategy{code=4,state=Internal}"] == 1)
        #expect(samples["rct_soc_min_ratio"].map { abs($0 - 0.07) < 1e-6 } == true)
        #expect(samples["rct_use_grid_power_enabled"] == 0)
        let age = try #require(samples["rct_value_age_seconds{object=battery.soc}"])
        #expect(age >= 0 && age < 10)
        // The first poll is done and the next is an hour away: scrapes send nothing upstream,
        // and the ages grow between them.
        let before = try scrape(metrics)
        for _ in 0..<10 { _ = try scrape(metrics) }
        usleep(300_000)
        let after = try scrape(metrics)
        #expect(before["rct_upstream_exchanges_total"] == after["rct_upstream_exchanges_total"])
        #expect((after["rct_value_age_seconds{object=battery.soc}"] ?? 0) > (before["rct_value_age_seconds{object=battery.soc}"] ?? 0))
        #expect(serve.stop() == 0)
    }
}

extension InverterMetricsTests {
    @Test("The daemon's own poller does not count against --max-clients")
    func pollerIsNotAClient() throws {
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint, "-v"], ["--metrics", "127.0.0.1:0", "--max-clients", "1"])
        #expect(serve.log(contains: "client poller connected"))
        let read = try rct("get", "battery.soc", "--host", serve.endpoint)
        #expect(read.status == 0 && read.stdout.contains("55.0 %"), "\(read.stderr) \(serve.process.stderr)")
        #expect(serve.stop() == 0)
    }
}

@Suite("rct serve over MQTT with TLS")
struct MQTTTLSTests {
    @Test("mqtts:// with --mqtt-ca: connects to a broker whose certificate that CA signed; without it, refuses and says why")
    func tls() throws {
        let broker = try Broker(tls: true)
        let simulator = try SimulatorProcess()
        defer { simulator.stop() }
        let url = "mqtts://127.0.0.1:\(broker.port)"
        let untrusted = try ServeProcess(upstream: ["--host", simulator.endpoint], ["--mqtt", url])
        #expect(untrusted.log(contains: "MQTT: connection to the broker lost") || untrusted.log(contains: "cannot reach the broker"),
                "\(untrusted.process.stderr)")
        #expect(!untrusted.process.stderr.contains("MQTT: connected"))
        #expect(untrusted.stop() == 0)
        let serve = try ServeProcess(upstream: ["--host", simulator.endpoint], ["--mqtt", url, "--mqtt-ca", broker.caFile])
        #expect(serve.log(contains: "MQTT: connected"), "\(serve.process.stderr)")
        var retained: [String: String] = [:]
        for _ in 0..<20 where retained["\(simulatorTopics)/availability"] != "online" {
            retained = try broker.retained("\(simulatorTopics)/#")
        }
        #expect(retained["\(simulatorTopics)/availability"] == "online")
        #expect(serve.stop() == 0)
    }
}
