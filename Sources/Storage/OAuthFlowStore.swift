import Core
import Cryptography
import Foundation
import GRDB

/// One sign-in in progress as stored (`oauth_flow`): browser, paste or device code. The state sent to the
/// provider is never stored, only its SHA-256.
package struct OAuthFlowRecord: Sendable {
    package var id: String
    package var provider: String
    package var account: String?
    package var actor: String
    package var mode: String
    var createdAt: Date
    package var expiresAt: Date
    package var stateHash: String?
    package var bindingHash: String?
    package var verifier: String?
    package var redirectURI: String?
    /// Sealed by the vault (`oauth-device:<id>`).
    package var deviceCode: String?
    package var userCode: String?
    package var verificationURI: String?
    package var verificationURIComplete: String?
    package var interval: Int?
    var nextPollAt: Date?
    var consumedAt: Date?
    package var status = "waiting"
    package var resultAccount: String?
    package var category: String?
    package var message: String?
    /// JSON array of the scopes the provider did not grant.
    package var missingScopes: String?

    /// How a returning answer names its flow: the provider's redirect by its state's hash, a paste by the flow id.
    package enum Key {
        case stateHash(String)
        case id(String)
    }

    /// Why a returning answer may not use its flow: the flow's new status, the category and its explanation.
    package struct Refusal {
        var status: String
        package var category: String
        package var detail: String

        package init(status: String, category: String, detail: String) {
            self.status = status
            self.category = category
            self.detail = detail
        }
    }

    /// Whether the admin session an actor names (`session:ses_…`) is still signed in with an unrevoked token,
    /// read inside the transaction that consumes a flow.
    package struct Sessions {
        fileprivate let db: Database
        fileprivate let now: Date

        package func isLive(actor: String) throws -> Bool { try AppDatabase.sessionIsLive(actor: actor, db, now: now) }
    }

    /// What consuming a flow found.
    package enum Consumption {
        case unknown
        case alreadyUsed
        /// Consumed and refused (recorded on the flow and audited as `oauth.refused`).
        case refused(Refusal)
        case consumed(OAuthFlowRecord)
    }

    package init(id: String, provider: String, account: String? = nil, actor: String, mode: String, createdAt: Date,
                 expiresAt: Date, stateHash: String? = nil, bindingHash: String? = nil, verifier: String? = nil,
                 redirectURI: String? = nil, deviceCode: String? = nil, userCode: String? = nil,
                 verificationURI: String? = nil, verificationURIComplete: String? = nil, interval: Int? = nil,
                 nextPollAt: Date? = nil, consumedAt: Date? = nil, status: String = "waiting",
                 resultAccount: String? = nil, category: String? = nil, message: String? = nil,
                 missingScopes: String? = nil) {
        self.id = id
        self.provider = provider
        self.account = account
        self.actor = actor
        self.mode = mode
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.stateHash = stateHash
        self.bindingHash = bindingHash
        self.verifier = verifier
        self.redirectURI = redirectURI
        self.deviceCode = deviceCode
        self.userCode = userCode
        self.verificationURI = verificationURI
        self.verificationURIComplete = verificationURIComplete
        self.interval = interval
        self.nextPollAt = nextPollAt
        self.consumedAt = consumedAt
        self.status = status
        self.resultAccount = resultAccount
        self.category = category
        self.message = message
        self.missingScopes = missingScopes
    }
}

extension OAuthFlowRecord {
    init(_ row: Row) {
        self.init(id: row["id"], provider: row["provider"], account: row["account_id"], actor: row["actor"], mode: row["mode"],
                  createdAt: row["created_at"], expiresAt: row["expires_at"], stateHash: row["state_hash"], bindingHash: row["binding_hash"],
                  verifier: row["verifier"], redirectURI: row["redirect_uri"], deviceCode: row["device_code"], userCode: row["user_code"],
                  verificationURI: row["verification_uri"], verificationURIComplete: row["verification_uri_complete"],
                  interval: row["interval"], nextPollAt: row["next_poll_at"], consumedAt: row["consumed_at"], status: row["status"],
                  resultAccount: row["result_account"], category: row["category"], message: row["message"],
                  missingScopes: row["missing_scopes"])
    }
}

