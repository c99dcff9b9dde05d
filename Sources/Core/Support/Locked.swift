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
        // Adaptive: a waiter spins briefly before sleeping. The sections guarded here are a few hundred
        // nanoseconds, so a contended lock is usually free again before a futex sleep would even begin.
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
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

/// A value read on every request and rarely replaced (the current settings snapshot, the credential
/// cache), behind a pthread read-write lock: readers on different acceptor threads never wait for each
/// other, so the hot path never sleeps on a futex.
// @unchecked Sendable: reads hold the lock shared, writes hold it exclusively.
public final class ReadMostly<Value>: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    public func read<T>(_ body: (Value) throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(value)
    }

    public func write<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(&value)
    }
}
