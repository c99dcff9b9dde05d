import Foundation

/// Who is calling, after authentication. Carries ids only, never a token or cookie value.
public struct Principal: Sendable, Equatable {
    public enum Method: String, Sendable { case bearer, session }

    public var tokenID: String
    public var tokenName: String
    public var method: Method
    /// The session's public id when signed in by cookie.
    public var sessionID: String?
    public var sessionExpiresAt: Date?

    /// How history and audit rows name the actor (`token:tok_…` or `session:ses_…`).
    public var actor: String {
        if let sessionID { return "session:\(sessionID)" }
        return "token:\(tokenID)"
    }

    package init(tokenID: String, tokenName: String, method: Method, sessionID: String? = nil,
                 sessionExpiresAt: Date? = nil) {
        self.tokenID = tokenID
        self.tokenName = tokenName
        self.method = method
        self.sessionID = sessionID
        self.sessionExpiresAt = sessionExpiresAt
    }
}
