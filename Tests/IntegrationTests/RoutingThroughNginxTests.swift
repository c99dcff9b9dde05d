import Foundation
import Testing
import TestSupport

/// Routing through real nginx and the real responder, driven by a small agent runtime (Tests/fakes/runtime.py)
/// that loops route → call the HTTPS provider emulator with the credential it was handed → report the outcome
/// with the emulator's response headers. Cooldowns are shortened with `--cooldown-ladder` so a test can watch
/// one end; their lengths at the real ladder are checked in-process on an explicit clock (RoutingTests).
@Suite(.ownThread) struct RoutingThroughNginxTests {
    static let emulator = try! ProviderEmulator()

    struct Call: Sendable {
        var status: Int
        var account: String?
        var outcome: String?
        var pinned: Bool
        var fallbackFrom: String?
        /// The problem's type when routing refused.
        var problem: String?
    }

    /// A stack whose rate-limit cooldowns are 2 s, 4 s, 8 s, …, with a runtime token that is handed credentials.
    struct Routed: Sendable {
        let stack: Stack
        let runtime: String

        init(_ label: String, anthropic keys: [String: String]) throws {
            stack = try Stack(serveArguments: ["--outbound-ca-file", TestCA.files.caCertificate, "--allow-private-host", "localhost",
                                               "--cooldown-ladder", "2,4,8,16"], label: label)
            let created = try stack.cli("token create --name runtime --scope runtime --scope credentials")
            guard created.status == 0, let token = created.output.split(separator: "\n").first(where: { $0.hasPrefix("sbk_") }) else {
                throw StackFailure(description: "token create: \(created.output)")
            }
            runtime = String(token)
            for (id, key) in keys.sorted(by: { $0.key < $1.key }) {
                try account(id, key: key)
            }
        }

        func account(_ id: String, key: String) throws {
            let body = #"{"provider":"anthropic","id":"\#(id)","baseUrl":"\#(RoutingThroughNginxTests.emulator.baseURL)/anthropic","credential":{"kind":"api_key","apiKey":"\#(key)"}}"#
            let reply = try stack.send("POST", "/api/accounts", json: body)
            guard reply.status == 201 else { throw StackFailure(description: "create \(id): \(reply)") }
        }

        /// A stack, started on a thread of its own (starting nginx and the responder blocks).
        static func start(_ label: String, anthropic keys: [String: String]) async throws -> Routed {
            try await offPool { try Routed(label, anthropic: keys) }
        }

        /// Runs the test runtime `count` times, on a thread of its own; one entry per call.
        func run(_ count: Int, _ extra: String = "") async throws -> [Call] {
            try await offPool { try runBlocking(count, extra) }
        }

        func runBlocking(_ count: Int, _ extra: String) throws -> [Call] {
            let script = Paths.repoRoot.appendingPathComponent("Tests/fakes/runtime.py").path
            let result = try shell("python3 '\(script)' --api http://127.0.0.1:\(stack.port) --token '\(runtime)' --ca '\(TestCA.files.caCertificate)' --count \(count) --model anthropic/claude-sonnet-4-5 \(extra)")
            guard result.status == 0 else { throw StackFailure(description: "runtime: \(result.output)") }
            return result.output.split(separator: "\n").compactMap { line in
                guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return Call(status: o["status"] as? Int ?? 0, account: o["account"] as? String, outcome: o["outcome"] as? String,
                            pinned: o["pinned"] as? Bool ?? false, fallbackFrom: o["fallbackFrom"] as? String,
                            problem: (o["problem"] as? [String: Any])?["type"] as? String)
            }
        }

