import Cryptography
import Foundation
import Storage

/// Mints admin tokens: `sbk_` + 256 random bits (base64url), recognisable in a leak scan, stored only as a hash.
public struct AdminTokens: Sendable {
    public static let prefix = "sbk_"
    let database: AppDatabase

    public init(database: AppDatabase) { self.database = database }

    /// A freshly minted token: `secret` is shown once and never stored.
    public struct Minted: Sendable {
        public let record: AdminToken
        public let secret: String
    }

    public static func mint(name: String, scopes: TokenScopes = .admin, now: Date = Date()) -> Minted {
        let secret = prefix + Base64URL.encode(SecureRandom.bytes(32))
        let record = AdminToken(id: "tok_" + Hex.encode(SecureRandom.bytes(6)), name: name,
                                hash: hash(secret), createdAt: now, lastUsedAt: nil, revokedAt: nil, scopes: scopes.stored)
        return Minted(record: record, secret: secret)
    }

    public static func hash(_ secret: String) -> String { Digest.sha256Hex(secret) }

    public func create(name: String, scopes: TokenScopes = .admin) throws -> Minted {
        let minted = Self.mint(name: name, scopes: scopes)
        try database.insertToken(minted.record)
        return minted
    }

    /// The first token on an empty state, or nil when tokens already exist.
    public func createInitialIfNone() throws -> Minted? {
        let minted = Self.mint(name: "initial admin")
        return try database.insertTokenIfNone(minted.record) ? minted : nil
    }

    public func list() throws -> [AdminToken] { try database.tokens() }

    public func revoke(id: String) throws -> Bool { try database.revokeToken(id: id) }
}
