import ArgumentParser
import RCTTransport

/// The connection and output options every command accepts, before or after its name.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Serial device of a wired link.", valueName: "path"),
            completion: .custom(Completions.devicePaths))
    var device: String?

    @Option(name: .long, help: ArgumentHelp("Serial baud rate (default 115200).", valueName: "n"))
    var baud: Int?

    @Option(name: .long, help: ArgumentHelp("Serial parity: none, even or odd (default none).", valueName: "parity"))
    var parity: SerialSettings.Parity?

    @Flag(name: .long, help: "Switch the serial adapter into kernel RS-485 mode.")
    var rs485 = false

    @Option(name: .customLong("protocol"), help: ArgumentHelp("What the serial link speaks: rct (default) or modbus (the RS-485 terminal X102; read-only, 9600 8N1 unless --baud/--parity).", valueName: "protocol"))
    var linkProtocol: LinkProtocol?

    @Option(name: .long, help: ArgumentHelp("Modbus slave address of the inverter (default 1).", valueName: "n"))
    var modbusAddress: Int?

    @Option(name: .long, help: ArgumentHelp("Inverter's Wi-Fi/LAN module: host or host:port.", valueName: "host"))
    var host: String?

    @Option(name: .long, help: ArgumentHelp("TCP port when --host names none (default 8899).", valueName: "n"))
    var port: UInt16?

    @Flag(name: .long, help: "Talk to a built-in simulated inverter instead of a real one.")
    var simulator = false

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for each answer (default 2).", valueName: "seconds"))
    var timeout: Double?

    @Option(name: .long, help: ArgumentHelp("Extra attempts for a read that got no answer (default 2).", valueName: "n"))
    var retries: Int?

    @Option(name: .long, help: ArgumentHelp("Seconds to keep between the end of one exchange and the next request (default 0).", valueName: "seconds"))
    var gap: Double?

    @Flag(name: .long, help: "Machine-readable JSON output.")
    var json = false

    @Flag(name: .long, help: "Print every frame sent and received on stderr, as hex and decoded.")
    var trace = false

    @Option(name: .long, help: ArgumentHelp("Also write every byte sent and received to this pcap file (link type USER0), for Wireshark and 'rct decode'.", valueName: "file"), completion: .file())
    var tracePcap: String?

    @Flag(name: .short, help: "Say more about what happens.")
    var verbose = false

    func validate() throws {
        if let timeout, !(timeout > 0 && timeout <= 600) {
            throw ValidationError("--timeout must be more than 0 and at most 600 seconds")
        }
        if let gap, !(0...10).contains(gap) {
            throw ValidationError("--gap must be 0 to 10 seconds")
        }
        if let retries, !(0...10).contains(retries) {
            throw ValidationError("--retries must be 0 to 10")
        }
        if let baud, !(50...12_000_000).contains(baud) {
            throw ValidationError("--baud must be between 50 and 12000000")
        }
        if port == 0 { throw ValidationError("--port must be 1 to 65535") }
        if let modbusAddress, !(1...247).contains(modbusAddress) {
            throw ValidationError("--modbus-address must be 1 to 247")
        }
        if simulator && (device != nil || host != nil) {
            throw ValidationError("--simulator cannot be combined with --device or --host")
        }
    }

    /// The serial line settings asked for.
    var serialSettings: SerialSettings {
        SerialSettings(baudRate: baud ?? 115_200, parity: parity ?? .none, rs485: rs485)
    }

    /// The client policy asked for.
    var clientOptions: Client.Options {
        Client.Options(timeout: timeout ?? 2, retries: retries ?? 2, minimumGap: gap ?? 0)
    }
}

extension SerialSettings.Parity: ExpressibleByArgument {}

/// The protocol a serial link speaks.
enum LinkProtocol: String, CaseIterable, ExpressibleByArgument {
    /// The RCT Power serial protocol (the Wi-Fi module's UART, or a link that carries it).
    case rct
    /// Modbus RTU, as the RS-485 terminal X102 speaks it: read-only.
    case modbus
}

extension ConnectionOptions {
    /// Takes every option not given here from `file` (a config file's options).
    mutating func fill(from file: ConnectionOptions) {
        device = device ?? file.device
        linkProtocol = linkProtocol ?? file.linkProtocol
        modbusAddress = modbusAddress ?? file.modbusAddress
        baud = baud ?? file.baud
        parity = parity ?? file.parity
        rs485 = rs485 || file.rs485
        host = host ?? file.host
        port = port ?? file.port
        simulator = simulator || file.simulator
        timeout = timeout ?? file.timeout
        retries = retries ?? file.retries
        gap = gap ?? file.gap
        json = json || file.json
        trace = trace || file.trace
        tracePcap = tracePcap ?? file.tracePcap
        verbose = verbose || file.verbose
    }
}
