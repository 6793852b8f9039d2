import RCTTransport

/// Durations as people type them: `90`, `90s`, `15m`, `2h`, `1h30m`.
public enum DurationText {
    /// Seconds for `text`, or nil if it is not a positive duration.
    public static func parse(_ text: String) -> Double? {
        if let seconds = Double(text), seconds.isFinite { return seconds > 0 ? seconds : nil }
        var total = 0.0
        var number = ""
        var sawUnit = false
        for character in text {
            if character.isASCII && (character.isNumber || character == ".") {
                number.append(character)
                continue
            }
            let scale: Double
            switch character {
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86400
            default: return nil
            }
            guard let value = Double(number) else { return nil }
            total += value * scale
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit, total > 0, total.isFinite else { return nil }
        return total
    }

    /// `1h 02m 03s`-style text for progress lines.
    public static func format(_ seconds: Double) -> String {
        // Bounded like a Deadline, so any Double can be written.
        let whole = seconds.isNaN ? 0 : Int(min(max(0, seconds), Deadline.longestMove).rounded())
        let hours = whole / 3600, minutes = whole % 3600 / 60, rest = whole % 60
        if hours > 0 { return "\(hours)h\(minutes < 10 ? "0" : "")\(minutes)m" }
        if minutes > 0 { return "\(minutes)m\(rest < 10 ? "0" : "")\(rest)s" }
        return "\(rest)s"
    }
}
