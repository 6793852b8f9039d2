#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The kernel's RS-485 mode, where the driver switches the transceiver's direction.
///
/// `struct serial_rs485` is eight 32-bit words: flags, the two RTS delays, padding.
enum RS485Mode {
    private static let setRequest = UInt(0x542F)  // TIOCSRS485
    private static let enabled: UInt32 = 1 << 0   // SER_RS485_ENABLED
    private static let rtsOnSend: UInt32 = 1 << 1 // SER_RS485_RTS_ON_SEND

    static func enable(on descriptor: Int32, path: String) throws(TransportError) {
        var words = [UInt32](repeating: 0, count: 8)
        words[0] = enabled | rtsOnSend
        let result = words.withUnsafeMutableBytes { ioctl(descriptor, setRequest, $0.baseAddress!) }
        guard result == 0 else {
            if errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP {
                throw .unsupported("RS-485 mode is not supported by this adapter (\(path)); leave out --rs485 for adapters that switch direction themselves")
            }
            throw .unsupported("cannot enable RS-485 mode on \(path): \(Errno(rawValue: errno))")
        }
    }
}
