import Auth
import Cryptography
import Foundation
import HTTPTypes
import Storage

/// Checks bearer tokens and session cookies, and the CSRF rule for cookie-authenticated writes.
public struct Authenticator: Sendable {
    public static let sessionCookie = "sb_session"
    public static let sessionLifetime: TimeInterval = 12 * 3600

    let database: AppDatabase
    let throttle: SignInThrottle

    public init(database: AppDatabase, throttle: SignInThrottle) {
        self.database = database
        self.throttle = throttle
    }

    /// The caller, or a problem: 401 without valid credentials, 429 for a wrong token from an address that
    /// failed too often. A valid token is accepted whatever its address did before (a shared NAT, a local
    /// proxy): only failures are throttled. Tokens are 256 random bits, so the throttle keeps wrong tries
    /// from filling logs and threads; it is not what makes them unguessable.
    public func authenticate(_ request: Request, now: Date = Date()) async throws -> Principal {
        if let authorization = request.headers[.authorization] {
            guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { throw Problem.unauthorized }
            let secret = authorization.dropFirst(7).trimmed
            guard let token = try database.activeToken(hash: AdminTokens.hash(secret)) else {
                try refuseIfThrottled(request.clientAddress, now: now)
                throttle.recordFailure(for: request.clientAddress, now: now)
                throw Problem.unauthorized
            }
            try await database.recordUse(of: token, at: now)
            return Principal(tokenID: token.id, tokenName: token.name, method: .bearer, scopes: TokenScopes(stored: token.scopes))
        }
        if let cookie = request.cookie(named: Self.sessionCookie), !cookie.isEmpty,
           let (session, token) = try database.activeSession(hash: Digest.sha256Hex(cookie), now: now) {
            return Principal(tokenID: token.id, tokenName: token.name, method: .session,
                             sessionID: session.id, sessionExpiresAt: session.expiresAt, scopes: TokenScopes(stored: token.scopes))
        }
        throw Problem.unauthorized
    }

    /// Whether the request carries a bearer token or session cookie that is valid now; reads no body and
    /// records nothing (used to let valid callers through a throttled address before the body is read).
    public func hasValidCredentials(_ request: Request, now: Date = Date()) -> Bool {
        if let authorization = request.headers[.authorization] {
            guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { return false }
            return (try? database.activeToken(hash: AdminTokens.hash(authorization.dropFirst(7).trimmed))) != nil
        }
        if let cookie = request.cookie(named: Self.sessionCookie), !cookie.isEmpty {
            return (try? database.activeSession(hash: Digest.sha256Hex(cookie), now: now)) != nil
        }
        return false
    }

    /// 403 for a token whose scopes do not reach this route: a runtime token on an admin route, or a token
    /// with no scope this server knows on a routing one.
    public static func checkScope(_ principal: Principal, for access: Access) throws {
        switch access {
        case .admin where !principal.scopes.isAdmin:
            throw Problem(.forbidden, type: "insufficient-scope", title: "Not allowed for this token",
                          detail: "This token has the scopes [\(principal.scopes.names.joined(separator: ", "))]; only an admin token may call this. Runtime tokens may call only the routing endpoints (/api/route).")
        case .runtime where !principal.scopes.isAdmin && !principal.scopes.isRuntime:
            throw Problem(.forbidden, type: "insufficient-scope", title: "Not allowed for this token",
                          detail: "The routing endpoints need a runtime or admin token.")
        default:
            return
        }
    }

    public func refuseIfThrottled(_ address: String, now: Date = Date()) throws {
        if let seconds = throttle.retryAfter(for: address, now: now) { throw Self.throttled(retryAfter: seconds) }
    }

    /// 429 for an address with too many failed guesses, saying when to try again.
    public static func throttled(retryAfter seconds: Int) -> Problem {
        Problem(.tooManyRequests, type: "too-many-attempts", title: "Too many failed attempts",
                detail: "This address sent too many wrong tokens, codes or sign-in answers. Wait \(seconds) seconds before trying again.",
                headers: [.retryAfter: String(seconds)])
    }

    /// A state-changing request authenticated by cookie must carry `X-Switchboard-CSRF: 1` and come from this
    /// origin (`Origin`, or `Sec-Fetch-Site: same-origin` where a browser sends no Origin).
    public static func checkCSRF(_ request: Request) throws {
        guard request.headers[.csrf] == "1" else {
            throw Problem(.forbidden, type: "csrf", title: "Cross-site request refused",
                          detail: "Requests signed in by cookie must send the header X-Switchboard-CSRF: 1.")
        }
        try checkSameOrigin(request, requireEvidence: true)
    }

    /// Refuses a request whose `Origin` or `Sec-Fetch-Site` names another site. With `requireEvidence`,
    /// a request carrying neither is refused too.
    public static func checkSameOrigin(_ request: Request, requireEvidence: Bool) throws {
        let refused = Problem(.forbidden, type: "csrf", title: "Cross-site request refused",
                              detail: "The request does not come from this site's own pages.")
        let site = request.headers[.secFetchSite]
        if let site, site != "same-origin" { throw refused }
        if let origin = request.headers[.origin] {
            guard let host = request.headers[.host],
                  origin.lowercased() == "\(request.scheme)://\(host)".lowercased() else { throw refused }
        } else if site == nil && requireEvidence {
            throw refused
        }
    }
}
