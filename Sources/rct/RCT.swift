#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

@main
struct RCT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rct",
        abstract: "Read and set parameters of RCT Power inverters, over a serial line or the network.",
        discussion: """
        Connection options may stand before or after the command name. Without --device, \
        --host or --simulator, rct uses RCT_DEVICE/RCT_HOST, then ~/.config/rct/config, then \
        the only USB serial adapter found.

        Exit codes: 0 success, 64 bad input (nothing sent), 65 verification failed or malformed \
        answer, 69 device or host unavailable, 75 no answer in time, 76 protocol error (a Modbus \
        exception, CRC error or another slave answering), 130 interrupted.
        """,
        version: "0.1.0",
        subcommands: [
            GetCommand.self, SetCommand.self, ListCommand.self, DevicesCommand.self, DecodeCommand.self,
            MonitorCommand.self, ChargeCommand.self, HoldCommand.self, ReserveCommand.self, SimulatorCommand.self,
            ServeCommand.self, ProbeCommand.self, DissectorCommand.self,
        ]
    )

    @OptionGroup var connection: ConnectionOptions

    /// Parses and runs as swift-argument-parser does, but says in words when the command
    /// named is not one: its own message for that is "Unexpected argument".
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let names = configuration.subcommands.compactMap { $0.configuration.commandName }
            if case let .some(word) = unknownCommand(in: message(for: error)), !arguments.contains(where: names.contains) {
                Console.error("rct: '\(word)' is not a command; the commands are \(names.joined(separator: ", ")) ('rct --help' says more)")
                Glibc.exit(ExitStatus.badInput.rawValue)
            }
            exit(withError: error)
        }
    }

    /// The first word of an "Unexpected argument 'WORD'" or "N unexpected arguments: 'WORD',
    /// ..." message, if it is not an option.
    private static func unknownCommand(in message: String) -> String? {
        guard message.hasPrefix("Unexpected argument '") || message.contains("unexpected arguments: '"),
              let open = message.firstIndex(of: "'") else { return nil }
        let rest = message[message.index(after: open)...]
        guard let close = rest.firstIndex(of: "'") else { return nil }
        let word = String(rest[..<close])
        return word.hasPrefix("-") ? nil : word
    }
}
