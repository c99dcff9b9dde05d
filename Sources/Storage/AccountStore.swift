import Core
import Foundation
import GRDB

/// One provider account as stored: settings and credential metadata, never a secret.
public struct AccountRecord: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "account"

    public var id: String
    public var provider: String
    public var displayName: String
    public var authMethod: String?
    public var baseURL: String?
    /// JSON object of header names to values.
    public var headers: String
    public var maxConcurrent: Int?
    public var timeoutSeconds: Int?
    public var defaultModel: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var version: Int
    public var credentialFile: String?
    public var credentialKind: String?
    public var credentialHint: String?
    public var credentialOrigin: String?
    public var credentialUpdatedAt: Date?
    public var credentialVersion: Int
    public var lastTestAt: Date?
    public var lastTestOK: Bool?
    public var lastTestCategory: String?
    public var lastTestSummary: String?
    public var modelsFetchedAt: Date?
    /// OAuth accounts: the operator allowed direct API calls with the tokens (see `OAuthUse`).
    public var directApiAllowed: Bool = false

    enum CodingKeys: String, CodingKey {
        case id, provider, headers, version
        case displayName = "display_name"
        case authMethod = "auth_method"
        case baseURL = "base_url"
        case maxConcurrent = "max_concurrent"
        case timeoutSeconds = "timeout_seconds"
        case defaultModel = "default_model"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case credentialFile = "credential_file"
        case credentialKind = "credential_kind"
        case credentialHint = "credential_hint"
        case credentialOrigin = "credential_origin"
        case credentialUpdatedAt = "credential_updated_at"
        case credentialVersion = "credential_version"
        case lastTestAt = "last_test_at"
        case lastTestOK = "last_test_ok"
        case lastTestCategory = "last_test_category"
        case lastTestSummary = "last_test_summary"
        case modelsFetchedAt = "models_fetched_at"
        case directApiAllowed = "direct_api_allowed"
    }

    public var headerValues: [String: String] {
        (JSONValue.parse(Array(headers.utf8))?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    package init(id: String, provider: String, displayName: String, authMethod: String? = nil, baseURL: String? = nil,
                 headers: String, maxConcurrent: Int? = nil, timeoutSeconds: Int? = nil, defaultModel: String? = nil,
                 createdAt: Date, updatedAt: Date, version: Int, credentialFile: String? = nil,
                 credentialKind: String? = nil, credentialHint: String? = nil, credentialOrigin: String? = nil,
                 credentialUpdatedAt: Date? = nil, credentialVersion: Int, lastTestAt: Date? = nil,
                 lastTestOK: Bool? = nil, lastTestCategory: String? = nil, lastTestSummary: String? = nil,
                 modelsFetchedAt: Date? = nil, directApiAllowed: Bool = false) {
        self.id = id
        self.provider = provider
        self.displayName = displayName
        self.authMethod = authMethod
        self.baseURL = baseURL
        self.headers = headers
        self.maxConcurrent = maxConcurrent
        self.timeoutSeconds = timeoutSeconds
        self.defaultModel = defaultModel
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
        self.credentialFile = credentialFile
        self.credentialKind = credentialKind
        self.credentialHint = credentialHint
        self.credentialOrigin = credentialOrigin
        self.credentialUpdatedAt = credentialUpdatedAt
        self.credentialVersion = credentialVersion
        self.lastTestAt = lastTestAt
        self.lastTestOK = lastTestOK
        self.lastTestCategory = lastTestCategory
        self.lastTestSummary = lastTestSummary
        self.modelsFetchedAt = modelsFetchedAt
        self.directApiAllowed = directApiAllowed
    }
}

/// An account id that is taken.
public struct AccountExists: Error, Equatable { public var id: String }

extension AppDatabase {
    public func accounts() throws -> [AccountRecord] {
        try pool.read { db in try AccountRecord.order(Column("created_at"), Column("id")).fetchAll(db) }
    }

    public func account(_ id: String) throws -> AccountRecord? {
        try pool.read { db in try AccountRecord.fetchOne(db, key: id) }
    }

    /// Records the origin a credential was confirmed for, when its account still holds that very credential
    /// file and no origin yet (one transaction). False when the account changed meanwhile.
    package func recordCredentialOrigin(_ origin: String, account id: String, file: String) throws -> Bool {
        try pool.write { db in
            guard var record = try AccountRecord.fetchOne(db, key: id), record.credentialFile == file,
                  record.credentialOrigin == nil else { return false }
            record.credentialOrigin = origin
            try record.update(db)
            return true
        }
    }

    /// Whether the one-time step `name` (the import of environment keys) has happened.
    package func flagIsSet(_ name: String) throws -> Bool {
        try pool.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM state_flag WHERE name = ?", arguments: [name]) != nil }
    }

    package func setFlag(_ name: String, at now: Date) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO state_flag (name, set_at) VALUES (?, ?)", arguments: [name, now])
        }
    }

    /// Stores a test's outcome on the account and, when the test listed models, replaces the discovered ones.
    /// Asynchronous, on GRDB's writer rather than the thread that serves requests, and without an fsync of its
    /// own (`synchronous = NORMAL` for this one commit): a test's outcome is cheap to learn again, and the next
    /// durable commit flushes it too. The fsync of every test was what slowed everything else on the machine:
    /// with 50 tests in flight, p99 of GET /api/config rose by a third (bench/isolation.sh).
    package func recordTest(_ id: String, _ result: TestResult, models: [DiscoveredModel]?) async throws {
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
            try db.inTransaction(.immediate) {
                try Self.storeTest(db, id, result, models: models)
                return .commit
            }
        }
    }

    /// Stores a result at once (a sign-in's own finding: a missing scope, a refused refresh).
    package func recordTestNow(_ id: String, _ result: TestResult) throws {
        try pool.write { db in try Self.storeTest(db, id, result, models: nil) }
    }

    private static func storeTest(_ db: Database, _ id: String, _ result: TestResult, models: [DiscoveredModel]?) throws {
            guard var account = try AccountRecord.fetchOne(db, key: id) else { return }
            account.lastTestAt = result.testedAt
            account.lastTestOK = result.ok
            account.lastTestCategory = result.category.rawValue
            account.lastTestSummary = result.summary
            // The list is rewritten only when it changed: most tests find the same models again.
            let known = try Row.fetchAll(db, sql: "SELECT id, name, context_window FROM discovered_model WHERE account_id = ? ORDER BY id", arguments: [id])
                .map { DiscoveredModel(id: $0["id"], name: $0["name"], contextWindow: $0["context_window"]) }
            var unique: [String: DiscoveredModel] = [:]
            for m in models ?? [] where unique[m.id] == nil { unique[m.id] = m }
            let fresh = unique.values.sorted { $0.id < $1.id }
            if models != nil, fresh != known {
                try db.execute(sql: "DELETE FROM discovered_model WHERE account_id = ?", arguments: [id])
                for m in fresh {
                    try db.execute(sql: "INSERT OR IGNORE INTO discovered_model (account_id, id, name, context_window) VALUES (?, ?, ?, ?)",
                                   arguments: [id, m.id, m.name, m.contextWindow])
                }
            }
            if models != nil { account.modelsFetchedAt = result.testedAt }
            try account.update(db)
    }

    /// Every account's discovered model ids, in one read (routing's view of what each account offers).
    package func discoveredModelIDs() throws -> [String: [String]] {
        try pool.read { db in
            var ids: [String: [String]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT account_id, id FROM discovered_model ORDER BY account_id, id") {
                ids[row["account_id"], default: []].append(row["id"])
            }
            return ids
        }
    }

    package func discoveredModels(_ id: String) throws -> [DiscoveredModel] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, context_window FROM discovered_model WHERE account_id = ? ORDER BY id", arguments: [id])
                .map { DiscoveredModel(id: $0["id"], name: $0["name"], contextWindow: $0["context_window"]) }
        }
    }
}

