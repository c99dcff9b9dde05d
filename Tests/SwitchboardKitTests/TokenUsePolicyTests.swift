import Foundation
import HTTPTypes
import TestSupport
import Testing
@testable import Vault

/// Issue 12, item 11: tokens obtained through a provider CLI's own OAuth client are not sent to the provider's
/// API until the operator allows it (`allowDirectApi`). The fake authorization server plays the provider's
/// token endpoint; the provider emulator plays its API and records every call, so "not called" is checked.
@Suite struct TokenUsePolicyTests {
    /// An account `openai:cli` holding tokens of a sign-in done elsewhere (`clientKind` as given), its API the
    /// emulator's OpenAI family, its token endpoint the fake.
    struct SignedIn {
        let t: TestApp
        let fake: FakeAuthorizationServer
        let emulator: ProviderEmulator
        let tokens: (accessToken: String, refreshToken: String)
        let id = "openai:cli"

        init(clientKind: String = "provider_cli", allowDirectApi: Bool = false) async throws {
            t = try TestApp()
            fake = try FakeAuthorizationServer()
            emulator = try ProviderEmulator()
            let client = await t.json(.put, "/api/oauth/clients/openai", fake.clientSettings())
            guard client.status == .ok else { throw TestFailure("client: \(client.status) \(client.text)") }
            tokens = fake.signInElsewhere()
            let expires = Date().addingTimeInterval(3600).formatted(.iso8601)
            try await t.createAccount(#"""
                {"provider":"openai","id":"\#(id)","baseUrl":"\#(emulator.baseURL)/openai/v1","allowDirectApi":\#(allowDirectApi),
                 "credential":{"kind":"oauth","accessToken":"\#(tokens.accessToken)","refreshToken":"\#(tokens.refreshToken)",
                               "expiresAt":"\#(expires)","clientKind":"\#(clientKind)"}}
                """#)
        }

        /// The stored credential's fields, one audited reveal each (a reveal answers only the field it names).
        func stored() async -> [String: Any] {
            var fields: [String: Any] = [:]
            for name in ["accessToken", "refreshToken", "clientKind", "expiresAt"] {
                fields[name] = await t.bearer(.post, "/api/accounts/\(id)/credential/reveal?field=\(name)").json["value"]
            }
            return fields
        }

        func account() async -> [String: Any] { await t.bearer(.get, "/api/accounts/\(id)").json }

        func allowDirectApi(_ allowed: Bool) async throws {
            let r = await t.json(.patch, "/api/accounts/\(id)", #"{"allowDirectApi":\#(allowed)}"#, contentType: "application/merge-patch+json")
            guard r.status == .ok else { throw TestFailure("patch: \(r.status) \(r.text)") }
        }
    }

    // MARK: Tests

    @Test func aProviderCLISignInIsTestedByRenewingItAndTheAPIIsNotCalled() async throws {
        // Given tokens from OpenAI's own CLI client, direct API use not allowed
        let s = try await SignedIn()

        // When the account is tested
        let r = await s.t.bearer(.post, "/api/accounts/openai:cli/test")

        // Then the token endpoint renewed the sign-in (the rotated refresh token is the one kept) ...
        #expect(r.status == .ok)
        #expect(r.json["ok"] as? Bool == true, "\(r.text)")
        #expect(r.json["category"] as? String == "ok")
        for key in ["httpStatus", "latencyMs", "summary", "testedAt"] { #expect(r.json.keys.contains(key), "\(key)") }
        let summary = r.json["summary"] as? String ?? ""
        #expect(summary.contains("Only the renewal was checked"), "\(summary)")
        #expect(summary.contains("allowDirectApi"), "\(summary)")
        #expect(s.fake.refreshGrants.map { $0.form["refresh_token"] } == [s.tokens.refreshToken])
        let stored = await s.stored()
        #expect(stored["refreshToken"] as? String != s.tokens.refreshToken)
        #expect(stored["accessToken"] as? String != s.tokens.accessToken)
        #expect(stored["clientKind"] as? String == "provider_cli")
        // ... the provider's API heard nothing, and the account is connected with that summary.
        #expect(s.emulator.received.isEmpty, "\(s.emulator.received.map(\.uri))")
        let account = await s.account()
        #expect(account["status"] as? String == "connected")
        #expect(account["statusDetail"] as? String == summary)
    }

    @Test func aRefusedRenewalIsTheTestsAuthOutcomeAndTheAPIIsStillNotCalled() async throws {
        let s = try await SignedIn()
        s.fake.behaviour.refuseRefresh = true

        let r = await s.t.bearer(.post, "/api/accounts/openai:cli/test").json

        #expect(r["ok"] as? Bool == false)
        #expect(r["category"] as? String == "auth")
        #expect((r["summary"] as? String)?.contains("invalid_grant") == true)
        #expect(s.emulator.received.isEmpty)
        #expect(await s.account()["status"] as? String == "error")
    }

    @Test func withoutDirectAPIUseTheModelListIsTheCatalogsAndRefreshDoesNotCallTheProvider() async throws {
        // Given an account that was allowed direct calls and discovered the provider's models
        let s = try await SignedIn(allowDirectApi: true)
        let discovered = await s.t.bearer(.post, "/api/accounts/openai:cli/models/refresh").json["models"] as? [[String: Any]] ?? []
        #expect(discovered.contains { $0["source"] as? String == "discovered" })
        let calls = s.emulator.received.count
        #expect(calls > 0)

        // When the operator takes the permission back
        try await s.allowDirectApi(false)

        // Then the list is the catalog's alone, and a refresh says why it asked no one
        let list = await s.t.bearer(.get, "/api/accounts/openai:cli/models").json
        let models = list["models"] as? [[String: Any]] ?? []
        #expect(!models.isEmpty)
        #expect(models.allSatisfy { $0["source"] as? String == "catalog" }, "\(models)")
        #expect(list["fetchedAt"] is NSNull)
        let refreshed = await s.t.bearer(.post, "/api/accounts/openai:cli/models/refresh")
        #expect(refreshed.status == .ok)
        let refresh = refreshed.json["refresh"] as? [String: Any]
        #expect(refresh?["ok"] as? Bool == false)
        #expect((refresh?["summary"] as? String)?.contains("allowDirectApi") == true, "\(refreshed.text)")
        #expect((refreshed.json["models"] as? [[String: Any]] ?? []).allSatisfy { $0["source"] as? String == "catalog" })
        #expect(s.emulator.received.count == calls)
    }

    @Test func allowingDirectAPIUseRestoresDirectCalls() async throws {
        let s = try await SignedIn()
        #expect(await s.t.bearer(.post, "/api/accounts/openai:cli/test").json["ok"] as? Bool == true)
        #expect(s.emulator.received.isEmpty)

        try await s.allowDirectApi(true)
        let r = await s.t.bearer(.post, "/api/accounts/openai:cli/test").json

        #expect(r["ok"] as? Bool == true)
        #expect((r["summary"] as? String)?.contains("accepted the sign-in") == true, "\(r)")
        let call = try #require(s.emulator.received.first)
        let token = try #require(await s.stored()["accessToken"] as? String)
        #expect(call.uri == "/openai/v1/models")
        #expect(call.header("Authorization") == "Bearer \(token)")
    }

    @Test func anOperatorAppSignInAndAnAPIKeyAreStillTestedDirectly() async throws {
        let s = try await SignedIn(clientKind: "operator_app")
        #expect((await s.t.bearer(.post, "/api/accounts/openai:cli/test").json["summary"] as? String)?.contains("accepted the sign-in") == true)
        #expect(s.emulator.received.count == 1)
        #expect(s.fake.refreshGrants.isEmpty)

        try await s.t.createAccount(apiKeyBody("openai", "/openai/v1")(s.emulator.baseURL, "good", "openai:key"))
        #expect(await s.t.bearer(.post, "/api/accounts/openai:key/test").json["ok"] as? Bool == true)
        #expect(s.emulator.received.count == 2)
    }

    @Test func aDraftTestCannotSendTheStoredProviderCLITokenToTheAPI() async throws {
        let s = try await SignedIn()
        let hint = ((await s.account())["credential"] as? [String: Any])?["hint"] as? String ?? ""
        #expect(hint.hasPrefix(Credential.redactionMark))

        // The stored token, by its placeholder or pasted as it is (whatever client it claims to come from).
        for credential in [#"{"kind":"oauth","accessToken":"\#(hint)"}"#,
                           #"{"kind":"oauth","accessToken":"\#(s.tokens.accessToken)","clientKind":"operator_app"}"#] {
            let r = await s.t.json(.post, "/api/providers/openai/test",
                                   #"{"account":"openai:cli","baseUrl":"\#(s.emulator.baseURL)/openai/v1","credential":\#(credential)}"#)
            #expect(r.status == .conflict, "\(r.text)")
            #expect(r.problemSlug == "direct-api-not-allowed")
            #expect(!r.text.contains("CANARYSECRET"))
        }
        #expect(s.emulator.received.isEmpty)
    }

    @Test func pairingsTestAfterCompletingOnlyRenewsAProviderCLISignIn() async throws {
        let s = try await SignedIn()
        try await s.t.createAccount(#"{"provider":"openai","id":"openai:paired","baseUrl":"\#(s.emulator.baseURL)/openai/v1"}"#)
        let pairing = await s.t.json(.post, "/api/pairing", #"{"provider":"openai","account":"openai:paired"}"#)
        let code = try #require(pairing.json["code"] as? String)
        Canary.remember(code)
        let tokens = s.fake.signInElsewhere()

        let done = await s.t.send(.post, "/api/pairing/complete", headers: [.contentType: "application/json"], body: #"""
            {"code":"\#(code)","provider":"openai","credential":{"kind":"oauth","accessToken":"\#(tokens.accessToken)",
             "refreshToken":"\#(tokens.refreshToken)","clientKind":"provider_cli"}}
            """#)

        #expect(done.status == .ok, "\(done.text)")
        let test = done.json["test"] as? [String: Any]
        #expect(test?["ok"] as? Bool == true, "\(done.text)")
        #expect((test?["summary"] as? String)?.contains("Only the renewal was checked") == true)
        #expect(s.fake.refreshGrants.map { $0.form["refresh_token"] } == [tokens.refreshToken])
        #expect(s.emulator.received.isEmpty)
    }
}
