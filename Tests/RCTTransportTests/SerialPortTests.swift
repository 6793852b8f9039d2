import Foundation
import RCTSimulator
import RCTTestSupport
@testable import RCTTransport
import Testing

@Suite("Serial port (termios) on a pseudo-terminal", .serialized)
struct SerialPortTests {
    @Test("A second opener fails fast with 'in use'")
    func exclusive() throws {
        let fake = try FakeInverter.onPseudoTerminal()
        defer { fake.stop() }
        let first = try SerialPort(path: fake.address)
        defer { first.close() }
        let error = #expect(throws: TransportError.self) { try SerialPort(path: fake.address) }
        guard case .busy? = error else { Issue.record("got \(String(describing: error))"); return }
        first.close()
        // Once closed, the port is free again.
        try openOnceReleased(fake.address).close()
    }

    static let lineSettings = [SerialSettings(), SerialSettings(baudRate: 9600, dataBits: 7, parity: .even, stopBits: 2),
                               SerialSettings(baudRate: 19200, dataBits: 5, parity: .odd)]

    @Test("The termios flags follow the line settings", arguments: lineSettings)
    func lineFlags(settings: SerialSettings) {
        var original = termios()
        original.c_cflag = tcflag_t(CRTSCTS) | tcflag_t(CS8)
        original.c_lflag = tcflag_t(ICANON) | tcflag_t(ECHO)
        original.c_iflag = tcflag_t(IXON)
        let options = SerialPort.lineOptions(from: original, settings: settings)
        let sizes = [5: tcflag_t(CS5), 6: tcflag_t(CS6), 7: tcflag_t(CS7), 8: tcflag_t(CS8)]
        #expect(options.c_cflag & tcflag_t(CSIZE) == sizes[settings.dataBits])
        #expect((options.c_cflag & tcflag_t(PARENB) != 0) == (settings.parity != .none))
        #expect((options.c_cflag & tcflag_t(PARODD) != 0) == (settings.parity == .odd))
        #expect((options.c_cflag & tcflag_t(CSTOPB) != 0) == (settings.stopBits == 2))
        #expect(options.c_cflag & tcflag_t(CRTSCTS) == 0)
        #expect(options.c_cflag & tcflag_t(CLOCAL) != 0 && options.c_cflag & tcflag_t(CREAD) != 0)
        #expect(options.c_lflag & (tcflag_t(ICANON) | tcflag_t(ECHO)) == 0)
        #expect(options.c_iflag & tcflag_t(IXON) == 0)
    }

    @Test("On a real terminal: raw mode and speed applied, original settings restored on close", arguments: lineSettings)
    func settingsAppliedAndRestored(settings: SerialSettings) throws {
        let fake = try FakeInverter.onPseudoTerminal()
        defer { fake.stop() }
        // Start from a cooked terminal, as a freshly plugged adapter is.
        let fd = open(fake.address, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        var cooked = try attributes(fake.address)
        cooked.c_lflag |= tcflag_t(ICANON) | tcflag_t(ECHO)
        tcsetattr(fd, TCSANOW, &cooked)
        close(fd)
        let before = try attributes(fake.address)
        let port = try SerialPort(path: fake.address, settings: settings)
        var during = try attributes(fake.address)
        #expect(during.c_lflag & (tcflag_t(ICANON) | tcflag_t(ECHO)) == 0)
        #expect(cfgetospeed(&during) == SerialPort.standardSpeed(settings.baudRate))
        port.close()
        let after = try attributes(fake.address)
        #expect(after.c_cflag == before.c_cflag && after.c_lflag == before.c_lflag && after.c_iflag == before.c_iflag)
    }

    @Test("A rate without a termios constant goes through termios2")
    func arbitraryRate() throws {
        let fake = try FakeInverter.onPseudoTerminal()
        defer { fake.stop() }
        let port = try SerialPort(path: fake.address, settings: SerialSettings(baudRate: 250_000))
        defer { port.close() }
        let client = Client(transport: port, options: .init(timeout: 1))
        #expect(try client.read(object("battery.soc")) == .float(0.55))
    }

    @Test("RS-485 mode on an adapter without it says so")
    func rs485Unsupported() throws {
        let fake = try FakeInverter.onPseudoTerminal()
        defer { fake.stop() }
        let error = #expect(throws: TransportError.self) { try SerialPort(path: fake.address, settings: SerialSettings(rs485: true)) }
        #expect(error?.description.contains("not supported by this adapter") == true)
        // The failed open released the port.
        try openOnceReleased(fake.address).close()
    }

    @Test("Missing ports, non-terminals and bad settings give clear errors")
    func openErrors() throws {
        let missing = #expect(throws: TransportError.self) { try SerialPort(path: "/dev/ttyDOESNOTEXIST") }
        #expect(missing?.description.contains("no serial port at /dev/ttyDOESNOTEXIST") == true)
        let notTTY = #expect(throws: TransportError.self) { try SerialPort(path: "/dev/null") }
        #expect(notTTY?.description.contains("is not a serial port") == true)
        #expect(throws: TransportError.invalidSettings("data bits must be 5 to 8; got 9")) {
            try SerialPort(path: "/dev/null", settings: SerialSettings(dataBits: 9))
        }
    }

    @Test("Pseudo-terminals opened on many threads at once each know their own path")
    func concurrentTerminals() async throws {
        let terminals = try await withThrowingTaskGroup(of: [PseudoTerminal].self) { group in
            for _ in 0..<4 { group.addTask { try (0..<100).map { _ in try PseudoTerminal.openRaw() } } }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        defer { for terminal in terminals { close(terminal.master); close(terminal.slave) } }
        #expect(Set(terminals.map(\.path)).count == terminals.count)
        for terminal in terminals {
            var named = stat(), opened = stat()
            #expect(stat(terminal.path, &named) == 0 && fstat(terminal.slave, &opened) == 0)
            #expect(named.st_rdev == opened.st_rdev, "\(terminal.path) names another terminal")
        }
    }

    /// Opens `path`, waiting up to two seconds for its lock to be released. A child that a
    /// concurrent test is spawning holds a copy of every descriptor, a just-closed port's
    /// included, until its exec drops the close-on-exec ones; a port that stays locked still fails.
    private func openOnceReleased(_ path: String) throws -> SerialPort {
        let deadline = Date().addingTimeInterval(2)
        while true {
            do {
                return try SerialPort(path: path)
            } catch {
                guard case .busy = error, Date() < deadline else { throw error }
                usleep(10_000)
            }
        }
    }

    private func attributes(_ path: String) throws -> termios {
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw TransportError.unavailable("cannot open \(path)") }
        defer { close(fd) }
        var options = termios()
        tcgetattr(fd, &options)
        return options
    }
}
