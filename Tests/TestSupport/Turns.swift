/// Tests that start many short processes (the fake CLIs, Python) and tests that watch a cooldown of a few
/// seconds through nginx take turns: on two cores, the first kind running beside the second made a 2-second
/// cooldown look like 5 (seen in full-suite runs). Everything else still runs in parallel with either.
/// All test targets run in one process, so this one lock covers them all.
public actor Turns {
    public static let shared = Turns()
    private var held = false
    private var queue: [CheckedContinuation<Void, Never>] = []

    public func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { queue.append($0) }
    }

    public func release() {
        if queue.isEmpty { held = false } else { queue.removeFirst().resume() }
    }

    /// Runs `body` on its turn.
    public static func take<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await shared.acquire()
        do {
            let value = try await body()
            await shared.release()
            return value
        } catch {
            await shared.release()
            throw error
        }
    }
}
