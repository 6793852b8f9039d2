#if canImport(Glibc)
import Glibc
#endif

/// Sleeps the calling thread for `seconds` (nothing for zero or less).
public func usleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    usleep(useconds_t(seconds * 1_000_000))
}
