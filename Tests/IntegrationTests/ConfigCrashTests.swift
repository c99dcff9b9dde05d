import Foundation
@testable import Storage
import TestSupport
import Testing

/// Durability of the settings document under `kill -9`, through real nginx.
@Suite(.ownThread) struct ConfigCrashTests {
    /// 8 writers patch in a loop; the responder is killed with SIGKILL 10 times at random moments and
    /// restarted. Every patch answered 200 must be in its revision afterwards, revisions have no gaps, and
    /// SQLite's integrity check passes.
    @Test func everyAcknowledgedPatchSurvivesKillNine() throws {
        let stack = try Stack(label: "config-crash")
        let acknowledged = Shared<[(revision: Int, value: String)]>([])
        let failures = Shared<Int>(0)
        let running = Shared<Bool>(true)

        let writers = DispatchGroup()
        for writer in 0..<8 {
            writers.enter()
            Thread.detachNewThread {
                defer { writers.leave() }
                var n = 0
                while running.current {
                    n += 1
                    let value = "writer \(writer) patch \(n)"
                    guard let etag = try? stack.http.send("GET", "/api/config", headers: [stack.auth], timeout: 5).header("ETag") else {
                        failures.withLock { $0 += 1 }; usleep(20_000); continue
                    }
                    guard let reply = try? stack.patchConfig(#"{"agents":{"main":{"instructions":"\#(value)"}}}"#, ifMatch: etag) else {
                        failures.withLock { $0 += 1 }; continue
                    }
                    if reply.status == 200, let revision = reply.json["revision"] as? Int {
                        acknowledged.withLock { $0.append((revision, value)) }
                    } else if reply.status != 412 {
                        failures.withLock { $0 += 1 }   // 502 while the responder is down
                        usleep(20_000)
                    }
                }
            }
        }

        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10 {
            usleep(UInt32.random(in: 150_000...600_000, using: &generator))
            stack.killResponder()
            try stack.restartResponder()
        }
        usleep(300_000)
        running.withLock { $0 = false }
        writers.wait()

        let acks = acknowledged.current
        print("crash test: \(acks.count) patches acknowledged, \(failures.current) requests failed during 10 kills")
        #expect(acks.count >= 20, "the storm must have written something: \(acks.count) acknowledged")
        #expect(failures.current > 0, "the kills must have landed while requests were in flight")

        // Every acknowledged patch is in the revision its answer named.
        for ack in acks {
            let reply = try stack.http.send("GET", "/api/config/history/\(ack.revision)", headers: [stack.auth])
            #expect(reply.status == 200 && reply.config("/agents/main/instructions") as? String == ack.value,
                    "revision \(ack.revision) should hold \"\(ack.value)\"")
        }
        #expect(Set(acks.map(\.revision)).count == acks.count, "no revision was acknowledged twice")

        // Revisions 1...head with no gaps.
        var revisions: [Int] = []
        var before: Int?
        repeat {
            let query = before.map { "?limit=200&before=\($0)" } ?? "?limit=200"
            let page = try stack.http.send("GET", "/api/config/history\(query)", headers: [stack.auth])
            revisions += ((page.json["revisions"] as? [[String: Any]]) ?? []).compactMap { $0["revision"] as? Int }
            before = page.json["nextBefore"] as? Int
        } while before != nil
        let head = try #require(revisions.first)
        #expect(revisions == Array((1...head).reversed()), "revisions have gaps or duplicates")
        #expect(head >= acks.map(\.revision).max() ?? 0)

        stack.stop()
        let database = try AppDatabase.open(path: stack.state.appendingPathComponent("switchboard.sqlite").path)
        #expect(try database.integrityCheck() == "ok")
        // A kill between a commit and the write of the audit head leaves the head behind, which verify accepts.
        let audit = try database.verifyAuditLog()
        #expect(audit.ok, "\(audit)")
    }
}
