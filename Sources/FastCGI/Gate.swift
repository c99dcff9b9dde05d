import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Counts requests in flight: `tryEnter()` takes a place unless `limit` are in flight or the gate is closed
/// (shutdown), `leave()` frees one.
///
/// Lock-free: every acceptor thread touches it twice per request. (`Synchronization.Mutex` on Linux is a
/// priority-inheritance futex that enters the kernel whenever it is contended.)
final class Gate: Sendable {
    private let limit: Int
    private let count = Atomic<Int>(0)
    private let closed = Atomic<Bool>(false)

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a place without waiting; false when the gate is full or closed.
    func tryEnter() -> Bool {
        if closed.load(ordering: .acquiring) { return false }
        var current = count.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = count.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func leave() {
        count.subtract(1, ordering: .acquiringAndReleasing)
    }

    /// Refuses new entries.
    func close() {
        closed.store(true, ordering: .releasing)
    }

    var isClosed: Bool { closed.load(ordering: .acquiring) }

    var inFlight: Int { count.load(ordering: .acquiring) }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
