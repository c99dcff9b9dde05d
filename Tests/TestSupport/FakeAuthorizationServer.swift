import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import COpenSSL

/// A local OAuth 2.0 authorization server over HTTPS (the test CA), with the real wire format: `/authorize`
/// redirects (302) back with `code`, `state` and `iss`; `/token` takes `authorization_code` (checking the PKCE
/// S256 verifier, the redirect URI and the client), `refresh_token` (rotating, with reuse detection that revokes
/// the family) and the device grant; `/device/code` starts RFC 8628. `/v1/models` is an OpenAI-style API that
/// accepts only live access tokens. Switches in `behaviour` make it misbehave.
public final class FakeAuthorizationServer: @unchecked Sendable {
    // @unchecked Sendable: the channel is set once in init; all mutable state is in `state` behind its lock.
    public struct Behaviour: Sendable {
        /// `/authorize` answers `?error=access_denied`.
        public var deny = false
        /// `iss` names another server.
        public var wrongIssuer = false
        /// `iss` is left out.
        public var omitIssuer = false
        /// Redirect URIs the client has registered; `/authorize` shows an error page for any other (no redirect).
        public var registeredRedirects: [String]? = nil
        /// Scopes it never grants.
        public var withheldScopes: [String] = []
        /// Lifetime of access tokens.
        public var expiresIn = 3600
        /// `/token` refuses refresh tokens (invalid_grant).
        public var refuseRefresh = false
        /// `/token` answers 500 with HTML.
        public var brokenTokenEndpoint = false
        /// Device grant: this many `authorization_pending`, then one `slow_down`, then tokens (or `access_denied`).
        public var devicePending = 1
        public var deviceSlowDown = true
        public var deviceDenied = false
        public var deviceInterval = 1
        public init() {}
    }

    public struct Received: Sendable {
        public var method: String
        public var path: String
        public var query: [String: String]
        public var form: [String: String]
        public var headers: [(String, String)]
    }

    struct Grant { var clientID: String; var redirect: String; var challenge: String; var scope: [String]; var used = false; var family: String }
    struct State {
        var behaviour = Behaviour()
        var received: [Received] = []
        var codes: [String: Grant] = [:]
        var access: [String: (family: String, expires: Date)] = [:]
        var refresh: [String: (family: String, used: Bool, scope: [String])] = [:]
        var revokedFamilies: Set<String> = []
        var devices: [String: (polls: Int, slowed: Bool, lastPoll: Date?)] = [:]
    }

    public let port: Int
    public let clientID = "switchboard-test-client"
    private let channel: any Channel
    private let state = NIOLockedValueBox(State())

    public var baseURL: String { "https://localhost:\(port)" }
    public var issuer: String { baseURL }
    public var received: [Received] { state.withLockedValue { $0.received } }
    public var behaviour: Behaviour {
        get { state.withLockedValue { $0.behaviour } }
        set { state.withLockedValue { $0.behaviour = newValue } }
    }
    /// Token requests (any grant): the tests assert that refused states send none.
    public var tokenRequests: [Received] { received.filter { $0.path == "/token" } }

