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
    /// What the token may call.
    public var scopes: TokenScopes

    /// How history and audit rows name the actor (`token:tok_…` or `session:ses_…`).
    public var actor: String {
        if let sessionID { return "session:\(sessionID)" }
        return "token:\(tokenID)"
    }

    package init(tokenID: String, tokenName: String, method: Method, sessionID: String? = nil,
                 sessionExpiresAt: Date? = nil, scopes: TokenScopes = .admin) {
        self.scopes = scopes
        self.tokenID = tokenID
        self.tokenName = tokenName
        self.method = method
        self.sessionID = sessionID
        self.sessionExpiresAt = sessionExpiresAt
    }
}

/// What a token may call. An admin token calls everything except that `POST /api/route` never hands it a
/// credential; a runtime token calls only the routing endpoints, and is handed credentials only with the
/// `credentials` scope.
public struct TokenScopes: Sendable, Equatable, Hashable {
    public enum Scope: String, Sendable, CaseIterable, Comparable {
        case admin, runtime, credentials
        public static func < (a: Scope, b: Scope) -> Bool { a.rawValue < b.rawValue }
    }

    public let members: Set<Scope>

    public static let admin = TokenScopes(checked: [.admin])

    private init(checked: Set<Scope>) { self.members = checked }

    /// The scopes a token is created with, or why they do not go together: `admin` alone, or `runtime` with
    /// optional `credentials`.
    public static func make(_ names: [String]) -> Result<TokenScopes, ScopeError> {
        var scopes: Set<Scope> = []
        for name in names {
            guard let scope = Scope(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
                return .failure(ScopeError(message: "unknown scope '\(name)'; the scopes are admin, runtime and credentials"))
            }
            scopes.insert(scope)
        }
        if scopes.isEmpty { return .success(.admin) }
        if scopes.contains(.admin) && scopes.count > 1 {
            return .failure(ScopeError(message: "admin is a scope of its own: an admin token calls everything but is never handed a credential"))
        }
        if scopes.contains(.credentials) && !scopes.contains(.runtime) {
            return .failure(ScopeError(message: "credentials goes with runtime: only a runtime token is handed credentials"))
        }
        return .success(TokenScopes(checked: scopes))
    }

    public struct ScopeError: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// The stored form: `admin`, `runtime` or `credentials runtime`. Anything unreadable is no scope at all.
    public init(stored: String) {
        let parsed = Set(stored.split(separator: " ").compactMap { Scope(rawValue: String($0)) })
        self.members = parsed
    }

    public var stored: String { members.sorted().map(\.rawValue).joined(separator: " ") }
    public var names: [String] { members.sorted().map(\.rawValue) }

    public var isAdmin: Bool { members.contains(.admin) }
    public var isRuntime: Bool { members.contains(.runtime) }
    /// May be handed a credential by `POST /api/route`: a runtime token with the credentials scope, never an admin.
    public var receivesCredentials: Bool { isRuntime && members.contains(.credentials) }
}
