#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A blocking FIFO for handing work to dedicated threads: `put` never blocks, `take` blocks until there is
/// an item or the queue is closed and empty (then nil).
// @unchecked Sendable: `items` and `closed` are guarded by `mutex`; items are Sendable.
final class WorkQueue<Item: Sendable>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let nonEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var items: [Item] = []
    private var head = 0
    private var closed = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(nonEmpty, nil)
    }

    deinit {
        pthread_cond_destroy(nonEmpty)
        pthread_mutex_destroy(mutex)
        nonEmpty.deallocate()
        mutex.deallocate()
    }

    func put(_ item: Item) {
        pthread_mutex_lock(mutex)
        items.append(item)
        pthread_cond_signal(nonEmpty)
        pthread_mutex_unlock(mutex)
    }

    func take() -> Item? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while head == items.count && !closed { pthread_cond_wait(nonEmpty, mutex) }
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head > 1024 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    /// Lets `take` return nil once the remaining items are taken.
    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(nonEmpty)
        pthread_mutex_unlock(mutex)
    }
}
