import Core
import Cryptography
import Foundation
import GRDB

/// A pairing as stored (`pairing`): only the SHA-256 of its code is kept, and only while the code may be used.
package struct PairingRecord: Sendable {
    package var id: String
    package var provider: String
    /// The account to connect, or nil for a new one.
    package var account: String?
    var actor: String
    var createdAt: Date
    package var expiresAt: Date
    package var status = "waiting"
    package var resultAccount: String?
    package var completedAt: Date?

    /// What a code opened.
    package enum Claim {
        case claimed(PairingRecord)
        /// A waiting code whose time ran out (not counted as a wrong try).
        case expired
        /// A live code that belongs to another provider (a wrong try).
        case wrongProvider
        /// No live code matches (a wrong try).
        case wrongCode
    }

    package init(id: String, provider: String, account: String? = nil, actor: String, createdAt: Date, expiresAt: Date,
                 status: String = "waiting", resultAccount: String? = nil, completedAt: Date? = nil) {
        self.id = id
        self.provider = provider
        self.account = account
        self.actor = actor
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.status = status
        self.resultAccount = resultAccount
        self.completedAt = completedAt
    }
}

extension PairingRecord {
    init(_ row: Row) {
        self.init(id: row["id"], provider: row["provider"], account: row["account_id"], actor: row["actor"], createdAt: row["created_at"],
                  expiresAt: row["expires_at"], status: row["status"], resultAccount: row["result_account"], completedAt: row["completed_at"])
    }
}

extension AppDatabase {
    /// Stores a new pairing with the hash of its code and records `event`, in one transaction.
    package func createPairing(_ pairing: PairingRecord, codeHash: String, event: AuditEntry) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO pairing (id, provider, account_id, code_hash, actor, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [pairing.id, pairing.provider, pairing.account, codeHash, pairing.actor, pairing.createdAt, pairing.expiresAt])
            try audit(event, in: db, at: pairing.createdAt)
        }
    }

    package func pairing(_ id: String) throws -> PairingRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM pairing WHERE id = ?", arguments: [id]).map(PairingRecord.init) }
    }

    /// Gives a pairing that is not completed a new code (the old one stops working) and a new lifetime, and
    /// records `event`, in one transaction. False when there is no such pairing or it is completed.
    package func replacePairingCode(_ id: String, codeHash: String, expiresAt: Date, event: AuditEntry, at now: Date) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE pairing SET code_hash = ?, expires_at = ?, failed_attempts = 0, status = 'waiting'
                WHERE id = ? AND status IN ('waiting', 'expired', 'burned')
                """, arguments: [codeHash, expiresAt, id])
            guard db.changesCount == 1 else { return false }
            try audit(event, in: db, at: now)
            return true
        }
    }

    /// Finds the waiting pairing of `provider` whose code hashes to `codeHash`, in one transaction; `consume`
    /// uses its code up. A wrong try (no live code matches, or one of another provider) counts against every
    /// waiting code, and the `maxWrongTries`th burns them all, audited as `pairing.burned` by `actor`.
    package func claimPairing(codeHash: [UInt8], provider: String, consume: Bool, maxWrongTries: Int, actor: String,
                      at now: Date) throws -> PairingRecord.Claim {
        try pool.write { db in
            // Every live code is compared, each in constant time, so timing says nothing about near misses.
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM pairing WHERE code_hash IS NOT NULL")
            var match: Row?
            for row in rows where Digest.constantTimeEqual(Array((row["code_hash"] as String).utf8), codeHash) { match = row }
            var failure = PairingRecord.Claim.wrongCode
            if let match {
                let pairing = PairingRecord(match)
                if pairing.status == "waiting" && pairing.expiresAt > now && pairing.provider == provider {
                    if consume { try db.execute(sql: "UPDATE pairing SET code_hash = NULL WHERE id = ?", arguments: [pairing.id]) }
                    return .claimed(pairing)
                }
                if pairing.status == "waiting" && pairing.expiresAt > now { failure = .wrongProvider }
                else if pairing.status == "waiting" || pairing.status == "expired" { return .expired }
            }
            try db.execute(sql: "UPDATE pairing SET failed_attempts = failed_attempts + 1 WHERE status = 'waiting' AND code_hash IS NOT NULL")
            let burned = try String.fetchAll(db, sql: """
                SELECT id FROM pairing WHERE status = 'waiting' AND code_hash IS NOT NULL AND failed_attempts >= ? ORDER BY id
                """, arguments: [maxWrongTries])
            if !burned.isEmpty {
                try db.execute(sql: """
                    UPDATE pairing SET status = 'burned', code_hash = NULL
                    WHERE status = 'waiting' AND code_hash IS NOT NULL AND failed_attempts >= ?
                    """, arguments: [maxWrongTries])
                try audit(AuditEntry("pairing.burned", actor: actor, target: nil,
                                     detail: .object(["reason": .string("\(maxWrongTries) wrong codes"),
                                                      "pairings": .array(burned.map(JSONValue.string))])), in: db, at: now)
            }
            return failure
        }
    }

    /// The pairing's completion, inside the transaction that stores its credential (`storeObtainedCredential`).
    static func completePairing(_ id: String, account: String, at now: Date, _ db: Database) throws {
        try db.execute(sql: "UPDATE pairing SET status = 'completed', result_account = ?, completed_at = ? WHERE id = ?",
                       arguments: [account, now, id])
    }
}
