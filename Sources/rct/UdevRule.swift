import RCTTransport

/// A udev rule for one adapter: stable /dev/rct-<serial> link, dialout access, ModemManager kept away.
enum UdevRule {
    /// The port meant: the one named, or the only USB adapter.
    static func pick(_ path: String?, from ports: [SerialPortInfo]) throws -> SerialPortInfo {
        if let path {
            guard let port = ports.first(where: { $0.path == path || $0.byID == path }) else {
                throw Failure("no serial port \(path) found; 'rct devices' lists them", status: .unavailable)
            }
            return port
        }
        let adapters = ports.filter(\.isUSB)
        guard adapters.count == 1 else {
            throw Failure(adapters.isEmpty ? "no USB serial adapter found" : "several USB serial adapters found; name one", status: .unavailable)
        }
        return adapters[0]
    }

    /// The rule text.
    static func make(for port: SerialPortInfo) throws -> String {
        guard let vendor = port.vendorID, let product = port.productID else {
            throw Failure("\(port.path) is not a USB adapter; udev rules here match USB ids", status: .badInput)
        }
        guard let serial = port.serial, serial.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw Failure("\(port.path) reports no usable serial number; use the generic rules in udev/ instead", status: .unavailable)
        }
        return """
        # rct: \(port.manufacturer ?? "") \(port.product ?? "") on \(port.path); save as /etc/udev/rules.d/61-rct-local.rules
        SUBSYSTEM=="tty", ATTRS{idVendor}=="\(vendor)", ATTRS{idProduct}=="\(product)", ATTRS{serial}=="\(serial)", SYMLINK+="rct-\(serial)", GROUP="dialout", MODE="0660", ENV{ID_MM_DEVICE_IGNORE}="1"
        """
    }
}
