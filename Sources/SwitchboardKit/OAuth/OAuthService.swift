import Foundation

/// OAuth sign-in for provider accounts: authorization code + PKCE with a server callback or a pasted code,
/// device code (RFC 8628), and token refresh. Flows live in `oauth_flow`; tokens go to the vault through
/// `AccountService.storeObtained`, in the same transaction as the flow's outcome and the audit event.
///
/// The `state` sent to the provider is 256 random bits; only its SHA-256 is stored. It is bound to the admin
/// session that started the flow through a browser binding cookie (`sb_oauth`, SameSite=Lax, so it comes back
/// on the provider's cross-site redirect where the Strict session cookie does not), to the provider (its own
/// callback path) and, for pasted codes, to the caller. It is consumed by the first callback that names it.
public final class OAuthService: Sendable {
    public static let bindingCookie = "sb_oauth"
    public static let lifetime: TimeInterval = 600

    let accounts: AccountService
    public let clients: OAuthClients
    let http: OutboundClient
    var database: AppDatabase { accounts.database }
    let refreshing = Locked<[String: Task<Result<Credential, TokenFailure>, Never>]>([:])

    public init(accounts: AccountService, clients: OAuthClients, http: OutboundClient) {
        self.accounts = accounts
        self.clients = clients
        self.http = http
    }

    public enum Failure: Error, Equatable {
        /// No OAuth client is known for the provider, or it does not offer this way of signing in.
        case unavailable(String)
        case invalid([Problem.FieldError])
        /// The state (or flow) cannot be used: `category` is `state_mismatch` or `expired`.
        case state(category: String, detail: String)
        case flowNotFound
    }

    /// A flow as the API shows it.
    public struct Flow: Sendable, Encodable, Equatable {
        public let flowId: String
        public let provider: String
        public let mode: String
        public let status: String
        @EncodedAsNull public var account: String?
        @EncodedAsNull public var category: String?
        @EncodedAsNull public var message: String?
        public let missingScopes: [String]
        public let expiresAt: Date
        @EncodedAsNull public var redirectUri: String?
        @EncodedAsNull public var userCode: String?
        @EncodedAsNull public var verificationUri: String?
        @EncodedAsNull public var verificationUriComplete: String?
        @EncodedAsNull public var interval: Int?
    }

    public struct Started: Sendable, Encodable {
        public let flowId: String
        public let provider: String
        @EncodedAsNull public var account: String?
        public let authorizeUrl: String
        public let redirectUri: String
        public let redirectMode: String
        public let expiresAt: Date
        public let deviceCode: Bool
    }

    // MARK: Starting

    /// The provider's display name (its id when it left the catalog).
    func name(_ provider: String) -> String { accounts.provider(provider)?.name ?? provider }

    /// The token endpoint of `client`, with its secret when the operator stored one.
    func endpoint(_ client: OAuthClient) -> TokenEndpoint {
        TokenEndpoint(client: client, secret: try? clients.secret(of: client), http: http)
    }

    /// The client for `provider` (an id or alias), when the catalog offers `method` for it and a client id is set.
    func usableClient(_ provider: String, _ method: AuthMethod) throws -> (OAuthClient, CatalogProvider) {
        guard let entry = accounts.provider(provider) else { throw AccountService.Failure.notFound(provider) }
        guard entry.authMethods.contains(where: { $0.method == method || ($0.method == .oauthBrowser && method == .oauthDeviceCode) }) else {
            throw Failure.unavailable("\(entry.name) does not offer \(method == .oauthDeviceCode ? "device-code" : "browser") sign-in.")
        }
        guard let client = try clients.client(entry.id), !client.clientID.isEmpty else {
            throw Failure.unavailable("No OAuth client is set for \(entry.name); register one with PUT /api/oauth/clients/\(entry.id).")
        }
        if method == .oauthDeviceCode && client.deviceAuthorizationURL == nil {
            throw Failure.unavailable("The OAuth client for \(entry.name) has no device authorization endpoint.")
        }
        return (client, entry)
    }

