import ArgumentParser
import RCTProtocol
import RCTTransport

/// `rct probe`: which protocol a serial line speaks, and at which settings.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Find out what a serial line speaks: the RCT protocol or Modbus RTU.",
        discussion: """
        Tries the RCT protocol at \(ProbeCommand.rctRates.map(String.init).joined(separator: ", ")) baud (8N1; one read of inverter_sn each), \
        then Modbus RTU at 9600 8N1, slave address 1 (one read of register 40075). Only reads are sent. \
        Each try waits --timeout seconds (default 0.5). Prints what answered and the options to use; \
        exits 75 when nothing answered.
        """)

    @OptionGroup var connection: ConnectionOptions

    private var device: String { connection.device ?? "" }
    private var timeout: Double { connection.timeout ?? 0.5 }
    private var rs485: Bool { connection.rs485 }
    private var json: Bool { connection.json }

    /// The rates tried for the RCT protocol, most likely first (115200 is assumed for the
    /// Wi-Fi module's UART; see Documentation/Wiring.md).
    static let rctRates = [115_200, 57_600, 38_400, 19_200, 9_600]

    /// One try and what came of it.
    struct Attempt: Codable {
        /// `rct` or `modbus`.
        let linkProtocol: String
        let baud: Int
        let answered: Bool
        /// What answered, or why not.
        let detail: String
        /// The options that reach the device this way, when it answered.
        let options: String?

        enum CodingKeys: String, CodingKey {
            case linkProtocol = "protocol", baud, answered, detail, options
        }

        /// The protocol as the text output names it.
        var protocolName: String { linkProtocol == "rct" ? "RCT protocol" : "Modbus RTU" }
    }

    func validate() throws {
        if connection.device == nil { throw ValidationError("give the serial device to probe with --device") }
        if connection.host != nil || connection.simulator { throw ValidationError("probe tries a serial line: give --device, not --host or --simulator") }
    }

    func run() throws {
        try reportingFailures {
            Interruption.install()
            var attempts: [Attempt] = []
            for rate in Self.rctRates {
                let attempt = try probeRCT(at: rate)
                report(attempt)
                attempts.append(attempt)
                if attempt.answered { break }
            }
            let modbus = try probeModbus()
            report(modbus)
            attempts.append(modbus)
            if json { JSONLine.print(attempts) }
            let found = attempts.filter(\.answered)
            if !json {
                Console.out(found.isEmpty
                    ? "nothing answered on \(device): check the wiring (A/B), the adapter, and that the interface is enabled on the inverter"
                    : found.map { "\($0.protocolName) answers: rct \($0.options ?? "")" }.joined(separator: "\n"))
            }
            return found.isEmpty ? .noAnswer : .success
        }
    }

    private func report(_ attempt: Attempt) {
        guard !json else { return }
        Console.error("rct: \(attempt.protocolName) at \(attempt.baud) baud 8N1: \(attempt.detail)")
    }

    private func probeRCT(at rate: Int) throws -> Attempt {
        let settings = SerialSettings(baudRate: rate, rs485: rs485)
        let port: SerialPort
        do {
            port = try SerialPort(path: device, settings: settings)
        } catch {
            throw Failure(error)
        }
        let client = Client(transport: port, options: Client.Options(timeout: timeout, retries: 0, minimumGap: 0))
        defer { port.close() }
        guard let serial = Registry.standard.object(named: "inverter_sn") else {
            throw Failure("the object table has no inverter_sn", status: .unavailable)
        }
        do {
            let value = try client.read(serial)
            return Attempt(linkProtocol: "rct", baud: rate, answered: true, detail: "answered (inverter_sn = \(ValueText.describe(value)))",
                           options: "--device \(device) --baud \(rate)" + (rs485 ? " --rs485" : ""))
        } catch {
            if case .interrupted = error { throw error }
            return Attempt(linkProtocol: "rct", baud: rate, answered: false, detail: "no answer", options: nil)
        }
    }

    private func probeModbus() throws -> Attempt {
        let settings = SerialSettings(baudRate: ModbusLink.defaultSettings.baudRate, rs485: rs485)
        guard let soc = ModbusRegisterMap.standard.register(named: "battery.soc") else {
            throw Failure("the Modbus register map has no battery.soc", status: .unavailable)
        }
        let options = "--protocol modbus --device \(device)" + (rs485 ? " --rs485" : "")
        do {
            let link = try ModbusLink(path: device, settings: settings, address: 1, timeout: timeout)
            let value = try link.read(soc).value
            return Attempt(linkProtocol: "modbus", baud: settings.baudRate, answered: true,
                           detail: "answered (register \(soc.address) = \(OutputText.value(value, of: soc)))", options: options)
        } catch {
            switch error {
            case .exception:
                // An exception response is Modbus too: the slave is there, the register is not.
                return Attempt(linkProtocol: "modbus", baud: settings.baudRate, answered: true,
                               detail: "answered with an exception (\(error.description))", options: options)
            case .interrupted: throw Failure(error)
            case .cannotOpen, .invalidSettings: throw Failure(error)
            default:
                return Attempt(linkProtocol: "modbus", baud: settings.baudRate, answered: false, detail: error.description, options: nil)
            }
        }
    }
}
