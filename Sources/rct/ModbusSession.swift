import RCTProtocol
import RCTTransport

/// Opening a Modbus link for a command, and refusing what Modbus cannot do.
enum ModbusSession {
    /// Opens the serial link the options (or RCT_DEVICE, the config file, discovery) name,
    /// as Modbus RTU: 9600 baud unless a rate was given, slave address 1 unless told.
    static func open(_ options: ConnectionOptions) throws -> ModbusLink {
        let plan = try LinkPlan.choose(options)
        guard let device = plan.device, !plan.simulator else {
            throw Failure("Modbus runs on the inverter's RS-485 terminal: give the serial adapter with --device; --host and --simulator speak the RCT protocol",
                          status: .badInput)
        }
        var settings = plan.settings
        if !plan.baudGiven { settings.baudRate = ModbusLink.defaultSettings.baudRate }
        do {
            let link = try ModbusLink(path: device, settings: settings, address: options.modbusAddress ?? 1,
                                      timeout: options.clientOptions.timeout)
            if options.verbose {
                Console.error("rct: using Modbus on \(device) at \(settings.baudRate) baud, slave \(link.address) (\(plan.origin))")
            }
            return link
        } catch {
            throw Failure(error)
        }
    }

    /// Refuses `command` before anything is opened or sent when the link speaks Modbus.
    /// Commands that write get the reason writes cannot work there.
    static func refuse(_ command: String, writes: Bool, _ options: ConnectionOptions) throws {
        guard try LinkPlan.linkProtocol(options) == .modbus else { return }
        if writes {
            throw Failure("\(command) is not possible over Modbus: no writable registers are publicly documented for the RS-485 terminal; writes need the Wi-Fi/LAN link (--host)",
                          status: .badInput)
        }
        throw Failure("\(command) is not available over Modbus, which only answers what is asked; use the RCT protocol link (--host, or a serial link that carries it)",
                      status: .badInput)
    }
}
