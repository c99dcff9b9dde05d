import Core
import Foundation
import Synchronization

/// Throttles failed guesses of secrets per client address (wrong admin tokens, pairing codes, OAuth states):
/// after `limit` failures within `window`, the address gets 429 until the oldest failure leaves the window.
/// Only failures count, and only failing callers are refused: valid credentials are never throttled.
///
/// In memory on purpose: it protects a running responder; a restart forgets it, and nginx's `limit_req`
/// on `/api/session` stands in front of it anyway.
public final class SignInThrottle: Sendable {
    private let limit: Int
    private let window: TimeInterval
    /// A pthread mutex, not `Synchronization.Mutex`: every bearer request checks this table, and the
    /// latter's priority-inheritance futex is slow under contention on Linux (bench/README.md).
    private let failures = Locked<[String: [Date]]>([:])
    /// How many addresses the table holds; zero (the normal case) lets a request skip the lock entirely.
    private let tracked = Atomic<Int>(0)

    public init(limit: Int = 10, window: TimeInterval = 60) {
        self.limit = limit
        self.window = window
    }

    /// Whether any address has failures on record: false (the normal case) means no address is throttled,
    /// known from one atomic load.
    public var isTracking: Bool { tracked.load(ordering: .acquiring) != 0 }

    /// Seconds until this address may try again; nil when it may try now.
    public func retryAfter(for address: String, now: Date = Date()) -> Int? {
        if tracked.load(ordering: .acquiring) == 0 { return nil }
        return failures.withLock { table -> Int? in
            guard var times = table[address] else { return nil }
            times.removeAll { now.timeIntervalSince($0) >= window }
            table[address] = times.isEmpty ? nil : times
            tracked.store(table.count, ordering: .releasing)
            guard times.count >= limit, let oldest = times.first else { return nil }
            return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    public func recordFailure(for address: String, now: Date = Date()) {
        failures.withLock { table in
            var times = table[address, default: []]
            times.removeAll { now.timeIntervalSince($0) >= window }
            times.append(now)
            table[address] = times
            // Bound the table: a flood of addresses must not grow memory without limit.
            if table.count > 10_000 {
                table = table.filter { $0.value.contains { now.timeIntervalSince($0) < window } }
            }
            tracked.store(table.count, ordering: .releasing)
        }
    }
}
