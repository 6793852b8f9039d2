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
                JSONLine.print(ports.map(PortRecord.init))
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

/// A serial port of `rct devices --json`; what udev does not know is null.
private struct PortRecord: Encodable {
    let path: String
    let byID: OrNull<String>
    let vendorID: OrNull<String>
    let productID: OrNull<String>
    let manufacturer: OrNull<String>
    let product: OrNull<String>
    let serial: OrNull<String>
    let driver: OrNull<String>

    private enum CodingKeys: String, CodingKey {
        case path, byID = "by_id", vendorID = "vendor_id", productID = "product_id", manufacturer, product, serial, driver
    }

    init(_ port: SerialPortInfo) {
        path = port.path
        byID = OrNull(port.byID)
        vendorID = OrNull(port.vendorID)
        productID = OrNull(port.productID)
        manufacturer = OrNull(port.manufacturer)
        product = OrNull(port.product)
        serial = OrNull(port.serial)
        driver = OrNull(port.driver)
    }
}
