#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own for one of the daemon's blocking loops (the MQTT connection, the
/// poller, commands, an action), so that a C library handle made on it stays on it and a
/// blocking wait holds no shared worker.
final class WorkerThread: Sendable {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private let thread: pthread_t

    /// Starts `body` on a new thread; nil if the system cannot make one.
    init?(_ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            let body = Unmanaged<Body>.fromOpaque(context).takeRetainedValue()
            // Ctrl-C, SIGTERM and SIGHUP go to the main thread, whose handler only sets a flag:
            // a blocking call here (libmosquitto's select) is not cut short by them.
            var signals = sigset_t()
            sigemptyset(&signals)
            for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, number) }
            pthread_sigmask(SIG_BLOCK, &signals, nil)
            body.run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
        self.thread = thread
    }

    /// Waits until the body has returned. Call once.
    func join() {
        pthread_join(thread, nil)
    }
}
