import Foundation
import Storage

/// This process's decisions waiting for their outcome: found by id when the outcome comes here, and taken out
/// of flight when they expire, cheapest first (a binary heap on the expiry: a refresh looks at what expired,
/// not at every decision). At most `capacity` are kept: past it, the one that would expire first is let go
/// early, so a runtime that never reports outcomes cannot grow this without bound.
struct OpenDecisions: Sendable {
    static let capacity = 100_000

    private(set) var byID: [String: RouteDecisionRow] = [:]
    /// Expiry and id, a min-heap on the expiry; entries whose decision was reported are skipped when they surface.
    private var heap: [(at: Date, id: String)] = []

    var count: Int { byID.count }

    subscript(id: String) -> RouteDecisionRow? { byID[id] }

    /// Adds a decision; answers the ones let go to stay within capacity (they leave flight as if expired).
    mutating func insert(_ row: RouteDecisionRow) -> [RouteDecisionRow] {
        byID[row.id] = row
        push((row.expiresAt, row.id))
        var dropped: [RouteDecisionRow] = []
        while byID.count > Self.capacity, let first = popFirst() { dropped.append(first) }
        return dropped
    }

    mutating func remove(_ id: String) -> RouteDecisionRow? { byID.removeValue(forKey: id) }

    /// Takes out every decision whose expiry is at or before `now`.
    mutating func expire(at now: Date) -> [RouteDecisionRow] {
        var gone: [RouteDecisionRow] = []
        while let top = heap.first, top.at <= now {
            _ = pop()
            if let row = byID.removeValue(forKey: top.id) { gone.append(row) }
        }
        // Reported decisions leave their heap entries behind; rebuild when those are most of it.
        if heap.count > 1024 && heap.count > byID.count * 4 {
            heap = byID.values.map { ($0.expiresAt, $0.id) }
            for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        }
        return gone
    }

    private mutating func popFirst() -> RouteDecisionRow? {
        while let top = pop() {
            if let row = byID.removeValue(forKey: top.id) { return row }
        }
        return nil
    }

    private mutating func push(_ entry: (at: Date, id: String)) {
        heap.append(entry)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].at < heap[parent].at else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func pop() -> (at: Date, id: String)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
        return top
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count && heap[l].at < heap[smallest].at { smallest = l }
            if r < heap.count && heap[r].at < heap[smallest].at { smallest = r }
            if smallest == i { return }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }
}
