#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A counting gate for in-flight requests: `enter()` blocks while `limit` requests are in flight,
/// `leave()` frees a place, `waitUntilEmpty(deadline:)` lets shutdown wait for the last one.
// @unchecked Sendable: every field is guarded by `mutex`; the pthread objects are never moved after init.
final class Gate: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let limit: Int
    private var count = 0
    private var closed = false

    init(limit: Int) {
        self.limit = max(1, limit)
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(changed, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Takes a place; false once the gate is closed (shutdown), without taking one.
    func enter() -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count >= limit && !closed { pthread_cond_wait(changed, mutex) }
        if closed { return false }
        count += 1
        return true
    }

    func leave() {
        pthread_mutex_lock(mutex)
        count -= 1
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// Refuses new entries and wakes everybody waiting to enter.
    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until `close()` has been called.
    func waitUntilClosed() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !closed { pthread_cond_wait(changed, mutex) }
    }

    var isClosed: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return closed
    }

    var inFlight: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return count
    }

    /// Waits until nothing is in flight or the deadline (CLOCK_MONOTONIC seconds) passes; returns what is left.
    func waitUntilEmpty(deadline: Double) -> Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        var until = timespec()
        until.tv_sec = Int(deadline)
        until.tv_nsec = Int((deadline - Double(Int(deadline))) * 1e9)
        while count > 0 {
            if pthread_cond_timedwait(changed, mutex, &until) == ETIMEDOUT { break }
        }
        return count
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
