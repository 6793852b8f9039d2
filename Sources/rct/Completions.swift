import RCTProtocol
import RCTTransport

/// Values offered by the shell completions.
enum Completions {
    @Sendable static func objectNames(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        Registry.standard.objects.map(\.name)
    }

    @Sendable static func writableNames(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        WriteRules.all.map(\.name)
    }

    @Sendable static func devicePaths(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        let ports = (try? SerialPortDiscovery.discover()) ?? []
        return ports.flatMap { [$0.byID, $0.path].compactMap { $0 } }
    }
}