    /// Checks a start body, an object with an optional `account`: an account id of this provider (existing or new).
    func targetAccount(_ body: JSONValue, provider: String) throws -> String? {
        guard body.objectValue != nil else {
            throw Failure.invalid([.init(pointer: "", code: "type", message: "must be a JSON object")])
        }
        guard let value = body["account"], value != .null else { return nil }
        guard let id = value.stringValue, AccountRules.isAccountID(id), id.hasPrefix(provider + ":") else {
            throw Failure.invalid([.init(pointer: "/account", code: "invalid_format", message: "must be an account id of \(provider) (\(provider):<name>)")])
        }
        return id
    }

    // MARK: Reading

    /// A flow of the caller's. A browser flow still waiting after its 10 minutes reads as `expired` with
    /// `callback_timeout`: the provider never sent the browser back (the server may not be reachable from it).
    public func flow(_ id: String, principal: Principal, at now: Date = Date()) throws -> Flow {
        guard let row = try database.oauthFlow(id), row.actor == principal.actor else { throw Failure.flowNotFound }
        var status = row.status
        var category = row.category
        var message = row.message
        let expires = row.expiresAt
        let mode = row.mode
        if status == "waiting" && expires <= now {
            status = "expired"
            category = mode == "device" ? "expired_token" : "callback_timeout"
            message = mode == "device" ? "The code expired — request a new code."
                : "The provider never sent the browser back here: this server may not be reachable from your browser. Pair from a machine with a browser, or paste the code."
        }
        let missing = row.missingScopes.flatMap { JSONValue.parse(Array($0.utf8))?.arrayValue?.compactMap(\.stringValue) } ?? []
        return Flow(flowId: id, provider: row.provider, mode: mode, status: status, account: row.resultAccount, category: category,
                    message: message, missingScopes: missing, expiresAt: expires, redirectUri: row.redirectURI, userCode: row.userCode,
                    verificationUri: row.verificationURI, verificationUriComplete: row.verificationURIComplete, interval: row.interval)
    }
}

/// Browser sign-in: authorization code + PKCE, finished by the provider's redirect to the server callback or by
/// a pasted code; the returning answer consumes its flow once, and its code is exchanged for tokens.
extension OAuthService {
    /// Starts a browser sign-in. `binding` is the browser's binding cookie when it sent one (reused, so flows
    /// in several tabs of one browser all work); the answer names the one to set.
    public func start(_ providerID: String, _ body: JSONValue, principal: Principal, origin: String, binding: String?,
                      at now: Date = Date()) throws -> (Started, binding: String?) {
        let (client, entry) = try usableClient(providerID, .oauthBrowser)
        let account = try targetAccount(body, provider: entry.id)
        if client.redirectMode == .serverCallback && principal.method != .session {
            // The callback is bound to a browser session (its binding cookie); a token caller has none.
            throw Failure.unavailable("A browser sign-in that returns to this server finishes in the settings page's session: sign in to the page, or pair from a machine with a browser (switchboard auth pair).")
        }
        let state = OAuthRandom.state()
        let verifier = PKCE.verifier()
        let redirect = client.redirectURI(origin: origin)
        // A binding cookie only for browser sessions: a bearer caller has no browser to come back in, and
        // finishes with a pasted code instead.
        let cookie: String? = principal.method == .session ? (binding.flatMap { $0.count == 43 ? $0 : nil } ?? OAuthRandom.state()) : nil
        let flowID = OAuthRandom.id("oaf_")
        let expires = now.addingTimeInterval(Self.lifetime)
        try database.startBrowserFlow(OAuthFlowRecord(
            id: flowID, provider: entry.id, account: account, actor: principal.actor,
            mode: client.redirectMode == .serverCallback ? "browser" : "paste", createdAt: now, expiresAt: expires,
            stateHash: Digest.sha256Hex(state), bindingHash: cookie.map(Digest.sha256Hex), verifier: verifier, redirectURI: redirect))
        var url = URLComponents(string: client.authorizeURL) ?? URLComponents()
        var items = url.queryItems ?? []
        items += [
            URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: client.clientID),
            URLQueryItem(name: "redirect_uri", value: redirect), URLQueryItem(name: "scope", value: client.scopes.joined(separator: " ")),
            URLQueryItem(name: "state", value: state), URLQueryItem(name: "code_challenge", value: PKCE.challenge(for: verifier)),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        if client.redirectMode == .pasteCode { items.append(URLQueryItem(name: "code", value: "true")) }
        url.percentEncodedQueryItems = items.map { URLQueryItem(name: $0.name, value: $0.value.map(TokenEndpoint.encode)) }
        let started = Started(flowId: flowID, provider: entry.id, account: account, authorizeUrl: url.string ?? client.authorizeURL,
                              redirectUri: redirect, redirectMode: client.redirectMode.rawValue, expiresAt: expires,
                              deviceCode: client.deviceAuthorizationURL != nil)
        return (started, cookie)
    }

