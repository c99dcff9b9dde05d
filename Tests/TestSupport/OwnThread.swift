import Foundation
import Testing

/// Runs a test's synchronous parts on a thread of its own instead of the cooperative pool. Swift Testing calls a
/// synchronous test function from an async context, so a test that starts a stack, waits on a socket or runs a
/// process blocks one of the pool's two threads (on this machine) for seconds; two of them at once starved every
/// other suite's tasks (an unrelated curl test waited 20 s for its request to be sent, in full-suite runs). The
/// integration suites carry this trait. At most `Slots.integration` of them run at once: the pool's two threads
/// used to be the limit, and with none every stack started at once and each took too long to come up.
public struct OwnThread: TestTrait, SuiteTrait, TestScoping {
    public init() {}

    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil || !test.isSuite else { return try await function() }
        await Slots.integration.acquire()
        let executor = ThreadExecutor(name: "test-\(test.name)")
        do {
            try await withTaskExecutorPreference(executor) { try await function() }
        } catch {
            executor.shutdown()
            await Slots.integration.release()
            throw error
        }
        executor.shutdown()
        await Slots.integration.release()
    }
}

extension Trait where Self == OwnThread {
    public static var ownThread: Self { OwnThread() }
}

/// A counting semaphore for tasks: `acquire` waits (suspended, holding no thread) while all slots are taken.
public actor Slots {
    public static let integration = Slots(3)
    private var free: Int
    private var queue: [CheckedContinuation<Void, Never>] = []

    public init(_ count: Int) { free = count }

    public func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { queue.append($0) }
    }

    public func release() {
        if queue.isEmpty { free += 1 } else { queue.removeFirst().resume() }
    }
}

/// A task executor that is one thread: jobs run in the order they arrive, until `shutdown()`.
public final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `jobs` and `done` are only touched under `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var done = false

    public init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once the jobs already queued have run.
    public func shutdown() {
        condition.lock()
        done = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !done { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
