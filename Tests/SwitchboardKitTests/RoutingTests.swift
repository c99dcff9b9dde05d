@testable import Accounts
@testable import API
@testable import App
@testable import Auth
import Core
@testable import Dispatcher
import Foundation
import HTTPTypes
import LocalTools
@testable import Routing
@testable import Storage
import TestSupport
import Testing

/// A clock the test moves by hand: cooldowns end when the test says so, never by waiting.
final class TestClock: Sendable {
    private let now = Locked(Date(timeIntervalSince1970: 1_800_000_000))
    var date: Date { now.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var read: @Sendable () -> Date { { [now] in now.withLock { $0 } } }
}

/// An application with accounts to route to and a runtime token, driven in-process.
struct RoutingHarness {
    let t: TestApp
    let clock = TestClock()
    /// A runtime token with the credentials scope.
    let runtime: String
    /// A runtime token without it.
    let runtimeNoSecrets: String

    static let model = "anthropic/claude-sonnet-4-5-20250929"

    init(anthropic: [String] = ["anthropic:a", "anthropic:b", "anthropic:c"], openai: [String] = [],
         tools: LocalToolService.Options = LocalToolService.Options(searchPath: "/usr/bin:/bin"),
         extra: (TestApp) async throws -> Void = { _ in }) async throws {
        let clock = self.clock
        t = try TestApp(clock: clock.read, routeRefresh: .seconds(3600), tools: tools)
        for (i, id) in anthropic.enumerated() {
            try await t.createAccount(#"{"provider":"anthropic","id":"\#(id)","credential":{"kind":"api_key","apiKey":"sk-ant-api03-routing\#(i)AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}"#)
        }
        for (i, id) in openai.enumerated() {
            try await t.createAccount(#"{"provider":"openai","id":"\#(id)","credential":{"kind":"api_key","apiKey":"sk-proj-routing\#(i)BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"}}"#)
        }
        try await extra(t)
        let tokens = AdminTokens(database: t.database)
        runtime = try tokens.create(name: "runtime", scopes: TokenScopes.make(["runtime", "credentials"]).get()).secret
        runtimeNoSecrets = try tokens.create(name: "runtime-no-secrets", scopes: TokenScopes.make(["runtime"]).get()).secret
    }

    func call(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, token: String? = nil) async -> Response {
        var headers: HTTPFields = [.authorization: "Bearer \(token ?? runtime)"]
        if body != nil { headers[.contentType] = "application/json" }
        return await t.send(method, path, headers: headers, body: body)
    }

    func route(_ body: String = #"{"model":"\#(model)"}"#, token: String? = nil) async -> Response {
        await call(.post, "/api/route", body, token: token)
    }

    /// A decision's account, or a failure saying what came back.
    func decide(_ body: String = #"{"model":"\#(model)"}"#) async throws -> (id: String, account: String, json: [String: Any]) {
        let r = await route(body)
        guard r.status == .ok, let id = r.json["decisionId"] as? String, let account = r.json["account"] as? String else {
            throw TestFailure("route: \(r.status) \(r.text)")
        }
        return (id, account, r.json)
    }

    @discardableResult
    func report(_ decision: String, _ outcome: String, extra: String = "") async throws -> [String: Any] {
        let r = await call(.post, "/api/route/outcome", #"{"decisionId":"\#(decision)","outcome":"\#(outcome)"\#(extra)}"#)
        guard r.status == .ok else { throw TestFailure("outcome: \(r.status) \(r.text)") }
        return r.json
    }

    /// Routes and reports `outcome` for `account` whenever it is chosen (ok for the others) until `account` has
    /// been chosen once; returns the decisions made.
    func failOnce(_ account: String, _ outcome: String, extra: String = "") async throws -> Int {
        for n in 1...10 {
            let d = try await decide()
            try await report(d.id, d.account == account ? outcome : "ok", extra: d.account == account ? extra : "")
            if d.account == account { return n }
        }
        throw TestFailure("\(account) was never chosen")
    }

    /// The accounts chosen by `count` decisions, each reported ok.
    func spread(_ count: Int, body: String = #"{"model":"\#(model)"}"#) async throws -> [String: Int] {
        var seen: [String: Int] = [:]
        for _ in 0..<count {
            let d = try await decide(body)
            seen[d.account, default: 0] += 1
            try await report(d.id, "ok")
        }
        return seen
    }
}

@Suite struct RoutingTests {
    @Test func threeAccountsShareThreeHundredDecisionsEvenly() async throws {
        let h = try await RoutingHarness()
        let seen = try await h.spread(300)
        #expect(Set(seen.keys) == ["anthropic:a", "anthropic:b", "anthropic:c"])
        #expect(seen.values.max()! - seen.values.min()! <= 2)
    }

    @Test func theAnswerWrittenByHandIsWhatTheEncoderWouldWrite() throws {
        var explain = [Explanation(step: "agent", message: "agent \"coder\": runtime pi\n(tab\t)")]
        explain.append(Explanation(step: "skipped", model: "a/b", account: "a:x", reason: "cooling", until: Date(timeIntervalSince1970: 1_800_000_123), message: "ünïcödé / slash"))
        var credential = HandedCredential(kind: "azure", headers: ["api-key": "k\u{01}y", "Authorization": "Bearer t"], expiresAt: Date(timeIntervalSince1970: 1_800_000_000))
        credential.endpoint = "https://e.example/x"
        credential.deployment = "d"
        let answer = RouteAnswer(decisionId: "dec_abc", account: "azureOpenai:eu", provider: "azureOpenai", model: "gpt-5", reference: "azureOpenai/gpt-5",
                                 family: "azure", baseUrl: nil, runtime: "pi",
                                 params: ["maxTokens": .number(4096), "temperature": .number(0.7), "extra": .object(["b": .bool(true), "a": .null, "n": .array([.number(-1.5)])])],
                                 paramsFrom: ["maxTokens": "/agents/defaults/params/maxTokens"], credential: credential, fallbackFrom: "a/b",
                                 pinned: true, expiresAt: Date(timeIntervalSince1970: 1_800_000_600), explain: explain)
        let byHand = try #require(JSONValue.parse(answer.jsonBytes))
        let byEncoder = try #require(JSONValue.parse(JSON.encode(answer)))
        #expect(byHand == byEncoder)
    }

    @Test func anUndatedNameRoutesToTheDatedModel() async throws {
        let h = try await RoutingHarness()
        let d = try await h.decide(#"{"model":"anthropic/claude-sonnet-4-5"}"#)
        #expect(d.json["model"] as? String == "claude-sonnet-4-5-20250929")
        #expect(d.json["family"] as? String == "anthropic")
        #expect(d.json["baseUrl"] as? String == "https://api.anthropic.com")
    }

    @Test func aRateLimitedAccountIsSkippedUntilItsCooldownEndsThenUsedAgain() async throws {
        let h = try await RoutingHarness()
        _ = try await h.failOnce("anthropic:b", "rate_limit")
        // Cooling for a minute: 30 decisions never go to it.
        #expect(try await h.spread(30)["anthropic:b"] == nil)
        let status = await h.call(.get, "/api/route/status?model=\(RoutingHarness.model)")
        let rows = ((status.json["models"] as? [[String: Any]])?.first?["accounts"] as? [[String: Any]]) ?? []
        let b = rows.first { $0["account"] as? String == "anthropic:b" }
        #expect(b?["state"] as? String == "cooling")
        #expect(b?["reason"] as? String == "rate_limit")
        #expect(b?["failures"] as? Int == 1)
        // After the minute it is back in rotation.
        h.clock.advance(61)
        #expect(try await h.spread(30)["anthropic:b"] == 10)
    }

    @Test func theBackoffGrowsAndALaterRetryAfterExtendsButAnEarlierOneDoesNotShorten() async throws {
        let h = try await RoutingHarness()
        func block() async throws -> (until: Date, strikes: Int) {
            let status = await h.call(.get, "/api/route/status?model=\(RoutingHarness.model)")
            let rows = ((status.json["models"] as? [[String: Any]])?.first?["accounts"] as? [[String: Any]]) ?? []
            let b = rows.first { $0["account"] as? String == "anthropic:b" }
            guard let text = b?["until"] as? String, let until = try? Date(text, strategy: .iso8601) else { throw TestFailure("no block: \(status.text)") }
            return (until, b?["failures"] as? Int ?? 0)
        }
        _ = try await h.failOnce("anthropic:b", "rate_limit")
        #expect(try await block().until.timeIntervalSince(h.clock.date) == 60)
        h.clock.advance(61)
        _ = try await h.failOnce("anthropic:b", "rate_limit")
        let second = try await block()
        #expect(second.until.timeIntervalSince(h.clock.date) == 300)
        #expect(second.strikes == 2)
        // A retry-after earlier than the block (10 s) leaves it; a later one (900 s, as a header) extends it.
        h.clock.advance(301)
        _ = try await h.failOnce("anthropic:b", "rate_limit", extra: #","retryAfter":10"#)
        #expect(try await block().until.timeIntervalSince(h.clock.date) == 1500)
        h.clock.advance(1501)
        _ = try await h.failOnce("anthropic:b", "rate_limit", extra: #","headers":{"retry-after":"5000"}"#)
        #expect(try await block().until.timeIntervalSince(h.clock.date) == 5000)
    }

    @Test func quotaHeadersAtNinetyNinePercentHoldTheAccountBackUntilTheReset() async throws {
        let h = try await RoutingHarness()
        let reset = h.clock.date.addingTimeInterval(600)
        let headers = #""headers":{"anthropic-ratelimit-tokens-limit":"100000","anthropic-ratelimit-tokens-remaining":"1000","anthropic-ratelimit-tokens-reset":"\#(reset.formatted(.iso8601))"}"#
        let n = try await h.failOnce("anthropic:c", "ok", extra: "," + headers)
        #expect(n >= 1)
        #expect(try await h.spread(20)["anthropic:c"] == nil)
        let status = await h.call(.get, "/api/route/status")
        let quota = (status.json["accounts"] as? [[String: Any]])?.first { $0["account"] as? String == "anthropic:c" }?["windows"] as? [[String: Any]]
        #expect(quota?.first?["name"] as? String == "tokens")
        #expect(quota?.first?["remaining"] as? Double == 1000)
        h.clock.advance(601)
        #expect(try await h.spread(30)["anthropic:c"] == 10)
    }

    @Test func billingDisablesForLongerThanARateLimit() async throws {
        let h = try await RoutingHarness()
        _ = try await h.failOnce("anthropic:a", "billing")
        _ = try await h.failOnce("anthropic:b", "rate_limit")
        h.clock.advance(3601)
        // The rate limit is long over; billing holds for five hours.
        let seen = try await h.spread(20)
        #expect(seen["anthropic:b"] != nil)
        #expect(seen["anthropic:a"] == nil)
        h.clock.advance(5 * 3600)
        #expect(try await h.spread(30)["anthropic:a"] == 10)
    }

    @Test func anAuthRefusalKeepsTheAccountInErrorUntilATestPasses() async throws {
        let h = try await RoutingHarness()
        _ = try await h.failOnce("anthropic:a", "auth", extra: #","httpStatus":401"#)
        h.clock.advance(86400)
        #expect(try await h.spread(20)["anthropic:a"] == nil)
        let account = await h.t.bearer(.get, "/api/accounts/anthropic:a").json
        #expect(account["status"] as? String == "error")
        // A passing connection test brings it back (recorded as the test service records one).
        try h.t.database.recordTestNow("anthropic:a", TestResult(ok: true, category: .ok, httpStatus: 200, latencyMs: 1, summary: "ok",
                                                                  modelCount: nil, quota: nil, testedAt: h.clock.date))
        try h.t.app.routing.refresh(at: h.clock.date)
        #expect(try await h.spread(30)["anthropic:a"] == 10)
    }

    @Test func transientFailuresCoolAnAccountOnlyAfterThreeWithinFiveMinutes() async throws {
        let h = try await RoutingHarness()
        for _ in 0..<2 { _ = try await h.failOnce("anthropic:a", "server_error") }
        // Two in a row: still in rotation, and the status counts them.
        let status = await h.call(.get, "/api/route/status?model=\(RoutingHarness.model)")
        let rows = ((status.json["models"] as? [[String: Any]])?.first?["accounts"] as? [[String: Any]]) ?? []
        #expect(rows.first { $0["account"] as? String == "anthropic:a" }?["failures"] as? Int == 2)
        #expect(rows.first { $0["account"] as? String == "anthropic:a" }?["state"] as? String == "in_rotation")
        // The third within five minutes cools it down.
        _ = try await h.failOnce("anthropic:a", "timeout")
        #expect(try await h.spread(9)["anthropic:a"] == nil)
        // Spread out over more than five minutes, three do not.
        h.clock.advance(61)
        _ = try await h.failOnce("anthropic:a", "network")
        h.clock.advance(200)
        _ = try await h.failOnce("anthropic:a", "network")
        h.clock.advance(200)
        _ = try await h.failOnce("anthropic:a", "network")
        #expect(try await h.spread(9)["anthropic:a"] == 3)
    }

    @Test func aRecoveredAccountIsBackInRotationAtTheFirstOK() async throws {
        let h = try await RoutingHarness(anthropic: ["anthropic:a"])
        _ = try await h.failOnce("anthropic:a", "rate_limit")
        #expect(await h.route().status == .serviceUnavailable)
        h.clock.advance(61)
        let d = try await h.decide()
        let answer = try await h.report(d.id, "ok")
        #expect(answer["block"] is NSNull || answer["block"] == nil)
        // A second rate limit after the recovery starts the ladder again only after a day; until then it is the
        // second step, and ok in between cleared the block itself.
        #expect(try await h.spread(5)["anthropic:a"] == 5)
    }

    @Test func everyAccountCoolingFallsBackWithExplainThenNothingIsA503WithRetryAfter() async throws {
        let h = try await RoutingHarness(anthropic: ["anthropic:a"], openai: ["openai:x"]) { t in
            try await t.patchConfig(#"{"agents":{"defaults":{"model":{"primary":"anthropic/claude-sonnet-4-5-20250929","fallbacks":["openai/gpt-5"]}}}}"#)
        }
        _ = try await h.failOnce("anthropic:a", "rate_limit")
        let d = try await h.decide(#"{}"#)
        #expect(d.account == "openai:x")
        #expect(d.json["fallbackFrom"] as? String == "anthropic/claude-sonnet-4-5-20250929")
        let explain = d.json["explain"] as? [[String: Any]] ?? []
        #expect(explain.contains { $0["step"] as? String == "skipped" && $0["account"] as? String == "anthropic:a" && $0["reason"] as? String == "cooling" })
        #expect(explain.contains { $0["step"] as? String == "fallback" && ($0["message"] as? String ?? "").contains("/agents/defaults/model/fallbacks/0") })
        try await h.report(d.id, "rate_limit")
        let none = await h.route(#"{}"#)
        #expect(none.status == .serviceUnavailable)
        #expect(none.problemSlug == "no-account-available")
        #expect(none.headers[.retryAfter] == "60")
        #expect((none.json["accounts"] as? [[String: Any]])?.count == 2)
    }

    @Test func aSessionStaysOnOneAccountMovesWhenItFailsAndStaysOnTheNewOne() async throws {
        let h = try await RoutingHarness()
        let body = #"{"model":"\#(RoutingHarness.model)","session":"s-1"}"#
        var first: String?
        for _ in 0..<50 {
            let d = try await h.decide(body)
            first = first ?? d.account
            #expect(d.account == first)
            try await h.report(d.id, "ok")
        }
        // Other traffic does not move it.
        _ = try await h.spread(7)
        let failing = try await h.decide(body)
        #expect(failing.account == first)
        #expect(failing.json["pinned"] as? Bool == true)
        try await h.report(failing.id, "rate_limit")
        let moved = try await h.decide(body)
        #expect(moved.account != first)
        try await h.report(moved.id, "ok")
        h.clock.advance(61) // the first account is healthy again: the session stays where it moved
        for _ in 0..<20 {
            let d = try await h.decide(body)
            #expect(d.account == moved.account)
            try await h.report(d.id, "ok")
        }
    }

    @Test func maxConcurrentTwoSendsTheThirdConcurrentDecisionElsewhere() async throws {
        let h = try await RoutingHarness(anthropic: ["anthropic:a", "anthropic:b"])
        let r = await h.t.json(.patch, "/api/accounts/anthropic:a", #"{"maxConcurrent":2}"#, contentType: "application/merge-patch+json")
        #expect(r.status == .ok)
        try h.t.app.routing.refresh(at: h.clock.date)
        var open: [(String, String)] = []
        for _ in 0..<4 {
            let d = try await h.decide()
            open.append((d.id, d.account))
        }
        #expect(open.filter { $0.1 == "anthropic:a" }.count == 2)
        let third = try await h.decide()
        #expect(third.account == "anthropic:b")
        // An outcome frees a slot.
        try await h.report(open.first { $0.1 == "anthropic:a" }!.0, "ok")
        let next = try await h.decide(#"{"model":"\#(RoutingHarness.model)","exclude":["anthropic:b"]}"#)
        #expect(next.account == "anthropic:a")
    }

    @Test func aCLIClientsOAuthAccountGoesOnlyToCLIRuntimesUntilDirectUseIsAllowed() async throws {
        let expires = Date().addingTimeInterval(86400).formatted(.iso8601)
        let h = try await RoutingHarness(anthropic: []) { t in
            try await t.createAccount(#"{"provider":"anthropic","id":"anthropic:cli","authMethod":"oauth_browser","credential":{"kind":"oauth","accessToken":"sk-ant-oat01-routingCLItokenAAAAAAAAAAAAAAAAAAAAAAAA","expiresAt":"\#(expires)","clientKind":"provider_cli"}}"#)
        }
        let direct = await h.route(#"{"model":"\#(RoutingHarness.model)","runtime":"pi"}"#)
        #expect(direct.status == .serviceUnavailable)
        #expect((direct.json["accounts"] as? [[String: Any]])?.first?["reason"] as? String == "policy")
        let cli = try await h.decide(#"{"model":"\#(RoutingHarness.model)","runtime":"claude-code-sdk","withCredential":true}"#)
        #expect(cli.account == "anthropic:cli")
        let credential = cli.json["credential"] as? [String: Any]
        #expect((credential?["headers"] as? [String: String])?["Authorization"] == "Bearer sk-ant-oat01-routingCLItokenAAAAAAAAAAAAAAAAAAAAAAAA")
        let patch = await h.t.json(.patch, "/api/accounts/anthropic:cli", #"{"allowDirectApi":true}"#, contentType: "application/merge-patch+json")
        #expect(patch.status == .ok)
        try h.t.app.routing.refresh(at: h.clock.date)
        #expect(try await h.decide(#"{"model":"\#(RoutingHarness.model)","runtime":"pi"}"#).account == "anthropic:cli")
    }

    @Test func scopesKeepRuntimeTokensToRoutingAndSecretsToTheCredentialsScope() async throws {
        let h = try await RoutingHarness()
        // A runtime token reads neither settings nor accounts, and cannot sign in.
        for path in ["/api/config", "/api/accounts", "/api/audit", "/api/tokens"] {
            let r = await h.call(.get, path)
            #expect(r.status == .forbidden, "\(path)")
            #expect(r.problemSlug == "insufficient-scope")
        }
        let signIn = await h.t.send(.post, "/api/session", headers: [.contentType: "application/json"], body: #"{"token":"\#(h.runtime)"}"#)
        #expect(signIn.status == .forbidden)
        // Without the credentials scope: decisions, and no secret.
        let plain = await h.route(#"{"model":"\#(RoutingHarness.model)"}"#, token: h.runtimeNoSecrets)
        #expect(plain.status == .ok)
        #expect(plain.json["credential"] == nil)
        let asked = await h.route(#"{"model":"\#(RoutingHarness.model)","withCredential":true}"#, token: h.runtimeNoSecrets)
        #expect(asked.status == .forbidden)
        #expect(asked.problemSlug == "credential-not-allowed")
        // An admin token reads the status but is never handed a credential.
        #expect(await h.route(#"{"model":"\#(RoutingHarness.model)"}"#, token: h.t.token).status == .ok)
        let admin = await h.route(#"{"model":"\#(RoutingHarness.model)","withCredential":true}"#, token: h.t.token)
        #expect(admin.status == .forbidden)
        #expect(await h.call(.get, "/api/route/status", token: h.t.token).status == .ok)
        // With it: Anthropic's headers.
        let d = try await h.decide(#"{"model":"\#(RoutingHarness.model)","withCredential":true}"#)
        let headers = (d.json["credential"] as? [String: Any])?["headers"] as? [String: String]
        #expect(headers?["anthropic-version"] == "2023-06-01")
        #expect(headers?["x-api-key"]?.hasPrefix("sk-ant-api03-routing") == true)
        #expect(d.json["credential"].map { ($0 as? [String: Any])?["kind"] as? String } == "api_key")
    }

    @Test func credentialsHandedOutAreAuditedOncePerTokenAccountAndHourWithACount() async throws {
        let h = try await RoutingHarness(anthropic: ["anthropic:a"])
        for _ in 0..<5 {
            let d = try await h.decide(#"{"model":"\#(RoutingHarness.model)","withCredential":true}"#)
            try await h.report(d.id, "ok")
        }
        await h.t.app.routing.flush()
        #expect(try h.t.database.auditEndedLeases(currentHour: RouteService.hour(h.clock.date), at: h.clock.date) == 0)
        let pending = try h.t.database.pendingLeases()
        #expect(pending.map(\.count) == [5])
        // When the hour is over, one event with the count.
        let later = h.clock.date.addingTimeInterval(3600)
        #expect(try h.t.database.auditEndedLeases(currentHour: RouteService.hour(later), at: later) == 1)
        #expect(try h.t.database.auditEndedLeases(currentHour: RouteService.hour(later), at: later) == 0)
        let events = await h.t.bearer(.get, "/api/audit?type=credential.leased").json["events"] as? [[String: Any]] ?? []
        #expect(events.count == 1)
        #expect((events.first?["detail"] as? [String: Any])?["count"] as? Int == 5)
        #expect(events.first?["target"] as? String == "anthropic:a")
    }

    @Test func badRequestsAreProblemsThatSayWhichField() async throws {
        let h = try await RoutingHarness()
        let r = await h.route(#"{"model":7,"exclude":"x","withCredential":"yes","colour":1}"#)
        #expect(r.status == .unprocessableContent)
        let pointers = Set((r.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String })
        #expect(pointers == ["/model", "/exclude", "/withCredential", "/colour"])
        // null is not "absent": the document says what each field is, and null is none of them.
        let nulls = await h.route(#"{"model":null,"session":null}"#)
        #expect(Set((nulls.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String }) == ["/model", "/session"])
        #expect(await h.route(#"{"model":"anthropic/nope"}"#).problemSlug == "unknown-model")
        #expect(await h.route(#"{"agent":"ghost"}"#).problemSlug == "unknown-agent")
        let unknown = await h.call(.post, "/api/route/outcome", #"{"decisionId":"dec_0000000000000","outcome":"ok"}"#)
        #expect(unknown.status == .notFound)
        let d = try await h.decide()
        try await h.report(d.id, "ok")
        let twice = await h.call(.post, "/api/route/outcome", #"{"decisionId":"\#(d.id)","outcome":"ok"}"#)
        #expect(twice.status == .conflict)
        let badOutcome = await h.call(.post, "/api/route/outcome", #"{"decisionId":"\#(d.id)","outcome":"fine"}"#)
        #expect(badOutcome.status == .unprocessableContent)
        // Header values of any number are taken as written, however large (Schemathesis found a crash here).
        let huge = try await h.decide()
        let numbers = await h.call(.post, "/api/route/outcome", #"{"decisionId":"\#(huge.id)","outcome":"ok","headers":{"x-big":1e300,"x-neg":-9.5e18,"retry-after":30}}"#)
        #expect(numbers.status == .ok)
        // Another runtime token cannot report this token's decision.
        let other = try await h.decide()
        let foreign = await h.call(.post, "/api/route/outcome", #"{"decisionId":"\#(other.id)","outcome":"ok"}"#, token: h.runtimeNoSecrets)
        #expect(foreign.status == .notFound)
    }

    @Test func anAgentsEntryWinsOverTheDefaultsAndTheAnswerSaysWhereEachValueCameFrom() async throws {
        let h = try await RoutingHarness(anthropic: ["anthropic:a"], openai: ["openai:x"]) { t in
            try await t.patchConfig(#"""
                {"agents":{"defaults":{"model":{"primary":"anthropic/claude-sonnet-4-5-20250929","fallbacks":["openai/gpt-5"]},
                                       "params":{"maxTokens":2048}},
                           "entries":{"coder":{"model":{"primary":"openai/gpt-5"},"params":{"temperature":0.2},"runtime":"claude-code-sdk"},
                                      "plain":{}}}}
                """#)
        }
        let coder = try await h.decide(#"{"agent":"coder"}"#)
        #expect(coder.account == "openai:x")
        #expect(coder.json["runtime"] as? String == "claude-code-sdk")
        let from = coder.json["paramsFrom"] as? [String: String] ?? [:]
        #expect(from["maxTokens"] == "/agents/defaults/params/maxTokens")
        #expect((coder.json["params"] as? [String: Any])?["maxTokens"] as? Int == 2048)
        let explain = (coder.json["explain"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(explain.contains { $0.contains("/agents/entries/coder/runtime") })
        #expect(explain.contains { $0.contains("/agents/entries/coder/model/primary") })
        // An agent that sets nothing inherits the defaults' model and runtime.
        let plain = try await h.decide(#"{"agent":"plain"}"#)
        #expect(plain.account == "anthropic:a")
        #expect(plain.json["runtime"] as? String == "pi")
        #expect((plain.json["explain"] as? [[String: Any]] ?? []).contains { ($0["message"] as? String ?? "").contains("/agents/defaults/runtime") })
        // The agent's primary cooling: its fallbacks, then the defaults' (gpt-5 is both; anthropic is the defaults' primary, not a fallback).
        let d = try await h.decide(#"{"agent":"coder"}"#)
        try await h.report(d.id, "rate_limit")
        #expect(await h.route(#"{"agent":"coder"}"#).status == .serviceUnavailable)
        #expect(try await h.decide(#"{"agent":"plain"}"#).account == "anthropic:a")
    }

    @Test func maxConcurrentCountsTheOtherProcessesDecisionsAndForgetsAProcessThatStopped() async throws {
        let h = try await RoutingHarness(anthropic: ["anthropic:a", "anthropic:b"])
        #expect(await h.t.json(.patch, "/api/accounts/anthropic:a", #"{"maxConcurrent":2}"#, contentType: "application/merge-patch+json").status == .ok)
        let second = try TestApp(sharing: h.t, clock: h.clock.read)
        func decideOnSecond() async -> String? {
            let r = await second.send(.post, "/api/route", headers: [.authorization: "Bearer \(h.runtime)", .contentType: "application/json"],
                                      body: #"{"model":"\#(RoutingHarness.model)","exclude":["anthropic:b"]}"#)
            return r.json["account"] as? String
        }
        // Two decisions for a in the first process, no outcome yet.
        for _ in 0..<2 { _ = try await h.decide(#"{"model":"\#(RoutingHarness.model)","exclude":["anthropic:b"]}"#) }
        await h.t.app.routing.flush()
        try second.app.routing.refresh(at: h.clock.date)
        // The second process counts them: a is at its limit there too.
        #expect(await decideOnSecond() == nil)
        // The first process stops: its decisions no longer count anywhere.
        await h.t.app.routing.stop()
        try second.app.routing.refresh(at: h.clock.date)
        #expect(await decideOnSecond() == "anthropic:a")
    }

    @Test func metricsCountDecisionsOutcomesAndCoolingAccounts() async throws {
        let h = try await RoutingHarness()
        _ = try await h.failOnce("anthropic:b", "rate_limit")
        try h.t.app.routing.refresh(at: h.clock.date)
        let text = await h.t.bearer(.get, "/api/metrics").text
        #expect(text.contains(#"switchboard_route_decisions_total{result="routed"}"#))
        #expect(text.contains(#"switchboard_route_outcomes_total{outcome="rate_limit"} 1"#))
        #expect(text.contains("switchboard_accounts_cooling 1"))
        #expect(text.contains(#"route="/api/route""#))
    }

    @Test func twoServicesOnOneDatabaseAgreeOnACooldown() async throws {
        let h = try await RoutingHarness()
        // A second application on the same state directory: another process as far as routing can tell.
        let second = try TestApp(sharing: h.t, clock: h.clock.read)
        _ = try await h.failOnce("anthropic:b", "rate_limit")
        try second.app.routing.refresh(at: h.clock.date)
        for _ in 0..<12 {
            let r = await second.send(.post, "/api/route", headers: [.authorization: "Bearer \(h.runtime)", .contentType: "application/json"],
                                      body: #"{"model":"\#(RoutingHarness.model)"}"#)
            #expect(r.json["account"] as? String != "anthropic:b")
        }
    }
}

extension TestApp {
    /// A merge patch of the settings, with the current ETag.
    func patchConfig(_ patch: String) async throws {
        let etag = await bearer(.get, "/api/config").headers[.eTag] ?? ""
        let r = await json(.patch, "/api/config", patch, contentType: "application/merge-patch+json", headers: [.ifMatch: etag])
        guard r.status == .ok else { throw TestFailure("patch: \(r.status) \(r.text)") }
    }
}