extension AppDatabase {
    /// Stores a new browser (or paste) flow and forgets flows older than a day, in one transaction.
    package func startBrowserFlow(_ flow: OAuthFlowRecord) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO oauth_flow (id, state_hash, provider, account_id, actor, binding_hash, mode, verifier, redirect_uri, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [flow.id, flow.stateHash, flow.provider, flow.account, flow.actor, flow.bindingHash, flow.mode, flow.verifier,
                                 flow.redirectURI, flow.createdAt, flow.expiresAt])
            try db.execute(sql: "DELETE FROM oauth_flow WHERE created_at < ?", arguments: [flow.createdAt.addingTimeInterval(-86_400)])
        }
    }

    /// Stores a new device-code flow (its device code sealed).
    package func startDeviceFlow(_ flow: OAuthFlowRecord) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO oauth_flow (id, provider, account_id, actor, mode, device_code, user_code, verification_uri, verification_uri_complete,
                                        interval, next_poll_at, created_at, expires_at)
                VALUES (?, ?, ?, ?, 'device', ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [flow.id, flow.provider, flow.account, flow.actor, flow.deviceCode, flow.userCode, flow.verificationURI,
                                 flow.verificationURIComplete, flow.interval, flow.nextPollAt, flow.createdAt, flow.expiresAt])
        }
    }

    package func oauthFlow(_ id: String) throws -> OAuthFlowRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM oauth_flow WHERE id = ?", arguments: [id]).map(OAuthFlowRecord.init) }
    }

    /// Consumes the flow `key` names (single use), in one transaction with `check`: a refusal from it is written
    /// on the flow and audited as `oauth.refused`. `check` may ask whether the admin session an actor names is
    /// still signed in, read in the same transaction.
    package func consumeOAuthFlow(_ key: OAuthFlowRecord.Key, at now: Date,
                          check: (OAuthFlowRecord, OAuthFlowRecord.Sessions) throws -> OAuthFlowRecord.Refusal?)
        throws -> OAuthFlowRecord.Consumption {
        let lookup: (column: String, value: String) = switch key {
        case .stateHash(let hash): ("state_hash", hash)
        case .id(let id): ("id", id)
        }
        return try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM oauth_flow WHERE \(lookup.column) = ?", arguments: [lookup.value]) else {
                return .unknown
            }
            let flow = OAuthFlowRecord(row)
            if flow.consumedAt != nil { return .alreadyUsed }
            try db.execute(sql: "UPDATE oauth_flow SET consumed_at = ? WHERE id = ?", arguments: [now, flow.id])
            guard let refusal = try check(flow, OAuthFlowRecord.Sessions(db: db, now: now)) else { return .consumed(flow) }
            try db.execute(sql: "UPDATE oauth_flow SET status = ?, category = ?, message = ? WHERE id = ?",
                           arguments: [refusal.status, refusal.category, refusal.detail, flow.id])
            try audit(AuditEntry("oauth.refused", actor: "oauth:\(flow.provider)", target: flow.account ?? flow.provider,
                                 detail: .object(["flow": .string(flow.id), "reason": .string(refusal.category)])), in: db, at: now)
            return .refused(refusal)
        }
    }

    /// Marks the flow failed (or expired) with `category` and `message`, drops its device code and verifier,
    /// and records `event`, in one transaction.
    package func failOAuthFlow(_ id: String, status: String, category: String, message: String, event: AuditEntry, at now: Date) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE oauth_flow SET status = ?, category = ?, message = ?, device_code = NULL, verifier = NULL WHERE id = ?",
                           arguments: [status, category, message, id])
            try audit(event, in: db, at: now)
        }
    }

    /// The flow's completion, inside the transaction that stores its credential (`storeObtainedCredential`).
    static func completeOAuthFlow(_ id: String, account: String, category: String?, message: String?, missingScopes: [String],
                                  _ db: Database) throws {
        try db.execute(sql: """
            UPDATE oauth_flow SET status = 'completed', result_account = ?, category = ?, message = ?, missing_scopes = ?, device_code = NULL, verifier = NULL
            WHERE id = ?
            """, arguments: [account, category, message, JSONValue.array(missingScopes.map(JSONValue.string)).serialized, id])
    }

    // MARK: Device code

    /// Claims this interval's poll of a waiting device flow, so two pages polling at once still ask the provider
    /// once: the flow, with its next poll moved one interval on; nil when it is not time yet or the flow is done.
    package func claimDevicePoll(_ id: String, at now: Date) throws -> OAuthFlowRecord? {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM oauth_flow WHERE id = ? AND status = 'waiting' AND consumed_at IS NULL AND next_poll_at <= ?",
                                             arguments: [id, now]) else { return nil }
            let flow = OAuthFlowRecord(row)
            try db.execute(sql: "UPDATE oauth_flow SET next_poll_at = ? WHERE id = ?", arguments: [now.addingTimeInterval(TimeInterval(flow.interval ?? 5)), id])
            return flow
        }
    }

    /// Consumes a device flow whose tokens came; false when another poll consumed it first.
    package func consumeDeviceFlow(_ id: String, at now: Date) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "UPDATE oauth_flow SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL", arguments: [now, id])
            return db.changesCount == 1
        }
    }

    /// The provider said the user has not finished yet.
    package func noteDeviceFlowPending(_ id: String) throws {
        try pool.write { db in try db.execute(sql: "UPDATE oauth_flow SET category = 'authorization_pending', message = NULL WHERE id = ?", arguments: [id]) }
    }

    /// The provider asked to poll less often: the new interval, and the next poll one interval from `now`.
    package func slowDownDeviceFlow(_ id: String, interval: Int, message: String, at now: Date) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE oauth_flow SET interval = ?, next_poll_at = ?, category = 'slow_down', message = ? WHERE id = ?",
                           arguments: [interval, now.addingTimeInterval(TimeInterval(interval)), message, id])
        }
    }
}
