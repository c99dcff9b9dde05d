import Auth
import Core
import Cryptography
import Foundation
import Storage

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

    package static func settingsURL(_ pairs: [(String, String)]) -> String {
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
