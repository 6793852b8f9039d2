#if canImport(Glibc)
import Glibc
#endif

/// Small text files the user names: config and password files, read whole and checked.
enum TextFile {
    /// Why a text file could not be read.
    enum Problem: Error, Equatable {
        /// It does not exist or cannot be opened.
        case unreadable
        /// It is larger than the limit.
        case tooLarge(limit: Int)
        /// Its bytes are not UTF-8.
        case notUTF8
    }

    /// The text of the file at `path`, at most `limit` bytes.
    static func read(_ path: String, limit: Int = 65536) -> Result<String, Problem> {
        guard let file = fopen(path, "r") else { return .failure(.unreadable) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[..<count]
            guard bytes.count <= limit else { return .failure(.tooLarge(limit: limit)) }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.notUTF8) }
        return .success(text)
    }

    /// One line of a config file: `name = value`, spaces around either allowed.
    struct Setting {
        /// The line's number, from 1.
        let line: Int
        /// What stands before the first `=`; empty when there is none.
        let name: String
        /// What stands after it; empty when there is none.
        let value: String

        /// Whether the line has both a name and a value.
        var isWellFormed: Bool { !name.isEmpty && !value.isEmpty }
    }

    /// The settings of a config file's `text`: every line but blank ones, with `#` starting a
    /// comment. A line that is not `name = value` comes too, not well formed, so the caller can
    /// name it in its message.
    static func settings(in text: String) -> [Setting] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, rawLine in
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(in: " \t\r")
            if line.isEmpty { return nil }
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: " \t") }
            return Setting(line: index + 1, name: parts.count == 2 ? parts[0] : "", value: parts.count == 2 ? parts[1] : "")
        }
    }

    /// The problem in words, for `what` (an option or a file's role) and `path`.
    static func message(_ problem: Problem, _ what: String, _ path: String) -> String {
        switch problem {
        case .unreadable: "\(what): cannot read \(path)"
        case let .tooLarge(limit): "\(what): \(path) is larger than \(limit / 1024) KiB"
        case .notUTF8: "\(what): \(path) is not UTF-8 text"
        }
    }
}
