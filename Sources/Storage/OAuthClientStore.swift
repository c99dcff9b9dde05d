import Foundation
import GRDB

/// The operator's OAuth client for a provider as stored (`oauth_client`): its settings as JSON (URLs, client
/// id, scopes, redirect mode, issuer) and the vault file of its secret, when it has one.
package struct StoredOAuthClient: Sendable {
    package var provider: String
    package var settings: String
    package var secretFile: String?

    init(_ row: Row) {
        provider = row["provider"]
        settings = row["settings"]
        secretFile = row["secret_file"]
    }
}

extension AppDatabase {
    package func oauthClient(_ provider: String) throws -> StoredOAuthClient? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT provider, settings, secret_file FROM oauth_client WHERE provider = ?", arguments: [provider])
                .map(StoredOAuthClient.init)
        }
    }

    package func oauthClients() throws -> [StoredOAuthClient] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT provider, settings, secret_file FROM oauth_client").map(StoredOAuthClient.init) }
    }

    /// Stores the operator's client for `provider` in one transaction. `secret` runs inside it, given the secret
    /// file stored now: it answers the secret file to keep (a new vault file, the old one, or none) and the
    /// audit event.
    package func saveOAuthClient(provider: String, settings: String, at now: Date,
                         _ secret: (_ stored: String?) throws -> (file: String?, event: AuditEntry)) throws {
        try pool.write { db in
            let old: String? = try String.fetchOne(db, sql: "SELECT secret_file FROM oauth_client WHERE provider = ?", arguments: [provider])
            let (file, event) = try secret(old)
            try db.execute(sql: """
                INSERT INTO oauth_client (provider, settings, secret_file, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(provider) DO UPDATE SET settings = excluded.settings, secret_file = excluded.secret_file, updated_at = excluded.updated_at
                """, arguments: [provider, settings, file, now])
            try audit(event, in: db, at: now)
        }
    }

    /// Removes the operator's client for `provider`, recording `event` when there was one, in one transaction.
    /// Returns the secret file it had.
    package func removeOAuthClient(provider: String, at now: Date, event: AuditEntry) throws -> String? {
        try pool.write { db in
            let file: String? = try String.fetchOne(db, sql: "SELECT secret_file FROM oauth_client WHERE provider = ?", arguments: [provider])
            try db.execute(sql: "DELETE FROM oauth_client WHERE provider = ?", arguments: [provider])
            if db.changesCount > 0 { try audit(event, in: db, at: now) }
            return file
        }
    }

    /// Vault files the clients refer to (kept by the startup sweep).
    package func oauthClientSecretFiles() throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT secret_file FROM oauth_client WHERE secret_file IS NOT NULL") }
    }
}
