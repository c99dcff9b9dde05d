import CFastCGI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A minimal joinable POSIX thread. Foundation's `Thread` cannot be joined.
struct Thread: Sendable {
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    let handle: pthread_t

    /// Starts `body` on a new thread, named `name` (at most 15 bytes; shown by `top -H` and in /proc).
    static func spawn(name: String? = nil, _ body: @escaping @Sendable () -> Void) -> Thread {
        let box = Unmanaged.passRetained(Box {
            if let name { _ = sb_set_thread_name(String(name.prefix(15))) }
            body()
        }).toOpaque()
        var handle = pthread_t()
        let rc = pthread_create(&handle, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        return Thread(handle: handle)
    }

    static func detach(_ body: @escaping @Sendable () -> Void) {
        pthread_detach(spawn(body).handle)
    }

    func join() { pthread_join(handle, nil) }
}
