import Core
import Foundation
import Outbound
import Vault

/// What a token endpoint granted.
public struct TokenSet: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String?
    public var expiresAt: Date?
    /// The scopes granted; nil when the answer did not say (then they are the ones requested, RFC 6749 §5.1).
    public var scopes: [String]?
    public var tokenType: String?

    /// The vault credential for this token set; `previous` supplies a refresh token the answer did not rotate.
    public func credential(kind: OAuthClientKind, requested: [String], previous: Credential? = nil) -> Credential {
        var fields: [String: JSONValue] = ["accessToken": .string(accessToken), "clientKind": .string(kind.rawValue)]
        if let r = refreshToken ?? previous?.fields["refreshToken"]?.stringValue { fields["refreshToken"] = .string(r) }
        if let expiresAt { fields["expiresAt"] = .string(expiresAt.formatted(.iso8601)) }
        let granted = scopes ?? previous?.fields["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? requested
        fields["scopes"] = .array(granted.map(JSONValue.string))
        if let tokenType { fields["tokenType"] = .string(tokenType) }
        return Credential(kind: .oauth, fields: fields)
    }
}

/// The device authorization answer (RFC 8628 §3.2).
public struct DeviceAuthorization: Sendable, Equatable {
    public var deviceCode: String
    public var userCode: String
    public var verificationURI: String
    public var verificationURIComplete: String?
    public var expiresIn: Int
    public var interval: Int
}

/// Why a token endpoint call failed, in terms a page can explain. Never carries the upstream body verbatim.
public enum TokenFailure: Error, Equatable, Sendable {
    /// An RFC 6749 §5.2 error code (`invalid_grant`, `authorization_pending`, …) and whether the description
    /// spoke of the redirect URI.
    case oauth(code: String, redirectMismatch: Bool)
    case outbound(OutboundFailure)
    case badResponse(String)
    /// A refresh whose account got another credential (a new sign-in) or was disconnected meanwhile: its
    /// tokens were dropped, and the newer state is kept.
    case superseded

    /// The flow category the page explains.
    public var category: String {
        switch self {
        case .oauth(_, true): "redirect_uri_mismatch"
        case .oauth(let code, _): ["invalid_grant", "access_denied", "expired_token", "slow_down", "authorization_pending",
                                   "invalid_client", "invalid_scope", "redirect_uri_mismatch"].contains(code) ? code : "token_exchange_failed"
        case .outbound, .badResponse, .superseded: "token_exchange_failed"
        }
    }

    /// The connection-test category of a failed renewal: the provider refusing is `auth` (sign in again); a
    /// network or TLS failure stays what it was.
    public var testCategory: TestCategory {
        switch self {
        case .oauth: .auth
        case .outbound(let failure): failure.category
        case .badResponse: .badResponse
        case .superseded: .unknown
        }
    }

    /// The account's test outcome for a renewal that failed (a test's or the background renewer's): stored
    /// as its last test, so the page shows it and offers to sign in again after `auth`.
    func renewalResult(_ provider: String, at now: Date = Date()) -> TestResult {
        TestResult(ok: false, category: testCategory, httpStatus: nil, latencyMs: 0,
                   summary: "The sign-in could not be renewed: \(message(provider))", modelCount: nil, quota: nil, testedAt: now)
    }

    public func message(_ provider: String) -> String {
        switch self {
        case .oauth(_, true): "\(provider) refused the redirect URI: register the exact URI shown here with your OAuth app."
        case .oauth("invalid_grant", _): "\(provider) refused the authorization code or refresh token (invalid_grant): it expired, was already used, or was revoked. Sign in again."
        case .oauth("invalid_client", _): "\(provider) does not know this OAuth client or its secret (invalid_client); check the client settings."
        case .oauth("invalid_scope", _): "\(provider) refused the requested scopes (invalid_scope)."
        case .oauth("access_denied", _): "The sign-in was declined at \(provider) (access_denied)."
        case .oauth("expired_token", _): "The code expired — request a new code."
        case .oauth(let code, _): "\(provider)'s token endpoint answered \(code)."
        case .outbound(let failure): "The token request failed: \(failure.summary)"
        case .badResponse(let why): "\(provider)'s token endpoint sent an answer Switchboard cannot use: \(why)."
        case .superseded: "The account's credential was replaced or removed while it was being renewed; the newer one is kept."
        }
    }
}

/// Calls one client's token and device endpoints. On the server every request goes through the outbound client
/// (so token exchange follows the same rules as provider tests: https, checked addresses, no redirects, capped
/// size and time); `switchboard auth pair` sends the same requests with its own HTTP client.
public struct TokenEndpoint: Sendable {
    /// Sends one POST (its URL, headers and body) and answers the status and body, or why no answer came.
    public typealias Post = @Sendable (_ url: String, _ headers: [(String, String)], _ body: [UInt8]) async
        -> Result<(status: Int, body: [UInt8]), OutboundFailure>

    let client: OAuthClient
    let secret: String?
    let post: Post

