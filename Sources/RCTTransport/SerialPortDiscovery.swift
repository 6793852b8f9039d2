import CUdev
#if canImport(Glibc)
import Glibc
#endif

/// Finds serial ports through libudev.
///
/// Works with and without the udev database: where udev properties are missing (as in
/// containers) the attributes come from the parent USB device in sysfs. libudev handles
/// are created, used and released inside one call, on the calling thread; only
/// `Sendable` copies leave it.
public enum SerialPortDiscovery {
    /// The serial ports of this machine, best candidate first. Virtual terminals and
    /// the phantom `ttyS` ports of absent legacy UARTs are left out.
    public static func discover() throws(TransportError) -> [SerialPortInfo] {
        guard let udev = udev_new() else { throw .unavailable("cannot open libudev") }
        defer { udev_unref(udev) }
        guard let enumerate = udev_enumerate_new(udev) else { throw .unavailable("cannot enumerate devices") }
        defer { udev_enumerate_unref(enumerate) }
        udev_enumerate_add_match_subsystem(enumerate, "tty")
        udev_enumerate_scan_devices(enumerate)

        var ports: [SerialPortInfo] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            entry = udev_list_entry_get_next(current)
            guard let syspath = udev_list_entry_get_name(current),
                  let device = udev_device_new_from_syspath(udev, syspath) else { continue }
            defer { udev_device_unref(device) }
            if let port = describe(device) { ports.append(port) }
        }
        return ports.sorted(by: SerialPortInfo.preferredOrder)
    }

    private static func describe(_ device: OpaquePointer) -> SerialPortInfo? {
        guard let sysname = string(udev_device_get_sysname(device)) else { return nil }
        // Virtual terminals, ptmx and consoles have no parent device.
        guard let parent = udev_device_get_parent(device) else { return nil }
        if sysname.hasPrefix("ttyS") {
            let type = string(udev_device_get_sysattr_value(device, "type"))
            if type == nil || type == "0" { return nil }
        }
        let path = string(udev_device_get_devnode(device)) ?? "/dev/\(sysname)"
        var port = SerialPortInfo(path: path)
        port.byID = byIDLink(device)
        port.driver = property(device, "ID_USB_DRIVER") ?? driver(from: parent)

        let usb = udev_device_get_parent_with_subsystem_devtype(device, "usb", "usb_device")
        port.vendorID = property(device, "ID_VENDOR_ID") ?? usb.flatMap { attribute($0, "idVendor") }
        port.productID = property(device, "ID_MODEL_ID") ?? usb.flatMap { attribute($0, "idProduct") }
        port.manufacturer = property(device, "ID_VENDOR_ENC").map(unescape) ?? usb.flatMap { attribute($0, "manufacturer") }
            ?? property(device, "ID_VENDOR")
        port.product = property(device, "ID_MODEL_ENC").map(unescape) ?? usb.flatMap { attribute($0, "product") }
            ?? property(device, "ID_MODEL")
        port.serial = property(device, "ID_SERIAL_SHORT") ?? usb.flatMap { attribute($0, "serial") }
        port.vendorID = port.vendorID?.lowercased()
        port.productID = port.productID?.lowercased()
        return port
    }

    private static func driver(from parent: OpaquePointer) -> String? {
        var current: OpaquePointer? = parent
        while let device = current {
            // The generic "usb" driver and the serial core's own bus ("serial-base": port, ctrl)
            // say nothing about the adapter.
            let subsystem = string(udev_device_get_subsystem(device))
            if let name = string(udev_device_get_driver(device)), name != "usb", subsystem != "serial-base" { return name }
            current = udev_device_get_parent(device)
        }
        return nil
    }

    private static func byIDLink(_ device: OpaquePointer) -> String? {
        var entry = udev_device_get_devlinks_list_entry(device)
        while let current = entry {
            if let link = string(udev_list_entry_get_name(current)), link.hasPrefix("/dev/serial/by-id/") { return link }
            entry = udev_list_entry_get_next(current)
        }
        // Where the links are only known as a property (a recorded or copied database).
        return property(device, "DEVLINKS")?.split(separator: " ").map(String.init)
            .first { $0.hasPrefix("/dev/serial/by-id/") }
    }

    private static func property(_ device: OpaquePointer, _ key: String) -> String? {
        string(udev_device_get_property_value(device, key)).flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func attribute(_ device: OpaquePointer, _ key: String) -> String? {
        string(udev_device_get_sysattr_value(device, key)).map(trimmed).flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    /// udev's `_ENC` properties escape unsafe bytes as `\xNN`.
    static func unescape(_ text: String) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count, utf8[index + 1] == UInt8(ascii: "x"),
               let value = UInt8(String(decoding: utf8[(index + 2)...(index + 3)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return trimmed(String(decoding: bytes, as: UTF8.self))
    }

    /// `text` without the spaces and newlines sysfs and udev leave around values.
    private static func trimmed(_ text: String) -> String {
        let isPadding: (Character) -> Bool = { $0 == " " || $0 == "\n" }
        return String(text.drop(while: isPadding).reversed().drop(while: isPadding).reversed())
    }
}