    // MARK: Finishing

    /// What a callback or paste carries.
    struct Returned {
        var code: String?
        var state: String?
        var iss: String?
        var error: String?
        var errorDescription: String?

        init(query: [String: String]) {
            code = query["code"]; state = query["state"]; iss = query["iss"]
            error = query["error"]; errorDescription = query["error_description"]
        }

        /// A pasted code: the bare code, `code#state` (the provider's code page), or the whole redirect URL.
        init(pasted text: String) {
            let t = text.trimmed
            if t.contains("://") || t.hasPrefix("?") || t.hasPrefix("/") {
                let query = URLComponents(string: t.hasPrefix("?") ? "x:/" + t : t)?.queryItems ?? []
                var q: [String: String] = [:]
                for item in query { if let v = item.value { q[item.name] = v } }
                self.init(query: q)
            } else if let hash = t.firstIndex(of: "#") {
                self.init(query: ["code": String(t[..<hash]), "state": String(t[t.index(after: hash)...])])
            } else {
                self.init(query: ["code": t])
            }
        }
    }

    /// Where the callback sends the browser, or the state problem (answered 400 without any token request).
    public enum CallbackOutcome: Sendable, Equatable {
        case redirect(String)
        case refused(category: String, detail: String)
    }

    static func settingsURL(_ pairs: [(String, String)]) -> String {
        "/settings?section=model-provider" + pairs.map { "&\($0.0)=\(TokenEndpoint.encode($0.1))" }.joined()
    }

    /// The provider's redirect back to `/api/oauth/{provider}/callback`.
    public func callback(_ providerID: String, query: [String: String], binding: String?, at now: Date = Date()) async -> CallbackOutcome {
        let returned = Returned(query: query)
        do {
            let flow = try consume(.state(returned.state), provider: providerID, at: now) { flow, sessions in
                // Bound to the browser session that started it: its binding cookie, and the session still live.
                guard let expected = flow.bindingHash, let binding,
                      Digest.constantTimeEqual(Array(Digest.sha256Hex(binding).utf8), Array(expected.utf8)),
                      try sessions.isLive(actor: flow.actor) else {
                    return "The sign-in was started from another browser session: several tabs, an old page, or a session that has since ended."
                }
                return nil
            }
            let result = await finish(flow, returned, at: now)
            switch result.status {
            case "completed" where result.category == "insufficient_scope":
                return .redirect(Self.settingsURL([("error", "insufficient_scope"), ("flow", flow.id), ("account", result.account ?? "")]))
            case "completed":
                return .redirect(Self.settingsURL([("connected", result.account ?? "")]))
            default:
                return .redirect(Self.settingsURL([("error", result.category ?? "token_exchange_failed"), ("flow", flow.id)]))
            }
        } catch Failure.state(let category, let detail) {
            return .refused(category: category, detail: detail)
        } catch {
            return .refused(category: "state_mismatch", detail: "The sign-in could not be finished; start again.")
        }
    }

    /// A pasted code (or `code#state`, or the whole redirect URL) for flow `flowId`, by the caller that started it.
    public func paste(_ providerID: String, _ body: JSONValue, principal: Principal, at now: Date = Date()) async throws -> Flow {
        guard let flowID = body["flowId"]?.stringValue else {
            throw Failure.invalid([.init(pointer: "/flowId", code: "required", message: "is required: the flowId the start answer gave")])
        }
        guard let text = body["code"]?.stringValue, !text.trimmed.isEmpty, text.count <= 8192 else {
            throw Failure.invalid([.init(pointer: "/code", code: "required", message: "is required: the code the provider showed, or the address the browser ended on")])
        }
        var returned = Returned(pasted: text)
        let stored = try database.oauthFlow(flowID)
        guard let stored, stored.provider == (accounts.provider(providerID)?.id ?? providerID), stored.actor == principal.actor else {
            throw Failure.state(category: "state_mismatch", detail: "No sign-in of yours is waiting under this flow id for \(providerID); start again.")
        }
        if let state = returned.state {
            guard Digest.constantTimeEqual(Array(Digest.sha256Hex(state).utf8), Array((stored.stateHash ?? "").utf8)) else {
                throw Failure.state(category: "state_mismatch", detail: "The pasted code belongs to another sign-in (its state does not match this one): several tabs or an old page. Start again.")
            }
        }
        let flow = try consume(.id(flowID), provider: stored.provider, at: now)
        returned.state = nil
        _ = await finish(flow, returned, at: now)
        return try self.flow(flowID, principal: principal, at: now)
    }