    init(client: OAuthClient, secret: String?, http: OutboundClient) {
        self.client = client
        self.secret = secret
        post = { url, headers, body in
            await http.send(OutboundRequest(.POST, url, headers: headers, body: body)).map { ($0.status, $0.body) }
        }
    }

    /// A public client (no secret) run on the machine that signs in: `switchboard auth pair`.
    public init(tokenURL: String, clientID: String, post: @escaping Post) {
        client = OAuthClient(provider: "", authorizeURL: "", tokenURL: tokenURL, deviceAuthorizationURL: nil, clientID: clientID, scopes: [],
                             redirectMode: .loopback, issuer: nil, fixedRedirectURI: nil, kind: .operatorApp, isDefault: false)
        secret = nil
        self.post = post
    }

    public func exchange(code: String, redirectURI: String, verifier: String) async -> Result<TokenSet, TokenFailure> {
        await token([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier)])
    }

    func refresh(_ refreshToken: String) async -> Result<TokenSet, TokenFailure> {
        await token([("grant_type", "refresh_token"), ("refresh_token", refreshToken)])
    }

    func pollDevice(_ deviceCode: String) async -> Result<TokenSet, TokenFailure> {
        await token([("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", deviceCode)])
    }

    func deviceAuthorization() async -> Result<DeviceAuthorization, TokenFailure> {
        guard let url = client.deviceAuthorizationURL else { return .failure(.badResponse("the client has no device authorization endpoint")) }
        switch await form(url, [("scope", client.scopes.joined(separator: " "))]) {
        case .failure(let f): return .failure(f)
        case .success(let json):
            guard let device = json["device_code"]?.stringValue, let user = json["user_code"]?.stringValue,
                  let verification = json["verification_uri"]?.stringValue ?? json["verification_url"]?.stringValue else {
                return .failure(.badResponse("no device_code, user_code or verification_uri"))
            }
            return .success(DeviceAuthorization(deviceCode: device, userCode: user, verificationURI: verification,
                                                verificationURIComplete: json["verification_uri_complete"]?.stringValue,
                                                expiresIn: json["expires_in"]?.intValue ?? 600, interval: max(1, json["interval"]?.intValue ?? 5)))
        }
    }

    private func token(_ parameters: [(String, String)]) async -> Result<TokenSet, TokenFailure> {
        switch await form(client.tokenURL, parameters) {
        case .failure(let f): return .failure(f)
        case .success(let json):
            guard let access = json["access_token"]?.stringValue, !access.isEmpty else { return .failure(.badResponse("no access_token")) }
            let expires = json["expires_in"]?.intValue.map { Date().addingTimeInterval(TimeInterval($0)) }
            let scopes = json["scope"]?.stringValue.map { $0.split(separator: " ").map(String.init) }
            return .success(TokenSet(accessToken: access, refreshToken: json["refresh_token"]?.stringValue, expiresAt: expires,
                                     scopes: scopes, tokenType: json["token_type"]?.stringValue))
        }
    }

    /// POSTs a form with the client's id (and secret, `client_secret_post`); a JSON object answer or a failure.
    private func form(_ url: String, _ parameters: [(String, String)]) async -> Result<JSONValue, TokenFailure> {
        var form = parameters + [("client_id", client.clientID)]
        if let secret { form.append(("client_secret", secret)) }
        switch await post(url, [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")], Array(Self.form(form).utf8)) {
        case .failure(let f): return .failure(.outbound(f))
        case .success(let response):
            guard let json = JSONValue.parse(response.body), json.objectValue != nil else {
                return .failure(.badResponse("HTTP \(response.status), not a JSON object"))
            }
            if let code = json["error"]?.stringValue {
                let description = (json["error_description"]?.stringValue ?? "").lowercased()
                let mismatch = code == "redirect_uri_mismatch" || description.contains("redirect_uri") || description.contains("redirect uri")
                return .failure(.oauth(code: Self.safeCode(code), redirectMismatch: mismatch))
            }
            guard (200..<300).contains(response.status) else { return .failure(.badResponse("HTTP \(response.status) without an OAuth error")) }
            return .success(json)
        }
    }

    /// An error code as RFC 6749 allows it (printable ASCII, no quote or backslash), cut short: it is echoed.
    static func safeCode(_ code: String) -> String {
        let kept = code.unicodeScalars.filter { $0.value >= 0x23 && $0.value <= 0x7E && $0 != "\\" }
        return String(String.UnicodeScalarView(kept.prefix(40)))
    }

    /// `application/x-www-form-urlencoded`: everything but RFC 3986 unreserved characters percent-encoded.
    static func form(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    static func encode(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E: out.unicodeScalars.append(UnicodeScalar(byte))
            default: out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

/// `application/x-www-form-urlencoded` for callers outside this module (the `switchboard auth pair` CLI).
public enum FormURLEncoding {
    public static func encode(_ pairs: [(String, String)]) -> String { TokenEndpoint.form(pairs) }
}
