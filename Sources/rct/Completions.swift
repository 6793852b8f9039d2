import RCTProtocol

/// Values offered by the shell completions.
enum Completions {
    @Sendable static func objectNames(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        Registry.standard.objects.map(\.name)
    }

    @Sendable static func writableNames(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        WriteRules.all.map(\.name)
    }
}
