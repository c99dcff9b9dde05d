import Foundation
import GRDB

/// An admin API token as stored: never the token, only its hash.
public struct AdminToken: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "admin_token"

    public var id: String
    public var name: String
    public var hash: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    /// What the token may call, space-separated: `admin`, or `runtime` with optional `credentials`.
    public var scopes: String = "admin"

    enum CodingKeys: String, CodingKey {
        case id, name, hash, scopes
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
        case revokedAt = "revoked_at"
    }

    package init(id: String, name: String, hash: String, createdAt: Date, lastUsedAt: Date? = nil,
                 revokedAt: Date? = nil, scopes: String = "admin") {
        self.scopes = scopes
        self.id = id
        self.name = name
        self.hash = hash
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// A signed-in browser session, keyed by the hash of its cookie.
public struct AdminSession: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "admin_session"

    public var hash: String
    public var id: String
    public var tokenID: String
    public var createdAt: Date
    public var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case hash, id
        case tokenID = "token_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }

    package init(hash: String, id: String, tokenID: String, createdAt: Date, expiresAt: Date) {
        self.hash = hash
        self.id = id
        self.tokenID = tokenID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

extension AppDatabase {
    /// Stores a new token's hash; the caller keeps the token. With `audit`, the event commits with it.
    public func insertToken(_ token: AdminToken, audit entry: AuditEntry? = nil) throws {
        try pool.write { db in
            try token.insert(db)
            if let entry { try audit(entry, in: db, at: token.createdAt) }
        }
    }

    /// Mints the first admin token when there is none at all, atomically, so two processes starting together
    /// cannot both mint one. Returns the token's record when one was made.
    public func insertTokenIfNone(_ token: AdminToken) throws -> Bool {
        try pool.write { db in
            guard try AdminToken.fetchCount(db) == 0 else { return false }
            try token.insert(db)
            return true
        }
    }

    public func tokens() throws -> [AdminToken] {
        try pool.read { db in try AdminToken.order(Column("created_at")).fetchAll(db) }
    }

    /// The token with this hash if it exists and is not revoked.
    ///
    /// Synchronous on purpose: this runs on every authenticated request and takes microseconds; the async
    /// form hops to GRDB's queue and back, which cost three quarters of the throughput (bench/README.md).
    public func activeToken(hash: String) throws -> AdminToken? {
        if let cached = credentials.token(hash: hash) { return cached }
        let token = try pool.read { db in
            try AdminToken.filter(Column("hash") == hash && Column("revoked_at") == nil).fetchOne(db)
        }
        if let token { credentials.remember(token: token, under: hash) }
        return token
    }

    /// Revokes a token by id and ends its sessions. False when no active token has this id.
    public func revokeToken(id: String, at now: Date = Date(), audit entry: AuditEntry? = nil) throws -> Bool {
        try pool.write { db in
            guard var token = try AdminToken.fetchOne(db, key: id), token.revokedAt == nil else { return false }
            token.revokedAt = now
            try token.update(db)
            if let entry { try audit(entry, in: db, at: now) }
            try AdminSession.filter(Column("token_id") == id).deleteAll(db)
            credentials.removeAll()
            return true
        }
    }

    /// Records that a token was used, at most once a minute: a token read for a request whose use was
    /// recorded less than a minute ago costs no write transaction at all.
    public func recordUse(of token: AdminToken, at now: Date) async throws {
        if let last = token.lastUsedAt, now.timeIntervalSince(last) < 60 { return }
        try await pool.write { db in
            try db.execute(sql: "UPDATE admin_token SET last_used_at = ? WHERE id = ?", arguments: [now, token.id])
        }
        credentials.noteUse(tokenID: token.id, at: now)
    }

    public func insertSession(_ session: AdminSession, client: String) async throws {
        try await pool.write { db in
            // Expired sessions are swept on the way: the table never grows without bound.
            try AdminSession.filter(Column("expires_at") < session.createdAt).deleteAll(db)
            try session.insert(db)
            try audit(AuditEntry("session.signed_in", actor: "token:\(session.tokenID)", target: session.id,
                                 detail: .object(["client": .string(client)])), in: db, at: session.createdAt)
        }
    }

    /// The live session with this hash and its (unrevoked) token.
    public func activeSession(hash: String, now: Date) throws -> (AdminSession, AdminToken)? {
        if let (session, token) = credentials.session(hash: hash), session.expiresAt > now { return (session, token) }
        let found = try pool.read { db -> (AdminSession, AdminToken)? in
            guard let session = try AdminSession.filter(Column("hash") == hash && Column("expires_at") > now).fetchOne(db),
                  let token = try AdminToken.filter(Column("id") == session.tokenID && Column("revoked_at") == nil).fetchOne(db)
            else { return nil }
            return (session, token)
        }
        if let (session, token) = found { credentials.remember(token: token, session: session, under: hash) }
        return found
    }

    /// Whether the session an actor names (`session:ses_…`) is still signed in with an unrevoked token, read
    /// inside the caller's transaction (an OAuth callback checks the session that started its sign-in).
    static func sessionIsLive(actor: String, _ db: Database, now: Date) throws -> Bool {
        guard actor.hasPrefix("session:") else { return false }
        guard let session = try AdminSession.filter(Column("id") == String(actor.dropFirst("session:".count)) && Column("expires_at") > now).fetchOne(db) else {
            return false
        }
        return try AdminToken.filter(Column("id") == session.tokenID && Column("revoked_at") == nil).fetchCount(db) > 0
    }

    public func deleteSession(hash: String) async throws {
        _ = try await pool.write { db in try AdminSession.deleteOne(db, key: hash) }
        credentials.forget(hash: hash)
    }
}
