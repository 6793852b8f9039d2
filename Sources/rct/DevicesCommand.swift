import ArgumentParser
import RCTTransport

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List serial ports, likely inverter adapters first.",
        discussion: "With --udev-rule, print a udev rule that gives the adapter a stable /dev/rct-<serial> name.")

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .customLong("udev-rule"), help: "Print a udev rule pinned to an adapter's serial number.")
    var udevRule = false

    @Argument(help: ArgumentHelp("With --udev-rule: the port (default: the only USB adapter).", valueName: "port"),
              completion: .file())
    var port: String?

    func run() throws {
        try reportingFailures {
            let ports = try SerialPortDiscovery.discover()
            if udevRule {
                Console.out(try UdevRule.make(for: try UdevRule.pick(port, from: ports)))
                return .success
            }
            if port != nil { throw Failure("a port is only taken with --udev-rule", status: .badInput) }
            if connection.json {
                Console.out(JSON.array(ports.map { port in
                    .object([("path", .string(port.path)), ("by_id", .optional(port.byID)),
                             ("vendor_id", .optional(port.vendorID)), ("product_id", .optional(port.productID)),
                             ("manufacturer", .optional(port.manufacturer)), ("product", .optional(port.product)),
                             ("serial", .optional(port.serial)), ("driver", .optional(port.driver))])
                }).text)
                return .success
            }
            if ports.isEmpty {
                Console.error("rct: no serial ports found; is the adapter plugged in? ('dmesg | tail' shows whether the kernel saw it)")
            }
            for port in ports {
                var parts = [port.path]
                if let chip = port.chip { parts.append(chip) }
                if let vendor = port.vendorID, let product = port.productID { parts.append("\(vendor):\(product)") }
                if let name = [port.manufacturer, port.product].compactMap({ $0 }).joined(separator: " ").nonEmpty { parts.append(name) }
                if let serial = port.serial { parts.append("serial \(serial)") }
                if let driver = port.driver { parts.append("driver \(driver)") }
                if let byID = port.byID { parts.append(byID) }
                Console.out(parts.joined(separator: "  "))
            }
            return .success
        }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
