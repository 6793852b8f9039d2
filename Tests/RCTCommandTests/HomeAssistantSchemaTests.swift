import Foundation
import RCTTestSupport
import Testing

/// What `rct serve --mqtt` publishes, checked by Home Assistant's own code.
@Suite("rct serve's discovery configs, as Home Assistant takes them", .serialized)
struct HomeAssistantSchemaTests {
    @Test("Home Assistant 2024.1.6's MQTT schemas accept every discovery config, read-only and with writes allowed",
          arguments: [false, true])
    func everyConfigAccepted(writes: Bool) throws {
        let site = try MQTTSite(serve: writes ? ["--allow-writes"] : [], watching: ["\(simulatorTopics)/#"])
        let expected = try catalogueEntities(writes: writes)
        var configs: [String: String] = [:]
        for _ in 0..<50 where configs.count < expected {
            configs = try site.broker.retained("homeassistant/#")
        }
        #expect(configs.count == expected)
        let environment = ProcessInfo.processInfo.environment
        let python = environment["RCT_HA_PYTHON"] ?? RCTBinary.packageRoot + "/.venv-ha/bin/python"
        let input = try JSONSerialization.data(withJSONObject: configs)
        let oracle = try ChildProcess(python, [RCTBinary.packageRoot + "/Tests/Oracle/homeassistant_discovery.py"],
                                      environment: environment, input: Array(input))
        let status = oracle.wait(timeout: 120)
        let report = try #require(try json(oracle.stdout) as? [String: Any], "\(oracle.stdout) \(oracle.stderr)")
        #expect(report["version"] as? String == "2024.1.6")
        #expect(report["accepted"] as? Int == expected, "\(report["refused"] ?? "")")
        #expect(status == 0)
    }
}
