#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Ctrl-C, SIGTERM and SIGHUP, turned into a flag that every wait checks.
///
/// The handler only stores the signal number (async-signal-safe); the waits in
/// ``Client`` notice it within 100 ms and end with ``ClientError/interrupted(signal:)``.
public enum Interruption {
    private static let received = Atomic<Int32>(0)
    private static let first = Atomic<Int32>(0)

    /// Installs the handlers; until then signals keep their default effect.
    public static func install() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                Interruption.received.store(number, ordering: .relaxed)
                _ = Interruption.first.compareExchange(expected: 0, desired: number, ordering: .relaxed)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signalNumber, &action, nil)
        }
        // A launcher may hand us these signals blocked; they must reach the handler.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&unblock, signalNumber) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        // A peer that goes away must give an error, not kill the process.
        Glibc.signal(SIGPIPE, SIG_IGN)
    }

    /// The signal received, if any.
    public static var signal: Int32? {
        let number = received.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// The first signal received, even after ``acknowledge()``: a daemon that lets a part of
    /// itself take a signal in hand (a hand-back) still learns that it was asked to stop.
    public static var firstSignal: Int32? {
        let number = first.load(ordering: .relaxed)
        return number == 0 ? nil : number
    }

    /// Forgets a received signal, so a hand-back can run its own waits.
    public static func acknowledge() {
        received.store(0, ordering: .relaxed)
    }

    /// The name of a signal, e.g. `SIGINT`.
    public static func name(of number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "signal \(number)"
        }
    }
}
