import COpenSSL
import Foundation

/// A local OAuth 2.0 authorization server over HTTPS (the test CA), with the real wire format: the OAuth fake of
/// `Tests/fakes` (oauth.py) in a process of its own. `/authorize` redirects (302) back with `code`, `state` and
/// `iss`; `/token` takes `authorization_code` (checking the PKCE S256 verifier, the redirect URI and the client),
/// `refresh_token` (rotating, with reuse detection that revokes the family) and the device grant; `/device/code`
/// starts RFC 8628. `/v1/models` is an OpenAI-style API that accepts only live access tokens. Switches in
/// `behaviour` make it misbehave.
public final class FakeAuthorizationServer: Sendable {
    /// The fake's switches (the control port's names, oauth.py's `SWITCHES`).
    public struct Behaviour: Sendable, Codable {
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
        /// The polling interval the device code names; a poll sooner than that (less 0.2 s) after the last gets
        /// `slow_down` (0: no such check).
        public var deviceInterval = 1
        public init() {}

        /// What the control port takes: every switch, `registeredRedirects` as null when nil (the encoder leaves a
        /// nil out, and the fake sets only the switches it is sent).
        var json: [String: Any] {
            var object = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(self))) as? [String: Any] ?? [:]
            if registeredRedirects == nil { object["registeredRedirects"] = NSNull() }
            return object
        }
    }

    public struct Received: Sendable {
        public var method: String
        public var path: String
        public var query: [String: String]
        public var form: [String: String]
        public var headers: [(String, String)]
    }

    public let port: Int
    public let clientID: String
    private let process: FakeProcess

    public var baseURL: String { "https://localhost:\(port)" }
    public var issuer: String { baseURL }
    public var received: [Received] {
        (process.call("GET", "/received")["received"] as? [[String: Any]] ?? []).map { r in
            Received(method: r["method"] as? String ?? "", path: r["path"] as? String ?? "",
                     query: r["query"] as? [String: String] ?? [:], form: r["form"] as? [String: String] ?? [:],
                     headers: (r["headers"] as? [[String]] ?? []).map { ($0[0], $0[1]) })
        }
    }
    public var behaviour: Behaviour {
        get {
            let data = (try? JSONSerialization.data(withJSONObject: process.call("GET", "/behaviour"))) ?? Data()
            guard let decoded = try? JSONDecoder().decode(Behaviour.self, from: data) else {
                fatalError("the OAuth fake's behaviour does not decode: \(String(decoding: data, as: UTF8.self))")
            }
            return decoded
        }
        set { _ = process.call("PUT", "/behaviour", json: newValue.json) }
    }
    /// Token requests (any grant): the tests assert that refused states send none.
    public var tokenRequests: [Received] { received.filter { $0.path == "/token" } }
    /// The `refresh_token` grants received, oldest first.
    public var refreshGrants: [Received] { tokenRequests.filter { $0.form["grant_type"] == "refresh_token" } }

    public init() throws {
        let files = TestCA.files
        // Besides `Behaviour()`: a failed /authorize check answers with a page at the provider (an unknown client, a
        // missing PKCE challenge), and every answer closes its connection, as this server did before it was Python.
        var initial = Behaviour().json
        initial["authorizeErrors"] = "page"
        initial["keepAlive"] = false
        let switches = String(decoding: try JSONSerialization.data(withJSONObject: initial), as: UTF8.self)
        process = try FakeProcess("oauth", arguments: ["--cert", files.serverCertificate, "--key", files.serverKey,
                                                       "--behaviour", switches])
        port = process.port
        clientID = process.ready["clientId"] as? String ?? ""
    }

    public func stop() { process.stop() }
    deinit { stop() }

    /// The operator's client settings for this server, for `PUT /api/oauth/clients/{provider}`.
    public func clientSettings(redirectMode: String = "server_callback", redirectUri: String? = nil, scopes: [String] = ["models.read", "offline_access"]) -> String {
        let redirect = redirectUri.map { #","redirectUri":"\#($0)""# } ?? ""
        return #"{"authorizeUrl":"\#(baseURL)/authorize","tokenUrl":"\#(baseURL)/token","deviceAuthorizationUrl":"\#(baseURL)/device/code","clientId":"\#(clientID)","scopes":[\#(scopes.map { "\"\($0)\"" }.joined(separator: ","))],"redirectMode":"\#(redirectMode)","issuer":"\#(issuer)"\#(redirect)}"#
    }

    /// Tokens of a sign-in done elsewhere, as a provider's CLI on a laptop gets them before they are paired or
    /// pasted here: a new family whose access token lives `behaviour.expiresIn` seconds and whose refresh token
    /// this server renews like any other.
    public func signInElsewhere(scope: [String] = ["models.read", "offline_access"]) -> (accessToken: String, refreshToken: String) {
        let tokens = process.call("POST", "/sign-in-elsewhere", json: ["scope": scope])
        return (tokens["accessToken"] as? String ?? "", tokens["refreshToken"] as? String ?? "")
    }

    /// RFC 7636 S256, computed here independently of the code under test.
    public static func s256(_ verifier: String) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let bytes = Array(verifier.utf8)
        _ = SHA256(bytes, bytes.count, &digest)
        return Data(digest).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
