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
// @unchecked Sendable: `state` is only touched under `mutex` (a plain pthread mutex: Synchronization.Mutex
// is a priority-inheritance futex on Linux, which enters the kernel on every contended lock).
final class LoopExecutor: TaskExecutor, @unchecked Sendable {
    let wakeFD: Int32

    private struct State {
        var jobs: [UnownedJob] = []
        /// The owning thread is (about to be) blocked in epoll_wait and needs the eventfd to wake up.
        var sleeping = false
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var _state = State()

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

    private func withState<T>(_ body: (inout State) -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(&_state)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let wake = withState { s in
            s.jobs.append(job)
            defer { s.sleeping = false }
            return s.sleeping
        }
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
            let batch = withState { s in
                defer { s.jobs.removeAll(keepingCapacity: true) }
                return s.jobs
            }
            if batch.isEmpty { return }
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    /// Marks the thread as about to wait; false (and not marked) when there is work to do first.
    func prepareToWait() -> Bool {
        withState { s in
            if !s.jobs.isEmpty { return false }
            s.sleeping = true
            return true
        }
    }

    /// After a wait: clears the mark, and the eventfd's counter when the wait reported it readable (reading
    /// it otherwise is a wasted system call per request: the counter is zero and the read fails).
    func finishedWaiting(wakeFDReadable: Bool) {
        withState { $0.sleeping = false }
        guard wakeFDReadable else { return }
        var count: UInt64 = 0
        _ = read(wakeFD, &count, 8)
    }
}
