import Auth
import Core
import Cryptography
import Foundation
import HTTPTypes
import Storage

/// Browser sign-in: exchanges an admin token for a session cookie, and signs out.
package struct SessionController {
    let database: AppDatabase
    let authenticator: Authenticator

    package func register(_ routes: Routes) {
        routes
            .post("/api/session", access: .guarded, signIn)
            .get("/api/session", current)
            .delete("/api/session", signOut)
    }

    struct SignIn: Decodable { let token: String }

    struct SessionInfo: Encodable {
        let tokenId: String
        let tokenName: String
        let method: String
        let sessionId: String?
        let expiresAt: Date?
    }

    @Sendable func signIn(_ request: Request, _ context: RequestContext) async throws -> Response {
        // A sign-in form posted from another site is refused (login CSRF); curl and scripts send no Origin.
        try Authenticator.checkSameOrigin(request, requireEvidence: false)
        let body = try JSON.decode(SignIn.self, from: request)
        let now = Date()
        guard let token = try database.activeToken(hash: AdminTokens.hash(body.token.trimmed)) else {
            authenticator.throttle.recordFailure(for: request.clientAddress, now: now)
            try? database.audit(AuditEntry("session.sign_in_failed", actor: "anonymous", requestID: context.requestID,
                                           detail: .object(["client": .string(request.clientAddress)])))
            throw Problem(.unauthorized, type: "invalid-token", title: "Sign-in failed",
                          detail: "The token is not valid. It may have been revoked; create one with `switchboard token create`.")
        }
        guard TokenScopes(stored: token.scopes).isAdmin else {
            throw Problem(.forbidden, type: "insufficient-scope", title: "Sign-in refused",
                          detail: "This is a runtime token: it calls the routing endpoints and cannot sign in to the settings page. Sign in with an admin token.")
        }
        let cookie = "sbs_" + Base64URL.encode(SecureRandom.bytes(32))
        let session = AdminSession(hash: Digest.sha256Hex(cookie), id: "ses_" + Hex.encode(SecureRandom.bytes(6)),
                                   tokenID: token.id, createdAt: now,
                                   expiresAt: now.addingTimeInterval(Authenticator.sessionLifetime))
        try await database.insertSession(session, client: request.clientAddress)
        try await database.recordUse(of: token, at: now)

        var headers = HTTPFields()
        headers[.setCookie] = Self.cookie(cookie, maxAge: Int(Authenticator.sessionLifetime), secure: request.scheme == "https")
        return try .json(SessionInfo(tokenId: token.id, tokenName: token.name, method: "session",
                                     sessionId: session.id, expiresAt: session.expiresAt),
                         status: .created, headers: headers)
    }

    @Sendable func current(_ request: Request, _ context: RequestContext) async throws -> Response {
        let p = try context.requirePrincipal()
        return try .json(SessionInfo(tokenId: p.tokenID, tokenName: p.tokenName, method: p.method.rawValue,
                                     sessionId: p.sessionID, expiresAt: p.sessionExpiresAt))
    }

    @Sendable func signOut(_ request: Request, _ context: RequestContext) async throws -> Response {
        if let cookie = request.cookie(named: Authenticator.sessionCookie) {
            try await database.deleteSession(hash: Digest.sha256Hex(cookie))
        }
        return .noContent(headers: [.setCookie: Self.cookie("", maxAge: 0, secure: request.scheme == "https")])
    }

    static func cookie(_ value: String, maxAge: Int, secure: Bool) -> String {
        "\(Authenticator.sessionCookie)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    package init(database: AppDatabase, authenticator: Authenticator) {
        self.database = database
        self.authenticator = authenticator
    }
}