    public init() throws {
        let files = TestCA.files
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(files.serverCertificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: files.serverKey, format: .pem)))
        let context = try NIOSSLContext(configuration: tls)
        let box = NIOLockedValueBox<FakeAuthorizationServer?>(nil)
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(AuthorizationHandler { box.withLockedValue { $0 } })
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress?.port ?? 0
        box.withLockedValue { $0 = self }
    }

    public func stop() { try? channel.close().wait() }
    deinit { stop() }

    /// The operator's client settings for this server, for `PUT /api/oauth/clients/{provider}`.
    public func clientSettings(redirectMode: String = "server_callback", redirectUri: String? = nil, scopes: [String] = ["models.read", "offline_access"]) -> String {
        let redirect = redirectUri.map { #","redirectUri":"\#($0)""# } ?? ""
        return #"{"authorizeUrl":"\#(baseURL)/authorize","tokenUrl":"\#(baseURL)/token","deviceAuthorizationUrl":"\#(baseURL)/device/code","clientId":"\#(clientID)","scopes":[\#(scopes.map { "\"\($0)\"" }.joined(separator: ","))],"redirectMode":"\#(redirectMode)","issuer":"\#(issuer)"\#(redirect)}"#
    }

    static func token(_ kind: String) -> String {
        // Never holding "bad" (all hex letters), which the provider emulator reads as a refused key: these
        // tokens pass there when a test sends them to it as an API.
        var hex: String
        repeat { hex = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() } while hex.contains("bad")
        return "\(kind)-CANARYSECRET-\(hex)"
    }

    /// RFC 7636 S256, computed here independently of the code under test.
    public static func s256(_ verifier: String) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let bytes = Array(verifier.utf8)
        _ = SHA256(bytes, bytes.count, &digest)
        return Data(digest).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            out[kv[0]] = kv.count > 1 ? kv[1] : ""
        }
        return out
    }

    func respond(_ head: HTTPRequestHead, _ body: String) -> (HTTPResponseStatus, [(String, String)], String) {
        let parts = head.uri.split(separator: "?", maxSplits: 1)
        let path = String(parts.first ?? "")
        let query = parts.count > 1 ? Self.parse(String(parts[1])) : [:]
        let form = Self.parse(body)
        let headers = head.headers.map { ($0.name, $0.value) }
        return state.withLockedValue { s in
            s.received.append(Received(method: head.method.rawValue, path: path, query: query, form: form, headers: headers))
            switch (head.method, path) {
            case (.GET, "/authorize"): return authorize(&s, query)
            case (.POST, "/token"): return token(&s, form)
            case (.POST, "/device/code"): return deviceCode(&s, form)
            case (.GET, "/v1/models"): return models(&s, head.headers["Authorization"].first ?? "")
            default: return (.notFound, [("Content-Type", "application/json")], #"{"error":"not_found"}"#)
            }
        }
    }

    private func json(_ status: HTTPResponseStatus, _ text: String) -> (HTTPResponseStatus, [(String, String)], String) {
        (status, [("Content-Type", "application/json"), ("Cache-Control", "no-store")], text)
    }

    private func oauthError(_ code: String, _ description: String) -> (HTTPResponseStatus, [(String, String)], String) {
        json(.badRequest, #"{"error":"\#(code)","error_description":"\#(description)"}"#)
    }

    private func authorize(_ s: inout State, _ q: [String: String]) -> (HTTPResponseStatus, [(String, String)], String) {
        let b = s.behaviour
        guard let redirect = q["redirect_uri"], q["client_id"] == clientID else {
            return (.badRequest, [("Content-Type", "text/html")], "<h1>Unknown client</h1>")
        }
        if let registered = b.registeredRedirects, !registered.contains(redirect) {
            // As real providers do: an error page at the provider, never a redirect to an unregistered URI.
            return (.badRequest, [("Content-Type", "text/html")], "<h1>Error 400: redirect_uri_mismatch</h1>")
        }
        var target = URLComponents(string: redirect)!
        var items = target.queryItems ?? []
        let state = q["state"]
        if b.deny {
            items += [URLQueryItem(name: "error", value: "access_denied"), URLQueryItem(name: "error_description", value: "The user denied access")]
        } else {
            guard q["code_challenge_method"] == "S256", let challenge = q["code_challenge"] else {
                return (.badRequest, [("Content-Type", "text/html")], "<h1>PKCE S256 required</h1>")
            }
            let code = Self.token("code")
            s.codes[code] = Grant(clientID: clientID, redirect: redirect, challenge: challenge,
                                  scope: (q["scope"] ?? "").split(separator: " ").map(String.init), family: Self.token("family"))
            items.append(URLQueryItem(name: "code", value: code))
        }
        if let state { items.append(URLQueryItem(name: "state", value: state)) }
        if !b.omitIssuer { items.append(URLQueryItem(name: "iss", value: b.wrongIssuer ? "https://evil.example" : issuer)) }
        target.percentEncodedQueryItems = items.map { URLQueryItem(name: $0.name, value: $0.value?.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))) }
        return (.found, [("Location", target.string!)], "")
    }

    /// Tokens of a sign-in done elsewhere, as a provider's CLI on a laptop gets them before they are paired or
    /// pasted here: a new family whose access token lives `behaviour.expiresIn` seconds and whose refresh token
    /// this server renews like any other.
    public func signInElsewhere(scope: [String] = ["models.read", "offline_access"]) -> (accessToken: String, refreshToken: String) {
        state.withLockedValue { s in
            let access = Self.token("at"), refresh = Self.token("rt"), family = Self.token("family")
            s.access[access] = (family, Date().addingTimeInterval(TimeInterval(s.behaviour.expiresIn)))
            s.refresh[refresh] = (family, false, scope)
            return (access, refresh)
        }
    }

    /// The `refresh_token` grants received, oldest first.
    public var refreshGrants: [Received] { tokenRequests.filter { $0.form["grant_type"] == "refresh_token" } }

    private func issue(_ s: inout State, family: String, scope: [String]) -> String {
        let access = Self.token("at"), refresh = Self.token("rt")
        s.access[access] = (family, Date().addingTimeInterval(TimeInterval(s.behaviour.expiresIn)))
        s.refresh[refresh] = (family, false, scope)
        return #"{"access_token":"\#(access)","token_type":"Bearer","expires_in":\#(s.behaviour.expiresIn),"refresh_token":"\#(refresh)","scope":"\#(scope.joined(separator: " "))"}"#
    }

    private func token(_ s: inout State, _ f: [String: String]) -> (HTTPResponseStatus, [(String, String)], String) {
        if s.behaviour.brokenTokenEndpoint { return (.internalServerError, [("Content-Type", "text/html")], "<html>oops</html>") }
        guard f["client_id"] == clientID else { return oauthError("invalid_client", "Unknown client") }
        switch f["grant_type"] {
        case "authorization_code":
            guard let code = f["code"], var grant = s.codes[code] else { return oauthError("invalid_grant", "Unknown code") }
            if grant.used {
                // A code used twice: refuse, and revoke what the first use issued (RFC 6749 §4.1.2).
                s.revokedFamilies.insert(grant.family)
                return oauthError("invalid_grant", "Authorization code already used")
            }
            grant.used = true
            s.codes[code] = grant
            guard f["redirect_uri"] == grant.redirect else { return oauthError("invalid_grant", "redirect_uri does not match the authorization request") }
            guard let verifier = f["code_verifier"], Self.s256(verifier) == grant.challenge else {
                return oauthError("invalid_grant", "PKCE verification failed")
            }
            let granted = grant.scope.filter { !s.behaviour.withheldScopes.contains($0) }
            return json(.ok, issue(&s, family: grant.family, scope: granted))
        case "refresh_token":
            guard let old = f["refresh_token"], let entry = s.refresh[old] else { return oauthError("invalid_grant", "Unknown refresh token") }
            if entry.used || s.revokedFamilies.contains(entry.family) {
                // Reuse of a rotated refresh token: the whole family is revoked (OAuth 2.1 §6.1).
                s.revokedFamilies.insert(entry.family)
                return oauthError("invalid_grant", "Refresh token reuse detected")
            }
            if s.behaviour.refuseRefresh { return oauthError("invalid_grant", "Token has been expired or revoked") }
            s.refresh[old] = (entry.family, true, entry.scope)
            return json(.ok, issue(&s, family: entry.family, scope: entry.scope))
        case "urn:ietf:params:oauth:grant-type:device_code":
            guard let code = f["device_code"], var d = s.devices[code] else { return oauthError("invalid_grant", "Unknown device code") }
            if let last = d.lastPoll, Date().timeIntervalSince(last) < Double(s.behaviour.deviceInterval) - 0.2 {
                d.lastPoll = Date(); s.devices[code] = d
                return oauthError("slow_down", "Polling too fast")
            }
            d.lastPoll = Date(); d.polls += 1; s.devices[code] = d
            if d.polls <= s.behaviour.devicePending { return oauthError("authorization_pending", "Waiting for the user") }
            if s.behaviour.deviceSlowDown && !d.slowed { d.slowed = true; s.devices[code] = d; return oauthError("slow_down", "Slow down") }
            if s.behaviour.deviceDenied { return oauthError("access_denied", "The user denied access") }
            s.devices[code] = nil
            return json(.ok, issue(&s, family: Self.token("family"), scope: (f["scope"] ?? "models.read offline_access").split(separator: " ").map(String.init)))
        default:
            return oauthError("unsupported_grant_type", "Unknown grant type")
        }
    }

    private func deviceCode(_ s: inout State, _ f: [String: String]) -> (HTTPResponseStatus, [(String, String)], String) {
        guard f["client_id"] == clientID else { return oauthError("invalid_client", "Unknown client") }
        let code = Self.token("device")
        s.devices[code] = (0, false, nil)
        return json(.ok, #"{"device_code":"\#(code)","user_code":"WDJB-MJHT","verification_uri":"\#(baseURL)/device","verification_uri_complete":"\#(baseURL)/device?user_code=WDJB-MJHT","expires_in":600,"interval":\#(s.behaviour.deviceInterval)}"#)
    }

    private func models(_ s: inout State, _ authorization: String) -> (HTTPResponseStatus, [(String, String)], String) {
        let token = authorization.hasPrefix("Bearer ") ? String(authorization.dropFirst(7)) : ""
        guard let entry = s.access[token], entry.expires > Date(), !s.revokedFamilies.contains(entry.family) else {
            return json(.unauthorized, #"{"error":{"message":"Invalid or expired token","type":"invalid_request_error","code":"invalid_api_key"}}"#)
        }
        return json(.ok, #"{"object":"list","data":[{"id":"oauth-model-1","object":"model"}]}"#)
    }
}

final class AuthorizationHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let server: () -> FakeAuthorizationServer?
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    init(_ server: @escaping () -> FakeAuthorizationServer?) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h; body = []
        case .body(var b): body += b.readBytes(length: b.readableBytes) ?? []
        case .end:
            guard let head, let server = server() else { return }
            let (status, headerList, text) = server.respond(head, String(decoding: body, as: UTF8.self))
            var headers = HTTPHeaders(headerList)
            headers.add(name: "Content-Length", value: String(text.utf8.count))
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
