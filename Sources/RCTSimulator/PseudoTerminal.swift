#if canImport(Glibc)
import Glibc
#endif
import RCTTransport

/// A new pseudo-terminal in raw mode, for serving an inverter on a serial path that
/// `rct --device` can open like a USB adapter.
public struct PseudoTerminal: Sendable {
    /// The side the simulated inverter reads and writes.
    public let master: Int32
    /// The serial side; keeping it open spares the master a hang-up between clients.
    public let slave: Int32
    /// The path of the serial side, such as /dev/pts/3.
    public let path: String

    /// Opens one. Raw mode, or the terminal would echo answers back as if they were
    /// requests. Both descriptors are close-on-exec, so no spawned program keeps the line open.
    public static func openRaw() throws(TransportError) -> PseudoTerminal {
        var master: Int32 = -1
        var slave: Int32 = -1
        guard openpty(&master, &slave, nil, nil, nil) == 0 else {
            throw .unavailable("cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(master, F_SETFD, FD_CLOEXEC)
        _ = fcntl(slave, F_SETFD, FD_CLOEXEC)
        var options = termios()
        tcgetattr(slave, &options)
        cfmakeraw(&options)
        tcsetattr(slave, TCSANOW, &options)
        // ttyname_r, not ttyname: ttyname's shared buffer lets two threads opening
        // terminals at once read each other's path.
        var name = [CChar](repeating: 0, count: Int(PATH_MAX))
        let failure = ttyname_r(slave, &name, name.count)
        guard failure == 0 else {
            close(master)
            close(slave)
            throw .unavailable("cannot name the pseudo-terminal: \(String(cString: strerror(failure)))")
        }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return PseudoTerminal(master: master, slave: slave, path: path)
    }
}