// MARK: Changing accounts and their credentials

/// What a stored sign-in completes in the same transaction as its credential: the OAuth flow that obtained it,
/// or the pairing that brought it.
package enum SignInCompletion {
    case oauthFlow(id: String, category: String?, message: String?, missingScopes: [String])
    case pairing(id: String)
}

extension AppDatabase {
    /// Inserts `record` with its audit events in one transaction, unless its id is taken (`AccountExists`).
    /// `complete` runs inside the transaction before the insert: it may attach a credential (writing its vault
    /// file) and returns the events to record, in order.
    package func createAccount(_ record: AccountRecord, at now: Date,
                       _ complete: (inout AccountRecord) throws -> [AuditEntry]) throws -> AccountRecord {
        try pool.write { db in
            // One id space for API and CLI accounts: routing and the status page name accounts by id alone.
            if try AccountRecord.fetchOne(db, key: record.id) != nil || cliAccountExists(record.id, in: db) {
                throw AccountExists(id: record.id)
            }
            var record = record
            for event in try complete(&record) { try audit(event, in: db, at: now) }
            try record.insert(db)
            return record
        }
    }

    /// Changes account `id` in one transaction: `change` edits the row as it is now (or throws, and nothing is
    /// written) and returns the audit events that record the change. Nil when there is no such account.
    package func updateAccount(_ id: String, at now: Date,
                       _ change: (inout AccountRecord) throws -> [AuditEntry]) throws -> AccountRecord? {
        try pool.write { db in
            guard var record = try AccountRecord.fetchOne(db, key: id) else { return nil }
            let events = try change(&record)
            try record.update(db)
            for event in events { try audit(event, in: db, at: now) }
            return record
        }
    }

