import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Counts requests in flight: `tryEnter()` takes a place unless `limit` are in flight or the gate is closed
/// (shutdown), `leave()` frees one.
final class Gate: Sendable {
    private struct State {
        var count = 0
        var closed = false
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a place without waiting; false when the gate is full or closed.
    func tryEnter() -> Bool {
        state.withLock { s in
            if s.closed || s.count >= limit { return false }
            s.count += 1
            return true
        }
    }

    func leave() {
        state.withLock { $0.count -= 1 }
    }

    /// Refuses new entries.
    func close() {
        state.withLock { $0.closed = true }
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    var inFlight: Int { state.withLock { $0.count } }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
