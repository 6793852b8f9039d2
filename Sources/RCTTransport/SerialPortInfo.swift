/// A serial port found on this machine, with what identifies its adapter.
public struct SerialPortInfo: Sendable, Hashable {
    /// The device node, e.g. `/dev/ttyUSB0`.
    public var path: String
    /// The stable `/dev/serial/by-id/...` link, if udev made one.
    public var byID: String?
    /// USB vendor id as four lower-case hex digits, e.g. `0403`.
    public var vendorID: String?
    /// USB product id as four lower-case hex digits.
    public var productID: String?
    /// The manufacturer string of the USB device.
    public var manufacturer: String?
    /// The product string of the USB device.
    public var product: String?
    /// The serial number string of the USB device.
    public var serial: String?
    /// The kernel driver, e.g. `ftdi_sio`.
    public var driver: String?

    /// A port record; discovery fills it in.
    public init(path: String, byID: String? = nil, vendorID: String? = nil, productID: String? = nil,
                manufacturer: String? = nil, product: String? = nil, serial: String? = nil, driver: String? = nil) {
        self.path = path
        self.byID = byID
        self.vendorID = vendorID
        self.productID = productID
        self.manufacturer = manufacturer
        self.product = product
        self.serial = serial
        self.driver = driver
    }

    /// The converter chip family, for the USB-serial and RS-485 chips people wire to inverters.
    public var chip: String? {
        switch vendorID {
        case "0403": "FTDI"
        case "1a86": "CH340/CH341"
        case "10c4": "CP210x"
        case "067b": "PL2303"
        default: nil
        }
    }

    /// Whether the port sits on a USB device at all.
    public var isUSB: Bool { vendorID != nil }

    /// Orders known converters first, then other USB ports, then the rest; by path within each.
    public static func preferredOrder(_ lhs: SerialPortInfo, _ rhs: SerialPortInfo) -> Bool {
        func rank(_ port: SerialPortInfo) -> Int { port.chip != nil ? 0 : port.isUSB ? 1 : 2 }
        return (rank(lhs), lhs.path) < (rank(rhs), rhs.path)
    }
}
