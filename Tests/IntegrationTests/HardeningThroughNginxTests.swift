import Foundation
import Testing
import TestSupport

/// What an adversarial review of the running stack found (issue 12), each checked through real nginx.
@Suite struct HardeningThroughNginxTests {
    /// A valid account body padded with JSON whitespace to exactly `size` bytes (an empty body when `size` is 0).
    static func paddedAccount(_ id: String, size: Int) -> String {
        if size == 0 { return "" }
        let head = #"{"provider":"openai","id":"\#(id)""#
        return head + String(repeating: " ", count: max(0, size - head.utf8.count - 1)) + "}"
    }

    /// Closing the connection the moment the body was read raced nginx, which was still writing the end of
    /// the request: nginx got EPIPE and answered 503 for a write that had committed. 500 writes of every size
    /// up to the 1 MiB cap, four at a time: no 5xx, and every answer agrees with what is stored.
    @Test func everyWriteOfEverySizeIsAnsweredAsItWasStored() throws {
        let stack = try Stack(label: "writes")
        let total = 500
        let answers = Shared([Int: Int]())
        concurrently(4) { worker in
            for i in stride(from: worker, to: total, by: 4) {
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
