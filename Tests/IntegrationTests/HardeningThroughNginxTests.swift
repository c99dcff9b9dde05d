import Foundation
import Testing
import TestSupport

/// What an adversarial review of the running stack found (issue 12), each checked through real nginx.
@Suite(.ownThread) struct HardeningThroughNginxTests {
    /// A valid account body padded with JSON whitespace to exactly `size` bytes (an empty body when `size` is 0).
    static func paddedAccount(_ id: String, size: Int) -> String {
        if size == 0 { return "" }
        let head = #"{"provider":"openai","id":"\#(id)""#
        return head + String(repeating: " ", count: max(0, size - head.utf8.count - 1)) + "}"
    }

    /// Bodies up to the 1 MiB cap shaped to cost the most (deep, wide, many deep subtrees), from 8 clients at
    /// once to a public and an admin route: every one is answered as a client error, and health answers while
    /// they are in flight. Before, JSONValue tried every type at every level: four 24 KB bodies held every
    /// request thread and health waited 13 s.
    @Test func worstShapedBodiesDoNotHoldTheRequestThreads() throws {
        let stack = try Stack(label: "shapes")
        let cap = 1 << 20
        func repeated(_ unit: String, _ open: String = "[", _ close: String = "]") -> String {
            let count = (cap - open.utf8.count - close.utf8.count) / (unit.utf8.count + 1)
            return open + Array(repeating: unit, count: count).joined(separator: ",") + close
        }
        let shapes = [
            String(repeating: "[", count: cap),
            repeated(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)),
            repeated(String(repeating: "[", count: 63) + String(repeating: "]", count: 63)),
            repeated(String(repeating: #"{"a":"#, count: 63) + "1" + String(repeating: "}", count: 63)),
            repeated("0"),
            repeated(#"{"b":[1,{"c":[2]}]}"#, #"{"code":"ABC-DEF-GHJ","provider":"openai","x":["#, "]}"),
        ]
        let inFlight = Shared(0)
        let started = Shared(0)
        let statuses = Shared([Int]())
        let routes = ["/api/pairing/check", "/api/accounts", "/api/session"]
        let attackers = startThreads(8) { worker in
            for round in 0..<4 {
                let body = shapes[(worker + round) % shapes.count]
                let path = routes[(worker + round) % routes.count]
                inFlight.withLock { $0 += 1 }
                started.withLock { $0 += 1 }
                let reply = try? stack.http.send("POST", path, headers: [stack.auth, ("Content-Type", "application/json")], body: body, timeout: 90)
                inFlight.withLock { $0 -= 1 }
                statuses.withLock { $0.append(reply?.status ?? -1) }
            }
        }
        while started.current < 8 { usleep(1000) }
        var answeredDuringAttack = 0
        for _ in 0..<5 {
            let health = try stack.http.send("GET", "/api/health", timeout: 30)
            #expect(health.status == 200)
            if inFlight.current > 0 { answeredDuringAttack += 1 }
        }
        attackers.wait()
        #expect(answeredDuringAttack > 0, "health was only answered once the attack was over")
        let answered = statuses.current
        #expect(answered.count == 32)
        #expect(answered.allSatisfy { [400, 401, 409, 422, 429].contains($0) }, "\(answered.sorted())")
    }

    /// Closing the connection the moment the body was read raced nginx, which was still writing the end of
    /// the request: nginx got EPIPE and answered 503 for a write that had committed. 500 writes of every size
    /// up to the 1 MiB cap, eight at a time: no 5xx, and every answer agrees with what is stored.
    @Test func everyWriteOfEverySizeIsAnsweredAsItWasStored() throws {
        let stack = try Stack(label: "writes")
        let total = 500
        let answers = Shared([Int: Int]())
        concurrently(8) { worker in
            for i in stride(from: worker, to: total, by: 8) {
                let size = i * (1 << 20) / (total - 1)
                let id = "openai:w\(i)"
                let reply = try? stack.http.send("POST", "/api/accounts",
                                                 headers: [stack.auth, ("Content-Type", "application/json")],
                                                 body: Self.paddedAccount(id, size: size), timeout: 30)
                answers.withLock { $0[i] = reply?.status ?? -1 }
            }
        }
        let statuses = answers.current
        #expect(statuses.count == total)
        let failed = statuses.filter { $0.value < 200 || $0.value >= 500 }.sorted { $0.key < $1.key }
        #expect(failed.isEmpty, "answers that were not 2xx/4xx: \(failed.prefix(20))")
        #expect(statuses[0] == 400, "an empty body is refused")

        let listed = try stack.send("GET", "/api/accounts")
        let stored = Set(((listed.json["accounts"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
        for (i, status) in statuses {
            let id = "openai:w\(i)"
            if status == 201 {
                #expect(stored.contains(id), "\(id) was answered 201 but is not stored")
            } else {
                #expect(!stored.contains(id), "\(id) was answered \(status) but is stored")
            }
        }
        #expect(statuses.values.filter { $0 == 201 }.count == total - 1)
    }
}
