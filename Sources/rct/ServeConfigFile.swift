#if canImport(Glibc)
import Glibc
#endif

/// The config file of `rct serve` (`--config FILE`) and its password file.
///
/// The config file holds `name = value` lines, one option each, named as the long options
/// without `--` (`host = 192.168.1.50`, `allow-writes = true`); `#` starts a comment. It is
/// turned into arguments and parsed by the command's own parser, so it accepts exactly what
/// the command line accepts and says so in the same words.
enum ServeConfigFile {
    /// The largest config or password file read.
    static let maximumSize = 65536

    /// The arguments the file at `path` stands for.
    static func arguments(_ path: String) throws -> [String] {
        let text = try read(path, what: "--config")
        var arguments: [String] = []
        for setting in TextFile.settings(in: text) {
            guard setting.isWellFormed, !setting.name.hasPrefix("-") else {
                throw Failure("\(path) line \(setting.line): expected 'name = value', such as 'host = 192.168.1.50'", status: .badInput)
            }
            if setting.name == "config" {
                throw Failure("\(path) line \(setting.line): a config file cannot name another one", status: .badInput)
            }
            switch setting.value.lowercased() {
            case "true", "yes", "on": arguments.append("--" + setting.name)
            case "false", "no", "off": continue
            default: arguments += ["--" + setting.name, setting.value]
            }
        }
        return arguments
    }

    /// The password in the file at `path`: its first line. Refused unless only the file's
    /// owner may read it, so that a password never sits where others can see it.
    static func password(_ path: String) throws -> String {
        try secret(path, option: "--mqtt-password-file")
    }

    /// The secret (a password, a token) in the file at `path` given to `option`: its first
    /// line, refused unless only the file's owner may read it.
    static func secret(_ path: String, option: String) throws -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { throw Failure("\(option): cannot find \(path)", status: .badInput) }
        guard status.st_mode & 0o077 == 0 else {
            throw Failure("\(option): \(path) may be read by others (mode \(String(status.st_mode & 0o777, radix: 8))); chmod 600 it", status: .badInput)
        }
        let text = try read(path, what: option)
        let secret = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map { String($0) } ?? ""
        let trimmed = secret.hasSuffix("\r") ? String(secret.dropLast()) : secret
        guard !trimmed.isEmpty else { throw Failure("\(option): \(path) is empty", status: .badInput) }
        return trimmed
    }

    private static func read(_ path: String, what: String) throws -> String {
        switch TextFile.read(path, limit: maximumSize) {
        case let .success(text): return text
        case let .failure(problem): throw Failure(TextFile.message(problem, what, path), status: .badInput)
        }
    }
}
