/// Human-readable text for values, shared by the command line and the diagnostics.
public enum ValueText {
    /// A compact one-line rendering of `value`. Text from the device is shown with its
    /// control characters escaped (``TextBuffer/appendEscaped(_:)``): a string from the
    /// wire can hold a line break or a terminal's escape sequence.
    public static func describe(_ value: Value) -> String {
        switch value {
        case let .bool(flag): flag ? "true" : "false"
        case let .integer(number): "\(number)"
        case let .float(number): NumberText.format(Double(number))
        case let .string(text): TextBuffer.string(capacity: text.utf8.count) { $0.appendEscaped(text) }
        case let .timeseries(series):
            "\(series.samples.count) samples before \(timestamp(series.requestedTime))"
        case let .eventTable(table):
            "\(table.events.count) events before \(timestamp(table.requestedTime))"
        case let .batteryCells(cells):
            cells.map { "\($0.millivolts)mV/\($0.temperature)°C" }.joined(separator: " ")
        case let .batteryStatistics(stats):
            "U \(stats.minimumVoltage.value)..\(stats.maximumVoltage.value) V, T \(stats.minimumTemperature.value)..\(stats.maximumTemperature.value) °C"
        case let .batteryResistance(cells):
            cells.map { "\($0)" }.joined(separator: " ") + " mOhm"
        case let .bytes(bytes):
            bytes.isEmpty ? "(empty)" : HexText.format(bytes)
        }
    }

    /// Seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ`, without Foundation.
    public static func timestamp(_ seconds: Int64) -> String {
        TextBuffer.string { $0.appendTimestamp(seconds) }
    }

    /// Reads `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS][Z]` or a plain number of seconds since 1970.
    public static func parseTimestamp(_ text: String) -> Int64? {
        if let seconds = Int64(text) { return seconds }
        var chars = Substring(text)
        if chars.hasSuffix("Z") { chars = chars.dropLast() }
        let halves = chars.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
        let date = halves[0].split(separator: "-", omittingEmptySubsequences: false)
        guard date.count == 3, let year = Int64(date[0]), let month = Int64(date[1]), let day = Int64(date[2]),
              date[0].count == 4, (1...12).contains(month), (1...31).contains(day) else { return nil }
        var secondsOfDay: Int64 = 0
        if halves.count == 2 {
            let time = halves[1].split(separator: ":", omittingEmptySubsequences: false).map { Int64($0) }
            guard (2...3).contains(time.count), time.allSatisfy({ $0 != nil }) else { return nil }
            let hour = time[0]!, minute = time[1]!, second = time.count == 3 ? time[2]! : 0
            guard (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second) else { return nil }
            secondsOfDay = hour * 3600 + minute * 60 + second
        }
        // Days from civil date (inverse of the algorithm in `timestamp`).
        let adjustedYear = month <= 2 ? year - 1 : year
        let era = (adjustedYear >= 0 ? adjustedYear : adjustedYear - 399) / 400
        let yearOfEra = adjustedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86400 + secondsOfDay
        // Days that do not exist in that month (2024-02-30) would roll over: refuse them.
        guard timestamp(seconds).hasPrefix(String(date[0]) + "-" + String(date[1]).leftPadded() + "-" + String(date[2]).leftPadded()) else {
            return nil
        }
        return seconds
    }
}

extension String {
    /// Two-digit form of a one-digit number, e.g. `3` as `03`.
    fileprivate func leftPadded() -> String { count == 1 ? "0" + self : self }
}
