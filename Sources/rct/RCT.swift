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
}
