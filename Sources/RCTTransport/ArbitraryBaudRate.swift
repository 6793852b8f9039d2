#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Rates without a termios constant, set through Linux's termios2 (`BOTHER`).
///
/// `struct termios2` is not visible to Swift, so it is handled as its 44 raw bytes:
/// four flag words, the line discipline, 19 control characters, then input and
/// output speed. The layout and ioctl numbers are those of x86-64 and arm64.
enum ArbitraryBaudRate {
    private static let size = 44
    private static let getRequest = UInt(0x802C_542A)  // TCGETS2
    private static let setRequest = UInt(0x402C_542B)  // TCSETS2
    private static let cflagOffset = 8
    private static let inputSpeedOffset = 36
    private static let outputSpeedOffset = 40
    private static let baudMask: UInt32 = 0o010017      // CBAUD
    private static let inputBaudMask: UInt32 = 0o010017 << 16  // CIBAUD
    private static let other: UInt32 = 0o010000         // BOTHER

    static func apply(_ rate: Int, to descriptor: Int32, path: String) throws(TransportError) {
        var raw = [UInt8](repeating: 0, count: size)
        let got = raw.withUnsafeMutableBytes { ioctl(descriptor, getRequest, $0.baseAddress!) }
        guard got == 0 else { throw unsupported(rate, path) }
        let result = raw.withUnsafeMutableBytes { bytes -> Int32 in
            var cflag = bytes.load(fromByteOffset: cflagOffset, as: UInt32.self)
            cflag = (cflag & ~baudMask & ~inputBaudMask) | other
            bytes.storeBytes(of: cflag, toByteOffset: cflagOffset, as: UInt32.self)
            bytes.storeBytes(of: UInt32(rate), toByteOffset: inputSpeedOffset, as: UInt32.self)
            bytes.storeBytes(of: UInt32(rate), toByteOffset: outputSpeedOffset, as: UInt32.self)
            return ioctl(descriptor, setRequest, bytes.baseAddress!)
        }
        guard result == 0 else { throw unsupported(rate, path) }
    }

    private static func unsupported(_ rate: Int, _ path: String) -> TransportError {
        .unsupported("\(path) does not support \(rate) baud: \(Errno(rawValue: errno))")
    }
}
