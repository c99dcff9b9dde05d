import Foundation

/// Runs `body(0..<count)` on `count` real threads at once and waits for all of them.
///
/// Real threads, not GCD or tasks: the bodies block on sockets, and Linux's global queues and the
/// cooperative pool would run them a couple at a time.
public func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    startThreads(count, body).wait()
}

/// Starts `body(0..<count)` on `count` real threads and returns at once; `wait()` on the group joins them.
public func startThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) -> DispatchGroup {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread.detachNewThread {
            body(index)
            group.leave()
        }
    }
    return group
}

/// A value shared by test threads behind a lock.
public final class Shared<Value>: @unchecked Sendable {
    // @unchecked Sendable: every access holds `lock`.
    private let lock = NSLock()
    private var value: Value
    public init(_ value: Value) { self.value = value }
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
    public var current: Value { withLock { $0 } }
}

/// Polls `condition` until it holds or `seconds` have passed (a deadline for an event, not a measurement).
public func eventually(seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return true
}

/// Runs blocking work (a process, a socket, a long wait) on a thread of its own and awaits its result, so that
/// a test's blocking never holds one of the cooperative pool's few threads (two on this machine): other suites'
/// tasks in the same process would otherwise stall behind it.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
    }
}
