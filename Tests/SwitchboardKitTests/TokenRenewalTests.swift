@testable import Accounts
@testable import API
@testable import Auth
import Foundation
import HTTPTypes
import TestSupport
import Testing
@testable import Vault

/// Issue 12, item 11: OAuth tokens are renewed in the background before they expire, not only when someone
/// runs a test. The fake authorization server plays OpenAI's token endpoint and records every grant.
@Suite struct TokenRenewalTests {
    /// An app whose renewer follows `schedule` (not started), with the fake as OpenAI's OAuth client.
    struct Setup {
        let t: TestApp
        let fake: FakeAuthorizationServer
        var renewer: TokenRenewer { t.app.renewer }

        init(_ schedule: TokenRenewer.Schedule = TokenRenewer.Schedule()) async throws {
            t = try TestApp(renewal: schedule)
            fake = try FakeAuthorizationServer()
            let client = await t.json(.put, "/api/oauth/clients/openai", fake.clientSettings())
            guard client.status == .ok else { throw TestFailure("client: \(client.status) \(client.text)") }
        }

        /// The tokens of a sign-in done elsewhere whose access token expires in `seconds`, as a credential body.
        func signIn(expiresIn seconds: TimeInterval, clientKind: String = "provider_cli",
                    withRefreshToken: Bool = true) -> (body: String, refreshToken: String) {
            let tokens = fake.signInElsewhere()
            let refresh = withRefreshToken ? #""refreshToken":"\#(tokens.refreshToken)","# : ""
            let expires = Date().addingTimeInterval(seconds).formatted(.iso8601)
            return (#"{"kind":"oauth","accessToken":"\#(tokens.accessToken)",\#(refresh)"expiresAt":"\#(expires)","clientKind":"\#(clientKind)"}"#,
                    tokens.refreshToken)
        }

        /// A new account `id` holding such a sign-in; answers its refresh token.
        @discardableResult
        func account(_ id: String, expiresIn seconds: TimeInterval, clientKind: String = "provider_cli",
                     withRefreshToken: Bool = true) async throws -> String {
            let signIn = signIn(expiresIn: seconds, clientKind: clientKind, withRefreshToken: withRefreshToken)
            try await t.createAccount(#"{"provider":"openai","id":"\#(id)","credential":\#(signIn.body)}"#)
            return signIn.refreshToken
        }

        /// The credential in the vault, read without a request.
        func stored(_ id: String) throws -> Credential {
            guard let record = try t.database.account(id) else { throw TestFailure("no account \(id)") }
            return try t.app.accounts.credential(of: record)
        }
    }

    // MARK: Tests

