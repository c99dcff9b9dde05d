import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A value behind a plain pthread mutex, for state read on every request (a cache pointer).
///
/// Not `Synchronization.Mutex`: on Linux that is a priority-inheritance futex, measured several times
/// slower under contention from the acceptor threads (bench/README.md).
// @unchecked Sendable: every access to `value` holds `mutex`.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