    /// How a returning answer names its flow: the provider's redirect by its state, a paste by the flow id
    /// (its caller and any pasted state were checked against the flow already).
    enum FlowKey {
        case state(String?)
        case id(String)
    }

    /// Consumes the flow (single use, unexpired, this provider), running `bound` in the same transaction (it
    /// may ask whether the session an actor names is still signed in): a non-nil answer from it is the reason the
    /// flow is refused. A refused flow is consumed and audited.
    func consume(_ key: FlowKey, provider: String, at now: Date,
                 bound: (OAuthFlowRecord, OAuthFlowRecord.Sessions) throws -> String? = { _, _ in nil }) throws -> OAuthFlowRecord {
        let lookup: OAuthFlowRecord.Key
        switch key {
        case .state(let state):
            guard let state, !state.isEmpty, state.count <= 512 else {
                throw Failure.state(category: "state_mismatch", detail: "The provider's answer carried no state; start the sign-in again from the settings page.")
            }
            lookup = .stateHash(Digest.sha256Hex(state))
        case .id(let id):
            lookup = .id(id)
        }
        let consumption = try database.consumeOAuthFlow(lookup, at: now) { flow, sessions -> OAuthFlowRecord.Refusal? in
            func refuse(_ category: String, _ detail: String) -> OAuthFlowRecord.Refusal {
                OAuthFlowRecord.Refusal(status: category == "expired" ? "expired" : "failed", category: category, detail: detail)
            }
            if flow.provider != provider {
                return refuse("state_mismatch", "This answer belongs to a sign-in with another provider; start again.")
            }
            if flow.expiresAt <= now {
                return refuse("expired", "The sign-in took longer than 10 minutes and expired; start again.")
            }
            if let why = try bound(flow, sessions) { return refuse("state_mismatch", why) }
            return nil
        }
        switch consumption {
        case .unknown:
            throw Failure.state(category: "state_mismatch", detail: "This sign-in is not known here: it may come from an old page or another server. Start again.")
        case .alreadyUsed:
            throw Failure.state(category: "state_mismatch", detail: "This sign-in answer was already used; start again.")
        case .refused(let refusal):
            throw Failure.state(category: refusal.category, detail: refusal.detail)
        case .consumed(let flow):
            return flow
        }
    }

    /// After a valid state: the provider's `error`, the `iss` check, the code exchange, storing the tokens.
    func finish(_ flow: OAuthFlowRecord, _ returned: Returned, at now: Date) async -> Finished {
        let name = name(flow.provider)
        guard let client = try? clients.client(flow.provider) else {
            return fail(flow, "token_exchange_failed", "The OAuth client for \(name) is gone.", at: now)
        }
        if let error = returned.error {
            let code = TokenEndpoint.safeCode(error)
            let mismatch = code == "redirect_uri_mismatch" || (returned.errorDescription ?? "").lowercased().contains("redirect")
            let category = mismatch ? "redirect_uri_mismatch" : (code == "access_denied" ? "access_denied" : "provider_error")
            let message = switch category {
            case "access_denied": "The sign-in was declined at \(name) (access_denied)."
            case "redirect_uri_mismatch": "\(name) refused the redirect URI. Register exactly \(flow.redirectURI ?? "") with your OAuth app."
            default: "\(name) answered the sign-in with the error \(code)."
            }
            return fail(flow, category, message, at: now, audit: ["error": .string(code)])
        }
        if let iss = returned.iss, iss != client.expectedIssuer {
            return fail(flow, "issuer_mismatch", "The answer claims to come from another authorization server than \(name)'s (iss does not match); it was not used.", at: now)
        }
        guard let code = returned.code, !code.isEmpty, let verifier = flow.verifier, let redirect = flow.redirectURI else {
            return fail(flow, "token_exchange_failed", "\(name) sent no authorization code.", at: now)
        }
        let server = endpoint(client)
        switch await server.exchange(code: code, redirectURI: redirect, verifier: verifier) {
        case .failure(let failure):
            var message = failure.message(name)
            if failure.category == "redirect_uri_mismatch" { message += " Register exactly: \(redirect)" }
            return fail(flow, failure.category, message, at: now, audit: ["error": .string(failure.category)])
        case .success(let tokens):
            return store(tokens, flow: flow, client: client, at: now)
        }
    }
}