    /// Deletes account `id` and records the event `event` makes of the deleted row, in one transaction. Returns
    /// the deleted row; nil when there is no such account.
    package func deleteAccount(_ id: String, at now: Date, _ event: (AccountRecord) -> AuditEntry) throws -> AccountRecord? {
        try pool.write { db in
            guard let record = try AccountRecord.fetchOne(db, key: id), try AccountRecord.deleteOne(db, key: id) else { return nil }
            try audit(event(record), in: db, at: now)
            return record
        }
    }

    /// Replaces the credential of account `id` with a renewed one, only while the account still holds vault file
    /// `file`: `renew` attaches the new credential to the row and returns its audit event. False, with nothing
    /// written, when the account is gone or holds another credential.
    package func storeRenewedCredential(account id: String, replacing file: String, at now: Date,
                                _ renew: (inout AccountRecord) throws -> AuditEntry) throws -> Bool {
        try pool.write { db in
            guard var record = try AccountRecord.fetchOne(db, key: id), record.credentialFile == file else { return false }
            let event = try renew(&record)
            try record.update(db)
            try audit(event, in: db, at: now)
            return true
        }
    }

    /// Stores a credential a sign-in obtained, in one transaction: into account `accountID` when it exists, else
    /// into the new account `newAccount` makes from the ids the provider's accounts already have. `attach` puts
    /// the credential on the row (told whether the row is new) and returns the audit events; then the sign-in's
    /// `completion` is written.
    package func storeObtainedCredential(provider: String, account accountID: String?, at now: Date,
                                 newAccount: (_ taken: Set<String>) -> AccountRecord,
                                 _ attach: (inout AccountRecord, _ isNew: Bool) throws -> [AuditEntry],
                                 completing completion: SignInCompletion) throws -> AccountRecord {
        try pool.write { db in
            var record: AccountRecord
            let isNew: Bool
            if let accountID, let existing = try AccountRecord.fetchOne(db, key: accountID) {
                (record, isNew) = (existing, false)
            } else {
                let taken = Set(try String.fetchAll(db, sql: "SELECT id FROM account WHERE provider = ?", arguments: [provider]))
                (record, isNew) = (newAccount(taken), true)
            }
            let events = try attach(&record, isNew)
            for event in events { try audit(event, in: db, at: now) }
            try record.save(db)
            switch completion {
            case .oauthFlow(let id, let category, let message, let missingScopes):
                try Self.completeOAuthFlow(id, account: record.id, category: category, message: message, missingScopes: missingScopes, db)
            case .pairing(let id):
                try Self.completePairing(id, account: record.id, at: now, db)
            }
            return record
        }
    }
}
