extension StringProtocol {
    /// The text without any of the characters of `set` at either end, e.g. spaces and tabs
    /// around a value in a config file or a payload.
    public func trimmingCharacters(in set: String) -> String {
        let strip = Set(set)
        return String(drop(while: strip.contains).reversed().drop(while: strip.contains).reversed())
    }
}