/// How a sign-in ends, whatever its way (browser or device code): its tokens stored with the flow's outcome, or
/// the flow marked failed.
extension OAuthService {
    struct Finished { var status: String; var category: String?; var account: String? }

    /// Stores the token set in the vault (one transaction with the flow's outcome and the audit event). A
    /// failure leaves nothing behind and marks the flow `storage_failed`; starting again works.
    func store(_ tokens: TokenSet, flow: OAuthFlowRecord, client: OAuthClient, at now: Date) -> Finished {
        let name = name(flow.provider)
        let missing = client.scopes.filter { !(tokens.scopes ?? client.scopes).contains($0) }
        let method: AuthMethod = flow.mode == "device" ? .oauthDeviceCode : .oauthBrowser
        do {
            // Signing an account in again keeps a refresh token the new answer did not include.
            let previous = flow.account.flatMap { try? database.account($0) }.flatMap { try? accounts.credential(of: $0) }
            let credential = tokens.credential(kind: client.kind, requested: client.scopes, previous: previous)
            let category: String? = missing.isEmpty ? nil : "insufficient_scope"
            let message: String? = missing.isEmpty ? nil : "Signed in, but \(name) did not grant \(missing.joined(separator: ", ")); sign in again and allow \(missing.count == 1 ? "it" : "them")."
            let record = try accounts.storeObtained(credential, provider: flow.provider, account: flow.account, method: method,
                                                    event: "oauth.signed_in", by: .init(actor: flow.actor), at: now,
                                                    completing: .oauthFlow(id: flow.id, category: category, message: message, missingScopes: missing))
            if !missing.isEmpty {
                // The post-sign-in check: what is missing is the account's last test, so the page can offer
                // signing in again next to it.
                let result = TestResult(ok: false, category: .forbidden, httpStatus: nil, latencyMs: 0, summary: message ?? "", modelCount: nil, quota: nil, testedAt: now)
                try? database.recordTestNow(record.id, result)
            }
            return Finished(status: "completed", category: category, account: record.id)
        } catch {
            return fail(flow, "storage_failed", "The tokens could not be stored (\(error)); nothing was kept. Start the sign-in again.", at: now)
        }
    }

    @discardableResult
    func fail(_ flow: OAuthFlowRecord, _ category: String, _ message: String, at now: Date, audit: [String: JSONValue] = [:]) -> Finished {
        try? database.failOAuthFlow(flow.id, status: category == "expired_token" ? "expired" : "failed", category: category, message: message,
                                    event: AuditEntry("oauth.failed", actor: flow.actor, target: flow.account ?? flow.provider,
                                                      detail: .object(audit.merging(["flow": .string(flow.id), "category": .string(category)]) { a, _ in a })),
                                    at: now)
        return Finished(status: "failed", category: category, account: nil)
    }
}

/// Device-code sign-in (RFC 8628): the user enters a code on another device while the page polls.
extension OAuthService {
    public func startDevice(_ providerID: String, _ body: JSONValue, principal: Principal, at now: Date = Date()) async throws -> Flow {
        let (client, entry) = try usableClient(providerID, .oauthDeviceCode)
        let account = try targetAccount(body, provider: entry.id)
        let server = endpoint(client)
        let device: DeviceAuthorization
        switch await server.deviceAuthorization() {
        case .success(let d): device = d
        case .failure(let f): throw Failure.unavailable(f.message(entry.name))
        }
        let id = OAuthRandom.id("oaf_")
        try database.startDeviceFlow(OAuthFlowRecord(
            id: id, provider: entry.id, account: account, actor: principal.actor, mode: "device", createdAt: now,
            expiresAt: now.addingTimeInterval(TimeInterval(min(device.expiresIn, 1800))),
            deviceCode: try accounts.vault.sealValue(device.deviceCode, context: "oauth-device:\(id)"), userCode: device.userCode,
            verificationURI: device.verificationURI, verificationURIComplete: device.verificationURIComplete, interval: device.interval,
            nextPollAt: now.addingTimeInterval(TimeInterval(device.interval))))
        return try flow(id, principal: principal, at: now)
    }