        func status() throws -> [String: [String: Any]] {
            let reply = try stack.http.send("GET", "/api/route/status?model=anthropic/claude-sonnet-4-5", headers: [("Authorization", "Bearer \(runtime)")])
            let rows = ((reply.json["models"] as? [[String: Any]])?.first?["accounts"] as? [[String: Any]]) ?? []
            return Dictionary(rows.map { ($0["account"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    static func counts(_ calls: [Call]) -> [String: Int] {
        calls.reduce(into: [:]) { $0[$1.account ?? "-", default: 0] += 1 }
    }

    @Test func threeAccountsShareThreeHundredCallsEvenlyAndTheKeysStayOutOfTheLogs() async throws {
        let r = try await Routed.start("routing-spread", anthropic: [
            "anthropic:a": "sk-ant-CANARYSECRET-route-a0123456789", "anthropic:b": "sk-ant-CANARYSECRET-route-b0123456789",
            "anthropic:c": "sk-ant-CANARYSECRET-route-c0123456789",
        ])
        let calls = try await r.run(300)
        #expect(calls.allSatisfy { $0.status == 200 && $0.outcome == "ok" })
        let seen = Self.counts(calls)
        #expect(Set(seen.keys) == ["anthropic:a", "anthropic:b", "anthropic:c"])
        #expect(seen.values.max()! - seen.values.min()! <= 2, "\(seen)")
        // The emulator got each key in its header only, for the dated model the undated name stands for.
        let messages = Self.emulator.received.filter { $0.uri.hasSuffix("/v1/messages") && $0.header("x-api-key")?.contains("-route-") == true }
        #expect(messages.count >= 300)
        #expect(messages.allSatisfy { $0.body.contains("claude-sonnet-4-5-20250929") })
        // Handed-out keys appear in no log.
        #expect(!r.stack.logs.contains("CANARYSECRET"))
        // The audit log says nothing yet (the hour is not over) and never holds a key.
        let audit = try r.stack.send("GET", "/api/audit?limit=200").body
        #expect(!audit.contains("CANARYSECRET"))
    }

    @Test func aRateLimitedAccountCoolsDownLongerEachTimeAndComesBack() async throws {
        let r = try await Routed.start("routing-429", anthropic: [
            "anthropic:a": "sk-ant-CANARYSECRET-route-good0123456789",
            "anthropic:limited": "sk-ant-CANARYSECRET-ratelimit-0123456789",
        ])
        // The emulator answers 429 (retry-after 30) for the limited account: after its first 429 it is skipped.
        let first = try await r.run(6)
        #expect(first.filter { $0.account == "anthropic:limited" }.count == 1, "\(Self.counts(first))")
        #expect(first.contains { $0.account == "anthropic:limited" && $0.outcome == "rate_limit" })
        var row = try r.status()["anthropic:limited"]
        #expect(row?["state"] as? String == "cooling")
        #expect(row?["reason"] as? String == "rate_limit")
        // The provider's retry-after (30 s) is later than the ladder's 2 s: it wins.
        let until = (row?["until"] as? String).flatMap { try? Date($0, strategy: .iso8601) }
        #expect(until.map { $0.timeIntervalSinceNow > 20 } == true, "\(String(describing: row))")
    }

    @Test(.takesTurns) func theLadderGrowsAndAnAccountIsUsedAgainWhenItsCooldownEnds() async throws {
        let r = try await Routed.start("routing-ladder", anthropic: [
            "anthropic:a": "sk-ant-CANARYSECRET-route-good0123456789",
            "anthropic:b": "sk-ant-CANARYSECRET-route-good9876543210",
        ])
        // The runtime reports rate limits for b itself (no provider retry-after), so the ladder alone decides.
        func limitB() throws {
            for _ in 0..<4 {
                let d = try r.stack.http.send("POST", "/api/route", headers: [("Authorization", "Bearer \(r.runtime)"), ("Content-Type", "application/json")],
                                              body: #"{"model":"anthropic/claude-sonnet-4-5"}"#)
                let id = d.json["decisionId"] as? String ?? ""
                let outcome = d.json["account"] as? String == "anthropic:b" ? "rate_limit" : "ok"
                _ = try r.stack.http.send("POST", "/api/route/outcome", headers: [("Authorization", "Bearer \(r.runtime)"), ("Content-Type", "application/json")],
                                          body: #"{"decisionId":"\#(id)","outcome":"\#(outcome)","httpStatus":429}"#)
                if outcome == "rate_limit" { return }
            }
            Issue.record("anthropic:b was never chosen")
        }
        func cooldown() throws -> TimeInterval {
            let row = try r.status()["anthropic:b"]
            guard let text = row?["until"] as? String, let until = try? Date(text, strategy: .iso8601) else { return 0 }
            return until.timeIntervalSinceNow
        }
        try limitB()
        let one = try cooldown()
        #expect(one > 0.5 && one <= 2.1)
        let tally4 = Self.counts(try await r.run(4)); #expect(tally4["anthropic:b"] == nil)
        try await Task.sleep(for: .seconds(2.2))
        try limitB()
        let two = try cooldown()
        #expect(two > 2.1 && two <= 4.1, "the second cooldown is the ladder's second step")
        try await Task.sleep(for: .seconds(4.2))
        // Over: b is back in rotation and an ok keeps it there.
        let back = try await r.run(6)
        #expect(Self.counts(back)["anthropic:b"] == 3, "\(Self.counts(back))")
        #expect(try r.status()["anthropic:b"]?["state"] as? String == "in_rotation")
    }

    @Test(.takesTurns) func quotaHeadersAtNinetyNinePercentHoldAnAccountBackUntilTheReset() async throws {
        let r = try await Routed.start("routing-quota", anthropic: [
            "anthropic:a": "sk-ant-CANARYSECRET-route-good0123456789",
            "anthropic:nearly": "sk-ant-CANARYSECRET-nearlyout-0123456789",
        ])
        // The emulator reports 1 % of the token window left, resetting in fifteen seconds.
        let started = Date()
        let first = try await r.run(3)
        #expect(first.filter { $0.account == "anthropic:nearly" }.count == 1, "\(Self.counts(first))")
        #expect(try r.status()["anthropic:nearly"]?["state"] as? String == "quota")
        #expect(Self.counts(try await r.run(3))["anthropic:nearly"] == nil)
        // After the reset it is used again (and, told the same again, held again).
        try await Task.sleep(for: .seconds(max(0, 16.5 - Date().timeIntervalSince(started))))
        let tally4 = Self.counts(try await r.run(4)); #expect(tally4["anthropic:nearly"] == 1)
    }

    @Test func anAuthRefusalKeepsTheAccountInErrorUntilATestPasses() async throws {
        let r = try await Routed.start("routing-auth", anthropic: [
            "anthropic:a": "sk-ant-CANARYSECRET-route-good0123456789",
            "anthropic:revoked": "sk-ant-CANARYSECRET-bad-revoked0123456789",
        ])
        let calls = try await r.run(6)
        #expect(calls.filter { $0.account == "anthropic:revoked" }.count == 1)
        #expect(calls.contains { $0.account == "anthropic:revoked" && $0.outcome == "auth" })
        #expect(try r.stack.accountStatus("anthropic:revoked") == "error")
        #expect(try r.status()["anthropic:revoked"]?["state"] as? String == "error")
        // The operator replaces the key and tests it: back in rotation.
        #expect(try r.stack.send("PUT", "/api/accounts/anthropic:revoked/credential", json: #"{"kind":"api_key","apiKey":"sk-ant-CANARYSECRET-route-fixed0123456789"}"#).status == 200)
        let test = try r.stack.send("POST", "/api/accounts/anthropic:revoked/test")
        #expect(test.json["ok"] as? Bool == true, "\(test)")
        try await Task.sleep(for: .seconds(0.6))
        let tally6 = Self.counts(try await r.run(6)); #expect(tally6["anthropic:revoked"] == 3)
    }

    @Test func aSessionStaysOnOneAccountAcrossFiftyCallsAndMovesWhenItFails() async throws {
        let r = try await Routed.start("routing-session", anthropic: [
            "anthropic:a": "sk-ant-CANARYSECRET-route-a0123456789", "anthropic:b": "sk-ant-CANARYSECRET-route-b0123456789",
        ])
        let calls = try await r.run(50, "--session conversation-1")
        let accounts = Set(calls.compactMap(\.account))
        #expect(accounts.count == 1, "\(Self.counts(calls))")
        #expect(calls.dropFirst().allSatisfy { $0.pinned })
        // Its account is rate-limited: the session moves, and stays on the new account after the old one recovers.
        let pinned = accounts.first!
        let d = try r.stack.http.send("POST", "/api/route", headers: [("Authorization", "Bearer \(r.runtime)"), ("Content-Type", "application/json")],
                                      body: #"{"model":"anthropic/claude-sonnet-4-5","session":"conversation-1"}"#)
        #expect(d.json["account"] as? String == pinned)
        let reported = try r.stack.http.send("POST", "/api/route/outcome", headers: [("Authorization", "Bearer \(r.runtime)"), ("Content-Type", "application/json")],
                                             body: #"{"decisionId":"\#(d.json["decisionId"] as? String ?? "")","outcome":"rate_limit","httpStatus":429}"#)
        #expect(reported.status == 200, "\(reported)")
        let moved = try await r.run(10, "--session conversation-1")
        let now = Set(moved.compactMap(\.account))
        #expect(now.count == 1 && !now.contains(pinned), "\(Self.counts(moved))")
        try await Task.sleep(for: .seconds(2.2))
        let stays = try await r.run(10, "--session conversation-1")
        #expect(Set(stays.compactMap(\.account)) == now)
    }

    @Test func twoRespondersOnOneStateDirectoryAgreeWithinASecond() async throws {
        let r = try await Routed.start("routing-two", anthropic: [
            "anthropic:a": "sk-ant-CANARYSECRET-route-good0123456789",
            "anthropic:limited": "sk-ant-CANARYSECRET-ratelimit-0123456789",
        ])
        let second = try await offPool { try r.stack.addResponder("second") }
        // A 429 through whichever process nginx picked (until the other has caught up, it may pick the account
        // once more: that is the second the issue allows)...
        let first = try await r.run(4)
        #expect(first.contains { $0.account == "anthropic:limited" && $0.outcome == "rate_limit" })
        try await Task.sleep(for: .seconds(1.0))
        // ...and neither process sends the limited account anything after a second.
        let after = try await r.run(20)
        #expect(Self.counts(after)["anthropic:limited"] == nil, "\(Self.counts(after))")
        // Both processes answered routing requests (nginx alternates, so one made the decisions and the other took
        // their outcomes: the one that decided honoured the other's cooldown). Request lines reach the log within a moment.
        func log(_ run: URL) -> String { (try? String(contentsOf: run.appendingPathComponent("switchboard.log"), encoding: .utf8)) ?? "" }
        var both = false
        for _ in 0..<50 where !both {
            both = log(r.stack.run).contains("\"path\":\"/api/route") && log(second).contains("\"path\":\"/api/route")
            if !both { try await Task.sleep(for: .seconds(0.1)) }
        }
        #expect(both)
        #expect(!log(second).contains("CANARYSECRET"))
    }

    @Test func runtimeTokensAreConfinedToRouting() async throws {
        let r = try await Routed.start("routing-scopes", anthropic: ["anthropic:a": "sk-ant-CANARYSECRET-route-good0123456789"])
        for path in ["/api/config", "/api/accounts", "/api/audit"] {
            let reply = try r.stack.http.send("GET", path, headers: [("Authorization", "Bearer \(r.runtime)")])
            #expect(reply.status == 403, "\(path): \(reply)")
        }
        let plain = try r.stack.cli("token create --name plain --scope runtime")
        let token = plain.output.split(separator: "\n").first { $0.hasPrefix("sbk_") }.map(String.init) ?? ""
        let noSecret = try r.stack.http.send("POST", "/api/route", headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                                             body: #"{"model":"anthropic/claude-sonnet-4-5","withCredential":true}"#)
        #expect(noSecret.status == 403)
        let decision = try r.stack.http.send("POST", "/api/route", headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                                             body: #"{"model":"anthropic/claude-sonnet-4-5"}"#)
        #expect(decision.status == 200)
        #expect(decision.json["credential"] == nil)
        #expect(decision.header("Cache-Control") == "no-store")
        let admin = try r.stack.send("POST", "/api/route", json: #"{"model":"anthropic/claude-sonnet-4-5","withCredential":true}"#)
        #expect(admin.status == 403)
        let bad = try r.stack.cli("token create --scope admin --scope credentials")
        #expect(bad.status != 0)
    }
}
