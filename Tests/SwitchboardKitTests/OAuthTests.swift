@testable import API
@testable import Accounts
@testable import Auth
@testable import Cryptography
import Foundation
import GRDB
import HTTPTypes
@testable import Storage
import TestSupport
import Testing

/// SECURITY.md "OAuth": every requirement driven in-process against the fake authorization server
/// (Tests/TestSupport/FakeAuthorizationServer.swift), which checks PKCE, redirect URI and client on its side.
@Suite struct OAuthTests {
    @Test func pkceMatchesRFC7636AppendixB() {
        #expect(PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        let v = PKCE.verifier()
        #expect(v.count == 43)
        #expect(PKCE.verifier() != v)
    }

    /// An app signed in by cookie, the fake registered as OpenAI's client, and `openai:oauth` pointing its API
    /// calls at the fake (so nothing leaves loopback).
    struct Setup {
        let t: TestApp
        let fake: FakeAuthorizationServer
        let cookie: String
        var session: HTTPFields { [.cookie: cookie, .csrf: "1", .host: "sb.test", .origin: "http://sb.test", .contentType: "application/json"] }

        init(mode: String = "server_callback", redirectUri: String? = nil) async throws {
            t = try TestApp()
            fake = try FakeAuthorizationServer()
            let put = await t.json(.put, "/api/oauth/clients/openai", fake.clientSettings(redirectMode: mode, redirectUri: redirectUri))
            guard put.status == .ok else { throw TestFailure("client: \(put.status) \(put.text)") }
            try await t.createAccount(#"{"provider":"openai","id":"openai:oauth","authMethod":"oauth_browser","baseUrl":"\#(fake.baseURL)/v1"}"#)
            cookie = try await t.signIn()
        }

        /// Starts a browser sign-in as the signed-in session; returns the answer and the binding cookie.
        func start(account: String? = "openai:oauth", cookie extra: String? = nil) async throws -> (json: [String: Any], binding: String) {
            var headers = session
            if let extra { headers[.cookie] = cookie + "; " + extra }
            let body = account.map { #"{"account":"\#($0)"}"# } ?? "{}"
            let r = await t.send(.post, "/api/oauth/openai/start", headers: headers, body: body)
            guard r.status == .created else { throw TestFailure("start: \(r.status) \(r.text)") }
            let set = r.headers[.setCookie] ?? ""
            return (r.json, String(set.split(separator: ";")[0]))
        }

        /// Plays the browser at the provider: the Location the authorize endpoint redirects to (nil: no redirect).
        func authorize(_ url: String) throws -> String? {
            let out = try shell("curl -s --cacert '\(TestCA.files.caCertificate)' -o /dev/null -w '%{http_code} %{redirect_url}' '\(url)'").output
            let parts = out.split(separator: " ", maxSplits: 1)
            return parts.first == "302" && parts.count == 2 ? String(parts[1]) : nil
        }

        /// The callback as the browser sends it (path and query of `location`), with the binding cookie.
        func callback(_ location: String, binding: String?, provider: String = "openai") async -> Response {
            let query = URLComponents(string: location)?.percentEncodedQuery ?? ""
            var headers: HTTPFields = [.host: "sb.test", .accept: "text/html"]
            if let binding { headers[.cookie] = binding }
            return await t.send(.get, "/api/oauth/\(provider)/callback?\(query)", headers: headers)
        }

        /// The stored tokens, one audited reveal each (a reveal answers only the field it names).
        func revealed(_ id: String) async -> [String: Any] {
            var fields: [String: Any] = [:]
            for name in ["accessToken", "refreshToken"] {
                fields[name] = await t.bearer(.post, "/api/accounts/\(id)/credential/reveal?field=\(name)").json["value"]
            }
            return fields
        }
    }

    @Test func browserSignInStoresTheTokensAndRedirectsToACleanURL() async throws {
        let s = try await Setup()
        // A token caller has no browser session for the callback to come back to.
        #expect(await s.t.json(.post, "/api/oauth/openai/start", "{}").problemSlug == "oauth-unavailable")
        let (started, binding) = try await s.start()
        #expect(binding.hasPrefix("sb_oauth="))
        let authorize = try #require(URLComponents(string: started["authorizeUrl"] as? String ?? ""))
        let q = Dictionary(uniqueKeysWithValues: (authorize.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(q["code_challenge_method"] == "S256")
        #expect((q["state"]?.count ?? 0) >= 43)   // 256 bits in base64url
        #expect(q["redirect_uri"] == "http://sb.test/api/oauth/openai/callback")
        #expect(started["redirectUri"] as? String == "http://sb.test/api/oauth/openai/callback")

        let location = try #require(try s.authorize(started["authorizeUrl"] as! String))
        let r = await s.callback(location, binding: binding)
        #expect(r.status == .seeOther)
        #expect(r.headers[.location] == "/settings?section=model-provider&connected=openai%3Aoauth")
        #expect(r.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
        // The fake checked the verifier against the challenge, the redirect URI and the client.
        let exchange = try #require(s.fake.tokenRequests.first)
        #expect(exchange.form["grant_type"] == "authorization_code")
        #expect(FakeAuthorizationServer.s256(exchange.form["code_verifier"] ?? "") == q["code_challenge"])

        let account = await s.t.bearer(.get, "/api/accounts/openai:oauth").json
        #expect((account["credential"] as? [String: Any])?["kind"] as? String == "oauth")
        let oauth = try #require(account["oauth"] as? [String: Any])
        #expect(oauth["directApiAllowed"] as? Bool == false)
        #expect(oauth["usableBy"] as? String == "direct_api")   // the operator's own client, not a provider CLI's
        let fields = await s.revealed("openai:oauth")
        #expect((fields["accessToken"] as? String)?.hasPrefix("at-CANARYSECRET") == true)
        #expect((fields["refreshToken"] as? String)?.hasPrefix("rt-CANARYSECRET") == true)
        #expect(await s.t.auditEvents("oauth.signed_in").count == 1)
        // The tokens work against the API.
        let tested = await s.t.bearer(.post, "/api/accounts/openai:oauth/test").json
        #expect(tested["ok"] as? Bool == true)
        #expect((tested["summary"] as? String)?.contains("accepted the sign-in") == true)
    }

    @Test func stateIsSingleUseAndMissingOrUnknownStateSendsNoTokenRequest() async throws {
        let s = try await Setup()
        let (started, binding) = try await s.start()
        let location = try #require(try s.authorize(started["authorizeUrl"] as! String))
        #expect(await s.callback(location, binding: binding).status == .seeOther)
        #expect(s.fake.tokenRequests.count == 1)

        let replay = await s.callback(location, binding: binding)
        #expect(replay.status == .badRequest)
        #expect(replay.text.contains("already used"))
        let code = URLComponents(string: location)!.queryItems!.first { $0.name == "code" }!.value!
        let missing = await s.callback("x:/?code=\(code)", binding: binding)
        #expect(missing.status == .badRequest)
        let unknown = await s.callback("x:/?code=\(code)&state=\(OAuthRandom.state())", binding: binding)
        #expect(unknown.status == .badRequest)
        // Without text/html the refusal is a problem document.
        let plain = await s.t.send(.get, "/api/oauth/openai/callback?code=x&state=y", headers: [.host: "sb.test"])
        #expect(plain.problemSlug == "oauth-state")
        #expect(plain.json["category"] as? String == "state_mismatch")
        #expect(s.fake.tokenRequests.count == 1)
        #expect(!replay.text.contains(code) && !unknown.text.contains(code))
    }

    @Test func stateFromAnotherSessionOrAnEndedSessionIsRefused() async throws {
        let s = try await Setup()
        let (started, binding) = try await s.start()
        let location = try #require(try s.authorize(started["authorizeUrl"] as! String))
        // Another browser (its own binding cookie) or no cookie at all.
        #expect(await s.callback(location, binding: "sb_oauth=\(OAuthRandom.state())").status == .badRequest)

        let (second, binding2) = try await s.start()
        let location2 = try #require(try s.authorize(second["authorizeUrl"] as! String))
        #expect(await s.callback(location2, binding: nil).status == .badRequest)

        // The right browser, but the admin session that started it has signed out.
        let (third, binding3) = try await s.start()
        let location3 = try #require(try s.authorize(third["authorizeUrl"] as! String))
        _ = await s.t.send(.delete, "/api/session", headers: s.session)
        let ended = await s.callback(location3, binding: binding3)
        #expect(ended.status == .badRequest)
        #expect(ended.text.contains("session"))
        #expect(s.fake.tokenRequests.isEmpty)
        _ = (binding, binding2)
    }

    @Test func expiredStateAndAnotherProvidersCallbackAreRefused() async throws {
        let s = try await Setup()
        let (started, binding) = try await s.start()
        let location = try #require(try s.authorize(started["authorizeUrl"] as! String))
        let query = Dictionary(uniqueKeysWithValues: URLComponents(string: location)!.queryItems!.map { ($0.name, $0.value ?? "") })
        let late = await s.t.app.oauth.callback("openai", query: query, binding: String(binding.dropFirst("sb_oauth=".count)),
                                                at: Date().addingTimeInterval(OAuthService.lifetime + 1))
        #expect(late == .refused(category: "expired", detail: "The sign-in took longer than 10 minutes and expired; start again."))

        let (other, binding2) = try await s.start()
        let location2 = try #require(try s.authorize(other["authorizeUrl"] as! String))
        #expect(await s.callback(location2, binding: binding2, provider: "anthropic").status == .badRequest)
        #expect(s.fake.tokenRequests.isEmpty)
    }

    @Test func providerErrorConsumesTheStateIsAuditedAndSendsNoTokenRequest() async throws {
        let s = try await Setup()
        s.fake.behaviour.deny = true
        let (started, binding) = try await s.start()
        let location = try #require(try s.authorize(started["authorizeUrl"] as! String))
        let r = await s.callback(location, binding: binding)
        #expect(r.status == .seeOther)
        let target = r.headers[.location] ?? ""
        #expect(target.hasPrefix("/settings?section=model-provider&error=access_denied&flow=oaf_"))
        #expect(await s.callback(location, binding: binding).status == .badRequest)   // consumed
        #expect(s.fake.tokenRequests.isEmpty)
        let events = await s.t.auditEvents("oauth.failed")
        #expect((events.first?["detail"] as? [String: Any])?["category"] as? String == "access_denied")
        let flowID = String(target.split(separator: "=").last!)
        let flow = await s.t.send(.get, "/api/oauth/flows/\(flowID)", headers: s.session)
        #expect(flow.json["status"] as? String == "failed")
        #expect((flow.json["message"] as? String)?.contains("declined") == true)
    }

    @Test func aMismatchedIssuerIsRefusedBeforeAnyTokenRequest() async throws {
        let s = try await Setup()
        s.fake.behaviour.wrongIssuer = true
        let (started, binding) = try await s.start()
        let location = try #require(try s.authorize(started["authorizeUrl"] as! String))
        let r = await s.callback(location, binding: binding)
        #expect(r.headers[.location]?.contains("error=issuer_mismatch") == true)
        #expect(s.fake.tokenRequests.isEmpty)
        // Without iss (a server that does not send it) the sign-in works.
        s.fake.behaviour.wrongIssuer = false
        s.fake.behaviour.omitIssuer = true
        let (again, binding2) = try await s.start()
        let location2 = try #require(try s.authorize(again["authorizeUrl"] as! String))
        #expect(await s.callback(location2, binding: binding2).headers[.location]?.contains("connected=") == true)
    }

    @Test func anUnregisteredRedirectURIIsNamedAndTheFlowTimesOut() async throws {
        let s = try await Setup()
        s.fake.behaviour.registeredRedirects = ["https://elsewhere.test/callback"]
        let (started, _) = try await s.start()
        #expect(try s.authorize(started["authorizeUrl"] as! String) == nil)   // the provider's own error page
        // The exact URI to register is in the start answer and in the client list.
        let clients = await s.t.send(.get, "/api/oauth/clients", headers: s.session).json["clients"] as? [[String: Any]] ?? []
        let openai = clients.first { $0["provider"] as? String == "openai" }
        #expect(openai?["redirectUri"] as? String == "http://sb.test/api/oauth/openai/callback")
        #expect(openai?["source"] as? String == "operator")
        // The callback never arrives: after the state's lifetime the flow reads callback_timeout.
        let flow = try s.t.app.oauth.flow(started["flowId"] as! String, principal: try await principal(s),
                                          at: Date().addingTimeInterval(OAuthService.lifetime + 1))
        #expect(flow.status == "expired")
        #expect(flow.category == "callback_timeout")
    }

    func principal(_ s: Setup) async throws -> Principal {
        let cookie = String(s.cookie.dropFirst("sb_session=".count))
        let found = try #require(try s.t.database.activeSession(hash: Digest.sha256Hex(cookie), now: Date()))
        return Principal(tokenID: found.1.id, tokenName: found.1.name, method: .session, sessionID: found.0.id)
    }

    @Test func aMissingScopeIsReportedOnTheAccountWithSignInAgain() async throws {
        let s = try await Setup()
        s.fake.behaviour.withheldScopes = ["models.read"]
        let (started, binding) = try await s.start()
        let location = try #require(try s.authorize(started["authorizeUrl"] as! String))
        let target = await s.callback(location, binding: binding).headers[.location] ?? ""
        #expect(target.contains("error=insufficient_scope"))
        #expect(target.contains("account=openai%3Aoauth"))
        let flow = await s.t.send(.get, "/api/oauth/flows/\(started["flowId"] as! String)", headers: s.session).json
        #expect(flow["missingScopes"] as? [String] == ["models.read"])
        let account = await s.t.bearer(.get, "/api/accounts/openai:oauth").json
        let last = account["lastTest"] as? [String: Any]
        #expect(last?["category"] as? String == "forbidden")
        #expect((last?["summary"] as? String)?.contains("models.read") == true)
    }

    @Test func whenStoringFailsNothingIsLeftAndARetryWorks() async throws {
        let s = try await Setup()
        let before = try s.t.credentialFiles()
        try await s.t.database.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER fail_store BEFORE UPDATE OF credential_file ON account BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        }
        let (started, binding) = try await s.start()
        let location = try #require(try s.authorize(started["authorizeUrl"] as! String))
        #expect(await s.callback(location, binding: binding).headers[.location]?.contains("error=storage_failed") == true)
        #expect(try s.t.credentialFiles() == before)
        #expect(await s.t.bearer(.get, "/api/accounts/openai:oauth").json["credential"] is NSNull)
        #expect(await s.t.auditEvents("oauth.signed_in").isEmpty)

        try await s.t.database.pool.write { db in try db.execute(sql: "DROP TRIGGER fail_store") }
        let (again, binding2) = try await s.start()
        let location2 = try #require(try s.authorize(again["authorizeUrl"] as! String))
        #expect(await s.callback(location2, binding: binding2).headers[.location]?.contains("connected=") == true)
    }

    /// Signs `openai:oauth` in through the browser flow.
    func signedIn(_ s: Setup) async throws {
        let (started, binding) = try await s.start()
        let location = try #require(try s.authorize(started["authorizeUrl"] as! String))
        #expect(await s.callback(location, binding: binding).headers[.location]?.contains("connected=") == true)
    }

    @Test func tokensAreRefreshedOnceAtATimeAndTheRotatedTokenIsCommittedFirst() async throws {
        let s = try await Setup()
        s.fake.behaviour.expiresIn = 30   // inside the minute before expiry: every use refreshes first
        try await signedIn(s)
        let first = await s.revealed("openai:oauth")["refreshToken"] as? String

        // Five tests at once: one refresh.
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<5 { group.addTask { _ = await s.t.bearer(.post, "/api/accounts/openai:oauth/test") } }
        }
        let refreshes = { s.fake.tokenRequests.filter { $0.form["grant_type"] == "refresh_token" } }
        #expect(refreshes().count >= 1)
        #expect(refreshes().count <= 2)   // the first five share one; a late starter may see the new short token and renew again
        let second = await s.revealed("openai:oauth")["refreshToken"] as? String
        #expect(second != first)
        #expect(refreshes().first?.form["refresh_token"] == first)

        // The stored (rotated) token is the one used next: had the old one been kept, the fake would see reuse
        // and revoke the family.
        let r = await s.t.bearer(.post, "/api/accounts/openai:oauth/test")
        #expect(r.json["ok"] as? Bool == true, "\(r.text)")
        #expect(refreshes().last?.form["refresh_token"] != first)
        #expect(await s.t.auditEvents("credential.refreshed").count == refreshes().count)
    }

    @Test func aRenewalNeverConfirmsABaseURLThatMovedMeanwhile() async throws {
        // Given a sign-in confirmed for the fake's API, whose base URL then moved to another origin
        let s = try await Setup()
        try await signedIn(s)
        let moved = await s.t.json(.patch, "/api/accounts/openai:oauth", #"{"baseUrl":"https://elsewhere.example/v1"}"#,
                                   contentType: "application/merge-patch+json")
        #expect((moved.json["credential"] as? [String: Any])?["needsConfirmation"] as? Bool == true)

        // When the sign-in is renewed with nobody looking (as the background renewer does)
        guard case .success = await s.t.app.oauth.refresh("openai:oauth") else {
            Issue.record("the renewal failed")
            return
        }

        // Then the renewed tokens still wait for the operator to confirm the new address
        let account = await s.t.bearer(.get, "/api/accounts/openai:oauth").json
        #expect((account["credential"] as? [String: Any])?["needsConfirmation"] as? Bool == true)
        #expect(account["status"] as? String == "missing_credential")
        #expect(await s.t.bearer(.post, "/api/accounts/openai:oauth/test").problemSlug == "credential-needs-confirmation")
    }

    @Test func aRefusedRefreshMarksTheAccountAuthError() async throws {
        let s = try await Setup()
        s.fake.behaviour.expiresIn = 30
        try await signedIn(s)
        s.fake.behaviour.refuseRefresh = true
        let r = await s.t.bearer(.post, "/api/accounts/openai:oauth/test").json
        #expect(r["category"] as? String == "auth")
        #expect((r["summary"] as? String)?.contains("invalid_grant") == true)
        let account = await s.t.bearer(.get, "/api/accounts/openai:oauth").json
        #expect(account["status"] as? String == "error")
        #expect((account["lastTest"] as? [String: Any])?["category"] as? String == "auth")
    }

    @Test func pastedCodesFinishAPasteFlowAndAreBoundToTheirState() async throws {
        let s = try await Setup(mode: "paste_code", redirectUri: "https://localhost:1/code-page")
        let (started, _) = try await s.start()
        #expect(started["redirectMode"] as? String == "paste_code")
        let location = try #require(try s.authorize(started["authorizeUrl"] as! String))
        let items = Dictionary(uniqueKeysWithValues: URLComponents(string: location)!.queryItems!.map { ($0.name, $0.value ?? "") })
        let flowID = started["flowId"] as! String

        // Another sign-in's state is refused; a bearer caller is not the session that started it.
        let wrong = await s.t.send(.post, "/api/oauth/openai/paste", headers: s.session,
                                   body: #"{"flowId":"\#(flowID)","code":"\#(items["code"]!)#\#(OAuthRandom.state())"}"#)
        #expect(wrong.status == .badRequest)
        let stranger = await s.t.json(.post, "/api/oauth/openai/paste", #"{"flowId":"\#(flowID)","code":"\#(items["code"]!)"}"#)
        #expect(stranger.status == .badRequest)
        #expect(s.fake.tokenRequests.isEmpty)

        let ok = await s.t.send(.post, "/api/oauth/openai/paste", headers: s.session,
                                body: #"{"flowId":"\#(flowID)","code":"\#(items["code"]!)#\#(items["state"]!)"}"#)
        #expect(ok.status == .ok, "\(ok.text)")
        #expect(ok.json["status"] as? String == "completed")
        #expect(ok.json["account"] as? String == "openai:oauth")
        // Single use.
        let again = await s.t.send(.post, "/api/oauth/openai/paste", headers: s.session,
                                   body: #"{"flowId":"\#(flowID)","code":"\#(items["code"]!)"}"#)
        #expect(again.status == .badRequest)

        // The whole address the browser ended on works too.
        let (second, _) = try await s.start()
        let location2 = try #require(try s.authorize(second["authorizeUrl"] as! String))
        let whole = await s.t.send(.post, "/api/oauth/openai/paste", headers: s.session,
                                   body: #"{"flowId":"\#(second["flowId"] as! String)","code":"\#(location2)"}"#)
        #expect(whole.json["status"] as? String == "completed", "\(whole.text)")
    }

    @Test func deviceCodePollsAtTheServersIntervalAndSlowsDown() async throws {
        let s = try await Setup()
        s.fake.behaviour.deviceInterval = 0   // the fake's own too-fast check off: time is simulated below
        s.fake.behaviour.devicePending = 1
        let principal = try await principal(s)
        let start = await s.t.send(.post, "/api/oauth/openai/device", headers: s.session, body: #"{"account":"openai:oauth"}"#)
        #expect(start.status == .created, "\(start.text)")
        #expect(start.json["userCode"] as? String == "WDJB-MJHT")
        let id = start.json["flowId"] as! String
        // The device code alone can fetch tokens: the database holds it sealed with the master key.
        let stored = try await s.t.database.pool.read { db in try String.fetchOne(db, sql: "SELECT device_code FROM oauth_flow WHERE id = ?", arguments: [id]) }
        #expect(stored != nil && stored?.contains("CANARYSECRET") == false)
        // Simulated time starts when the flow was created (a loaded machine can take seconds to get here).
        let t0 = try #require(try await s.t.database.pool.read { db in try Date.fetchOne(db, sql: "SELECT created_at FROM oauth_flow WHERE id = ?", arguments: [id]) })
        let deviceGrants = { s.fake.tokenRequests.filter { $0.form["grant_type"]?.hasSuffix("device_code") == true }.count }

        _ = try await s.t.app.oauth.poll(id, principal: principal, at: t0)   // before the interval: not asked
        #expect(deviceGrants() == 0)
        var flow = try await s.t.app.oauth.poll(id, principal: principal, at: t0.addingTimeInterval(2))
        #expect(flow.category == "authorization_pending")
        flow = try await s.t.app.oauth.poll(id, principal: principal, at: t0.addingTimeInterval(4))
        #expect(flow.category == "slow_down")
        #expect(flow.interval == 6)
        flow = try await s.t.app.oauth.poll(id, principal: principal, at: t0.addingTimeInterval(8))   // inside the new interval
        #expect(deviceGrants() == 2)
        flow = try await s.t.app.oauth.poll(id, principal: principal, at: t0.addingTimeInterval(11))
        #expect(flow.status == "completed")
        #expect(flow.account == "openai:oauth")
        #expect(deviceGrants() == 3)

        // An unanswered code expires into "request a new code".
        let second = await s.t.send(.post, "/api/oauth/openai/device", headers: s.session, body: "{}")
        let late = try await s.t.app.oauth.poll(second.json["flowId"] as! String, principal: principal, at: t0.addingTimeInterval(700))
        #expect(late.status == "expired")
        #expect(late.message?.contains("expired — request a new code") == true)
    }

    @Test func aStartBodyThatIsNotAnObjectIsRefused() async throws {
        // Given the built-in OpenAI client, which a token caller may start
        let t = try TestApp()
        // When the start body is a JSON array (or any other non-object)
        for body in ["[]", "true", #""openai:work""#] {
            let started = await t.json(.post, "/api/oauth/openai/start", body)
            // Then no flow starts
            #expect(started.status == .unprocessableContent, "\(body): \(started.text)")
        }
        #expect(await t.json(.post, "/api/oauth/openai/start", "{}").status == .created)
    }

    @Test func anOAuthClientMemberOfTheWrongTypeIsRefusedNotIgnored() async throws {
        // Given an operator's client that is valid but for one member of the wrong type
        let t = try TestApp()
        let valid = #""authorizeUrl":"https://auth.example.com/authorize","tokenUrl":"https://auth.example.com/token","clientId":"app""#
        for (member, value) in [("issuer", "{}"), ("redirectUri", "5"), ("redirectMode", "true")] {
            // When it is stored
            let put = await t.json(.put, "/api/oauth/clients/openai", "{\(valid),\"\(member)\":\(value)}")
            // Then it is refused with that member's pointer, and nothing was stored
            #expect(put.status == .unprocessableContent, "\(member): \(put.text)")
            #expect((put.json["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/\(member)")
        }
        let clients = await t.bearer(.get, "/api/oauth/clients").json["clients"] as? [[String: Any]] ?? []
        #expect(clients.first { $0["provider"] as? String == "openai" }?["source"] as? String == "default")
    }

    @Test func directAPIUseIsTheOperatorsExplicitChoiceForProviderCLIClients() async throws {
        let t = try TestApp()
        // The built-in OpenAI client is the provider's CLI client.
        let clients = await t.bearer(.get, "/api/oauth/clients").json["clients"] as? [[String: Any]] ?? []
        #expect(clients.first { $0["provider"] as? String == "openai" }?["providerCliClient"] as? Bool == true)
        try await t.createAccount(#"{"provider":"openai","id":"openai:cli","credential":{"kind":"oauth","accessToken":"at-CANARYSECRET-cli-0123456789","clientKind":"provider_cli"}}"#)
        var oauth = await t.bearer(.get, "/api/accounts/openai:cli").json["oauth"] as? [String: Any]
        #expect(oauth?["usableBy"] as? String == "provider_cli")
        let patched = await t.json(.patch, "/api/accounts/openai:cli", #"{"allowDirectApi":true}"#, contentType: "application/merge-patch+json")
        #expect(patched.status == .ok, "\(patched.text)")
        oauth = patched.json["oauth"] as? [String: Any]
        #expect(oauth?["directApiAllowed"] as? Bool == true)
        #expect(oauth?["usableBy"] as? String == "direct_api")
        #expect(await t.json(.patch, "/api/accounts/openai:cli", #"{"allowDirectApi":"yes"}"#, contentType: "application/merge-patch+json").status == .unprocessableContent)
    }
}