    /// One poll of a device flow: the provider is asked at most once per interval (growing by 5 s on
    /// `slow_down`); between, the stored state is answered.
    public func poll(_ id: String, principal: Principal, at now: Date = Date()) async throws -> Flow {
        let current = try flow(id, principal: principal, at: now)
        guard current.mode == "device", current.status == "waiting" else { return current }
        // Claim this interval's poll, so two pages polling at once still ask the provider once.
        let claimed = try database.claimDevicePoll(id, at: now)
        guard let claimed, let sealed = claimed.deviceCode, let client = try clients.client(claimed.provider) else { return current }
        guard let deviceCode = accounts.vault.openValue(sealed, context: "oauth-device:\(id)") else {
            fail(claimed, "expired_token", "The device code can no longer be read (the master key changed) — request a new code.", at: now)
            return try flow(id, principal: principal, at: now)
        }
        let server = endpoint(client)
        switch await server.pollDevice(deviceCode) {
        case .success(let tokens):
            if try database.consumeDeviceFlow(id, at: now) { _ = store(tokens, flow: claimed, client: client, at: now) }
        case .failure(.oauth("authorization_pending", _)):
            try database.noteDeviceFlowPending(id)
        case .failure(.oauth("slow_down", _)):
            let interval = (claimed.interval ?? 5) + 5
            try database.slowDownDeviceFlow(id, interval: interval, message: "The provider asked to poll less often; waiting \(interval) s between checks.", at: now)
        case .failure(let failure):
            fail(claimed, failure.category, failure.message(name(claimed.provider)), at: now)
        }
        return try flow(id, principal: principal, at: now)
    }
}

/// Renewing an OAuth account's tokens with its refresh token.
extension OAuthService {
    /// A fresh access token for an OAuth account: one refresh at a time per account (callers arriving during
    /// one wait for it). The new token set (with a rotated refresh token) is committed before it is returned,
    /// so a crash cannot lose the only valid refresh token. The caller records a refusal on the account
    /// (`ProviderTestService`: `error`, category `auth` when the provider refused).
    public func refresh(_ accountID: String) async -> Result<Credential, TokenFailure> {
        let (task, owner) = refreshing.withLock { running -> (Task<Result<Credential, TokenFailure>, Never>, Bool) in
            if let task = running[accountID] { return (task, false) }
            let task = Task { await self.refreshOnce(accountID) }
            running[accountID] = task
            return (task, true)
        }
        let result = await task.value
        if owner { _ = refreshing.withLock { $0.removeValue(forKey: accountID) } }
        return result
    }

    private func refreshOnce(_ accountID: String) async -> Result<Credential, TokenFailure> {
        guard let record = try? database.account(accountID), let file = record.credentialFile,
              let credential = try? accounts.credential(of: record), credential.kind == .oauth,
              let refreshToken = credential.fields["refreshToken"]?.stringValue else {
            return .failure(.badResponse("the account has no refresh token"))
        }
        let name = name(record.provider)
        guard let client = try? clients.client(record.provider) else { return .failure(.badResponse("no OAuth client for \(name)")) }
        let server = endpoint(client)
        let now = Date()
        switch await server.refresh(refreshToken) {
        case .success(let tokens):
            let fresh = tokens.credential(kind: OAuthClientKind(rawValue: credential.fields["clientKind"]?.stringValue ?? "") ?? client.kind,
                                          requested: client.scopes, previous: credential)
            do {
                guard try accounts.storeRenewed(fresh, account: accountID, replacing: file, at: now) else { return .failure(.superseded) }
            } catch {
                return .failure(.badResponse("the refreshed tokens could not be stored"))
            }
            return .success(fresh)
        case .failure(let failure):
            return .failure(failure)
        }
    }
}