    @Test func routingHandsOutAFreshTokenRenewingOnceForConcurrentDecisions() async throws {
        // Given an operator-app sign-in whose access token expires in two minutes (inside routing's five-minute margin)
        let s = try await Setup()
        try await s.account("openai:app", expiresIn: 120, clientKind: "operator_app")
        let before = try s.stored("openai:app")
        s.fake.behaviour.expiresIn = 3600
        let runtime = try AdminTokens(database: s.t.database).create(name: "rt", scopes: TokenScopes.make(["runtime", "credentials"]).get()).secret
        // When five decisions ask for the credential at once
        let answers = await withTaskGroup(of: Response.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    await s.t.send(.post, "/api/route", headers: [.authorization: "Bearer \(runtime)", .contentType: "application/json"],
                                   body: #"{"model":"openai/gpt-5","withCredential":true}"#)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        // Then one renewal served them all, each with the new token and its expiry
        let after = try s.stored("openai:app")
        #expect(s.fake.refreshGrants.count == 1)
        #expect(after.fields["accessToken"] != before.fields["accessToken"])
        for answer in answers {
            #expect(answer.status == .ok, "\(answer.text)")
            let credential = answer.json["credential"] as? [String: Any]
            #expect((credential?["headers"] as? [String: String])?["Authorization"] == "Bearer \(after.fields["accessToken"]?.stringValue ?? "")")
            #expect(credential?["kind"] as? String == "oauth")
            #expect(credential?["expiresAt"] as? String != nil)
        }
    }

    @Test func anAuthOutcomeForAnOAuthAccountRenewsOnceAndKeepsItInRotationThenAFailedRenewalPutsItInError() async throws {
        let s = try await Setup()
        try await s.account("openai:app", expiresIn: 3600, clientKind: "operator_app")
        s.fake.behaviour.expiresIn = 3600
        let runtime = try AdminTokens(database: s.t.database).create(name: "rt", scopes: TokenScopes.make(["runtime"]).get()).secret
        func call(_ path: String, _ body: String) async -> Response {
            await s.t.send(.post, path, headers: [.authorization: "Bearer \(runtime)", .contentType: "application/json"], body: body)
        }
        // A 401 on a token that should still be good: the sign-in is renewed, and the account stays in rotation.
        let first = await call("/api/route", #"{"model":"openai/gpt-5"}"#)
        let id = first.json["decisionId"] as? String ?? ""
        let answer = await call("/api/route/outcome", #"{"decisionId":"\#(id)","outcome":"auth","httpStatus":401}"#)
        #expect(answer.status == .ok)
        #expect((answer.json["explain"] as? [[String: Any]])?.contains { $0["reason"] as? String == "renewed" } == true)
        #expect(answer.json["block"] == nil)
        #expect(s.fake.refreshGrants.count == 1)
        #expect(await call("/api/route", #"{"model":"openai/gpt-5"}"#).status == .ok)
        // When the renewal is refused too, the account is in error until a test passes.
        s.fake.behaviour.refuseRefresh = true
        let second = await call("/api/route", #"{"model":"openai/gpt-5"}"#)
        _ = await call("/api/route/outcome", #"{"decisionId":"\#(second.json["decisionId"] as? String ?? "")","outcome":"auth","httpStatus":401}"#)
        #expect(await call("/api/route", #"{"model":"openai/gpt-5"}"#).status == .serviceUnavailable)
        #expect(await s.t.bearer(.get, "/api/accounts/openai:app").json["status"] as? String == "error")
    }

    @Test func anExpiringTokenIsRenewedInTheBackgroundWithoutAnyRequest() async throws {
        // Given a sign-in whose access token expires in two minutes, inside the five-minute margin
        let s = try await Setup(TokenRenewer.Schedule(interval: .milliseconds(100)))
        let refreshToken = try await s.account("openai:bg", expiresIn: 120)
        let before = try s.stored("openai:bg")
        s.fake.behaviour.expiresIn = 3600   // the renewed token is not due again

        // When the renewer runs, and nobody sends the app a request
        s.renewer.start()
        let renewed = await eventually { !s.fake.refreshGrants.isEmpty }
        await s.renewer.stopAndWait()

        // Then the token endpoint saw the stored refresh token, and the vault holds the new token set
        #expect(renewed)
        #expect(s.fake.refreshGrants.map { $0.form["refresh_token"] } == [refreshToken])
        let after = try s.stored("openai:bg")
        #expect(after.fields["accessToken"] != before.fields["accessToken"])
        #expect(after.fields["refreshToken"] != before.fields["refreshToken"])
        let expires = try Date(try #require(after.fields["expiresAt"]?.stringValue), strategy: .iso8601)
        #expect(expires > Date().addingTimeInterval(1800))
        #expect(after.fields["clientKind"]?.stringValue == "provider_cli")
        #expect(await s.t.auditEvents("credential.refreshed").count == 1)
    }

    @Test func onlyDueRenewableOAuthAccountsAreRenewedAndACLIAccountsStatusFollows() async throws {
        let s = try await Setup(TokenRenewer.Schedule(spacing: .milliseconds(1)))
        let cli = try await s.account("openai:due", expiresIn: 60)
        let own = try await s.account("openai:own", expiresIn: 200, clientKind: "operator_app")
        try await s.account("openai:later", expiresIn: 3600)
        try await s.account("openai:norefresh", expiresIn: 60, withRefreshToken: false)
        try await s.t.createAccount(#"{"provider":"openai","id":"openai:key","credential":{"kind":"api_key","apiKey":"sk-CANARYSECRET-renewal-0123456789abcdef"}}"#)

        let outcomes = await s.renewer.renewDue()

        #expect(outcomes == ["openai:due": .renewed, "openai:own": .renewed])
        #expect(Set(s.fake.refreshGrants.compactMap { $0.form["refresh_token"] }) == [cli, own])
        #expect(s.fake.refreshGrants.count == 2)
        // For an account kept from the API the renewal is its connection test; the others keep theirs.
        let due = await s.t.bearer(.get, "/api/accounts/openai:due").json
        #expect(due["status"] as? String == "connected")
        #expect((due["statusDetail"] as? String)?.contains("Only the renewal was checked") == true)
        #expect(await s.t.bearer(.get, "/api/accounts/openai:own").json["status"] as? String == "untested")
    }

    @Test func aRenewalThatKeepsFailingIsRecordedAndBackedOffUntilANewSignIn() async throws {
        // Given a sign-in the token endpoint refuses to renew
        let s = try await Setup(TokenRenewer.Schedule(backoff: .seconds(60), maxBackoff: .seconds(3600)))
        try await s.account("openai:bad", expiresIn: 120)
        s.fake.behaviour.refuseRefresh = true
        let t0 = Date()

        // When it fails, it is recorded on the account as a test's failed renewal would be
        #expect(await s.renewer.renewDue(at: t0) == ["openai:bad": .failed(.auth)])
        let account = await s.t.bearer(.get, "/api/accounts/openai:bad").json
        #expect(account["status"] as? String == "error")
        #expect((account["lastTest"] as? [String: Any])?["category"] as? String == "auth")
        #expect((account["statusDetail"] as? String)?.contains("invalid_grant") == true)

        // Then it is left alone for a minute, then for two
        #expect(await s.renewer.renewDue(at: t0.addingTimeInterval(30)) == [:])
        #expect(await s.renewer.renewDue(at: t0.addingTimeInterval(61)) == ["openai:bad": .failed(.auth)])
        #expect(await s.renewer.renewDue(at: t0.addingTimeInterval(61 + 90)) == [:])
        #expect(await s.renewer.renewDue(at: t0.addingTimeInterval(61 + 121)) == ["openai:bad": .failed(.auth)])
        #expect(s.fake.refreshGrants.count == 3)

        // And a new sign-in starts afresh
        s.fake.behaviour.refuseRefresh = false
        let replaced = await s.t.json(.put, "/api/accounts/openai:bad/credential", s.signIn(expiresIn: 120).body)
        #expect(replaced.status == .ok, "\(replaced.text)")
        #expect(await s.renewer.renewDue(at: t0.addingTimeInterval(61 + 122)) == ["openai:bad": .renewed])
    }
}
