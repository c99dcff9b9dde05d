#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// SIGTERM/SIGINT handling for a threaded responder.
///
/// libfcgi's own handler only sets a flag, and threads blocked in `accept()` never look at it. Instead:
/// block both signals in every thread (call `block()` first thing, before any thread exists, so every
/// thread inherits the mask) and receive them synchronously in one thread with `sigwait`.
public enum TerminationSignals {
    /// Blocks SIGTERM and SIGINT in the calling thread and every thread it creates later; ignores SIGPIPE
    /// (a web server that went away must be a write error, not the death of the process).
    public static func block() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Starts a thread that waits for SIGTERM or SIGINT and calls `action` once with the signal number.
    public static func onTermination(_ action: @escaping @Sendable (Int32) -> Void) {
        Thread.detach {
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGTERM)
            sigaddset(&set, SIGINT)
            var received: Int32 = 0
            while sigwait(&set, &received) != 0 {}
            action(received)
        }
    }
}
