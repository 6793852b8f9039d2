#if canImport(Glibc)
import Glibc
#endif

/// Sleeps the calling thread.
func usleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    usleep(useconds_t(seconds * 1_000_000))
}
