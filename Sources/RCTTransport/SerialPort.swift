#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A serial line driven through termios: raw mode, exclusive, restored on close.
public final class SerialPort: Transport {
    /// The device path as opened.
    public let path: String
    /// The line settings in effect.
    public let settings: SerialSettings
    private var descriptor: FileDescriptor?
    private var original = termios()

    public var label: String { "\(path) (\(settings.summary))" }

    /// Opens `path` without becoming its controlling terminal, locks it against other
    /// programs, switches it to raw mode with `settings` and flushes stale bytes.
    public init(path: String, settings: SerialSettings = SerialSettings()) throws(TransportError) {
        try settings.validate()
        self.path = path
        self.settings = settings
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readWrite,
                                         options: [FileDescriptor.OpenOptions(rawValue: O_NOCTTY), .nonBlocking, .closeOnExec],
                                         retryOnInterrupt: true)
        } catch let error as Errno {
            throw Self.openError(error, path: path)
        } catch {
            throw .unavailable("cannot open \(path): \(error)")
        }
        do {
            try configure(fd)
        } catch {
            _ = try? fd.close()
            throw error
        }
        descriptor = fd
    }

    deinit { close() }

    private func configure(_ fd: FileDescriptor) throws(TransportError) {
        let raw = fd.rawValue
        // Advisory lock first: it holds even where TIOCEXCL is refused or bypassed (root).
        if flock(raw, LOCK_EX | LOCK_NB) != 0 {
            throw .busy("\(path) is in use by another program (it holds the port lock)")
        }
        guard tcgetattr(raw, &original) == 0 else {
            if errno == ENOTTY { throw .unavailable("\(path) is not a serial port") }
            throw .unavailable("cannot read the settings of \(path): \(Errno(rawValue: errno))")
        }
        if ioctl(raw, UInt(TIOCEXCL)) != 0 && errno != ENOTTY && errno != EINVAL {
            throw .busy("cannot get exclusive access to \(path): \(Errno(rawValue: errno))")
        }
        var options = Self.lineOptions(from: original, settings: settings)
        let standard = Self.standardRates[settings.baudRate]
        if let speed = standard {
            cfsetispeed(&options, speed)
            cfsetospeed(&options, speed)
        }
        guard tcsetattr(raw, TCSANOW, &options) == 0 else {
            throw .unsupported("\(path) refused the line settings \(settings.summary): \(Errno(rawValue: errno))")
        }
        if standard == nil {
            try ArbitraryBaudRate.apply(settings.baudRate, to: raw, path: path)
        }
        if settings.rs485 {
            try RS485Mode.enable(on: raw, path: path)
        }
        tcflush(raw, TCIOFLUSH)
    }


    /// The termios settings for `settings`: raw mode, receiver on, modem lines ignored,
    /// no flow control, with the asked-for character size, parity and stop bits.
    static func lineOptions(from original: termios, settings: SerialSettings) -> termios {
        var options = original
        cfmakeraw(&options)
        options.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
        options.c_cflag &= ~(tcflag_t(CSIZE) | tcflag_t(PARENB) | tcflag_t(PARODD) | tcflag_t(CSTOPB) | tcflag_t(CRTSCTS))
        let sizes: [Int: tcflag_t] = [5: tcflag_t(CS5), 6: tcflag_t(CS6), 7: tcflag_t(CS7), 8: tcflag_t(CS8)]
        options.c_cflag |= sizes[settings.dataBits] ?? tcflag_t(CS8)
        switch settings.parity {
        case .none: break
        case .even: options.c_cflag |= tcflag_t(PARENB)
        case .odd: options.c_cflag |= tcflag_t(PARENB) | tcflag_t(PARODD)
        }
        if settings.stopBits == 2 { options.c_cflag |= tcflag_t(CSTOPB) }
        options.c_iflag &= ~(tcflag_t(IXON) | tcflag_t(IXOFF) | tcflag_t(IXANY))
        withUnsafeMutableBytes(of: &options.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        return options
    }

    public func send(_ bytes: [UInt8], deadline: Deadline) throws(TransportError) {
        guard let fd = descriptor else { throw .disconnected("\(path) is closed") }
        var sent = 0
        while sent < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(fd.rawValue, buffer.baseAddress! + sent, bytes.count - sent)
            }
            if written > 0 {
                sent += written
                continue
            }
            if written < 0 && (errno == EAGAIN || errno == EINTR) {
                guard !deadline.hasPassed else { throw .timedOut("\(path) did not accept data in time") }
                var entry = pollfd(fd: fd.rawValue, events: Int16(POLLOUT), revents: 0)
                _ = poll(&entry, 1, deadline.pollTimeout())
                continue
            }
            throw lostError()
        }
        tcdrain(fd.rawValue)
    }

    public func receive(deadline: Deadline) throws(TransportError) -> [UInt8] {
        guard let fd = descriptor else { throw .disconnected("\(path) is closed") }
        var entry = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, deadline.pollTimeout())
        if ready < 0 {
            if errno == EINTR { return [] }
            throw lostError()
        }
        if ready == 0 { return [] }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(fd.rawValue, $0.baseAddress, $0.count) }
        if count > 0 { return Array(buffer[..<count]) }
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return [] }
        // A 0-byte read, EIO or ENXIO after poll said readable: the adapter is gone.
        throw lostError()
    }

    public func close() {
        guard let fd = descriptor else { return }
        descriptor = nil
        tcflush(fd.rawValue, TCIOFLUSH)
        tcsetattr(fd.rawValue, TCSANOW, &original)
        flock(fd.rawValue, LOCK_UN)
        _ = try? fd.close()
    }

    private func lostError() -> TransportError {
        .disconnected("lost \(path): the adapter went away (unplugged?)")
    }

    private static func openError(_ error: Errno, path: String) -> TransportError {
        switch error {
        case .noSuchFileOrDirectory:
            .unavailable("no serial port at \(path); 'rct devices' lists the ports found")
        case .permissionDenied, .notPermitted:
            .permissionDenied("permission denied opening \(path): add your user to the dialout group (sudo usermod -aG dialout $USER) and log in again, or install the udev rules")
        case .resourceBusy:
            .busy("\(path) is in use by another program")
        case .noSuchAddressOrDevice, .operationNotSupportedByDevice:
            .unavailable("\(path) exists but no device is behind it (adapter unplugged?)")
        default:
            .unavailable("cannot open \(path): \(error)")
        }
    }

    /// The termios constant for a standard rate, if it has one.
    public static func standardSpeed(_ rate: Int) -> speed_t? { standardRates[rate] }

    /// Rates termios names with a constant.
    static let standardRates: [Int: speed_t] = [
        50: speed_t(B50), 75: speed_t(B75), 110: speed_t(B110), 134: speed_t(B134), 150: speed_t(B150),
        200: speed_t(B200), 300: speed_t(B300), 600: speed_t(B600), 1200: speed_t(B1200), 1800: speed_t(B1800),
        2400: speed_t(B2400), 4800: speed_t(B4800), 9600: speed_t(B9600), 19200: speed_t(B19200),
        38400: speed_t(B38400), 57600: speed_t(B57600), 115_200: speed_t(B115200), 230_400: speed_t(B230400),
        460_800: speed_t(B460800), 500_000: speed_t(B500000), 576_000: speed_t(B576000), 921_600: speed_t(B921600),
        1_000_000: speed_t(B1000000), 1_152_000: speed_t(B1152000), 1_500_000: speed_t(B1500000),
        2_000_000: speed_t(B2000000), 2_500_000: speed_t(B2500000), 3_000_000: speed_t(B3000000),
        3_500_000: speed_t(B3500000), 4_000_000: speed_t(B4000000),
    ]
}
