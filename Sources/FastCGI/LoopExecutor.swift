import CFastCGI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A task executor that runs its jobs on one acceptor thread.
///
/// Tasks for requests accepted by that thread prefer this executor, so a handler that never suspends
/// (most of the API) runs start to finish on the thread that read the request: no hand-off to another
/// thread, no context switch. A handler that does suspend (an upstream call) leaves the thread free; its
/// continuation comes back here through `enqueue`, which wakes the thread if it is waiting for connections.
// @unchecked Sendable: `jobs` and `sleeping` are guarded by `mutex`; the eventfd is thread-safe.
final class LoopExecutor: TaskExecutor, @unchecked Sendable {
    let wakeFD: Int32
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var jobs: [UnownedJob] = []
    private var sleeping = false

    init() {
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        precondition(wakeFD >= 0, "eventfd failed")
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        close(wakeFD)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        jobs.append(job)
        let wake = sleeping
        sleeping = false
        pthread_mutex_unlock(mutex)
        if wake { wakeUp() }
    }

    /// Interrupts the owning thread's wait (also used at shutdown).
    func wakeUp() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Runs every queued job, including those the jobs enqueue, on the calling (owning) thread.
    func runPending() {
        while true {
            pthread_mutex_lock(mutex)
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            pthread_mutex_unlock(mutex)
            if batch.isEmpty { return }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    /// Marks the thread as about to wait; false (and not marked) when there is work to do first.
    func prepareToWait() -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if !jobs.isEmpty { return false }
        sleeping = true
        return true
    }

    /// After a wait: clears the mark and the eventfd's counter.
    func finishedWaiting() {
        pthread_mutex_lock(mutex)
        sleeping = false
        pthread_mutex_unlock(mutex)
        var count: UInt64 = 0
        _ = read(wakeFD, &count, 8)
    }
}
