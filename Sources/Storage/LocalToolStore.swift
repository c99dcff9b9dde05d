import Core
import Foundation
import GRDB

/// A provider CLI as the last scan left it (`cli_tool`).
public struct CLIToolRow: Sendable, Equatable {
    public var name: String
    public var path: String?
    public var version: String?
    public var versionText: String?
    public var firstSeen: Date?
    public var lastSeen: Date?
    public var stale: Bool
    /// The models with their typed parameters, as JSON (LocalTools reads and writes it).
    public var models: String?
    public var modelsSource: String?
    public var modelsVersion: String?
    public var syncedAt: Date?
    public var syncError: String?
    public var updatedAt: Date

    public init(name: String, path: String? = nil, version: String? = nil, versionText: String? = nil, firstSeen: Date? = nil,
                lastSeen: Date? = nil, stale: Bool = false, models: String? = nil, modelsSource: String? = nil,
                modelsVersion: String? = nil, syncedAt: Date? = nil, syncError: String? = nil, updatedAt: Date) {
        self.name = name; self.path = path; self.version = version; self.versionText = versionText
        self.firstSeen = firstSeen; self.lastSeen = lastSeen; self.stale = stale; self.models = models
        self.modelsSource = modelsSource; self.modelsVersion = modelsVersion; self.syncedAt = syncedAt
        self.syncError = syncError; self.updatedAt = updatedAt
    }

    init(row: Row) {
        self.init(name: row["name"], path: row["path"], version: row["version"], versionText: row["version_text"],
                  firstSeen: row["first_seen"], lastSeen: row["last_seen"], stale: row["stale"], models: row["models"],
                  modelsSource: row["models_source"], modelsVersion: row["models_version"], syncedAt: row["synced_at"],
                  syncError: row["sync_error"], updatedAt: row["updated_at"])
    }
}

public struct CLINoticeRow: Sendable, Equatable {
    public var id: Int64
    public var tool: String
    public var at: Date
    public var kind: String
    public var message: String
}

/// An account of a provider CLI (`cli_account`): where its config home is and what the CLI last said about it.
public struct CLIAccountRow: Sendable, Equatable {
    public var id: String
    public var tool: String
    public var displayName: String
    public var home: String
    public var managed: Bool
    public var authStatus: String
    public var authDetail: String?
    public var authEmail: String?
    public var authPlan: String?
    public var authCheckedAt: Date?
    public var maxConcurrent: Int?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, tool: String, displayName: String, home: String, managed: Bool, authStatus: String = "unknown",
                authDetail: String? = nil, authEmail: String? = nil, authPlan: String? = nil, authCheckedAt: Date? = nil,
                maxConcurrent: Int? = nil, createdAt: Date, updatedAt: Date) {
        self.id = id; self.tool = tool; self.displayName = displayName; self.home = home; self.managed = managed
        self.authStatus = authStatus; self.authDetail = authDetail; self.authEmail = authEmail; self.authPlan = authPlan
        self.authCheckedAt = authCheckedAt; self.maxConcurrent = maxConcurrent; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    init(row: Row) {
        self.init(id: row["id"], tool: row["tool"], displayName: row["display_name"], home: row["home"], managed: row["managed"],
                  authStatus: row["auth_status"], authDetail: row["auth_detail"], authEmail: row["auth_email"], authPlan: row["auth_plan"],
                  authCheckedAt: row["auth_checked_at"], maxConcurrent: row["max_concurrent"], createdAt: row["created_at"],
                  updatedAt: row["updated_at"])
    }
}

/// A named model selection (`cli_selection`).
public struct CLISelectionRow: Sendable, Equatable {
    public var name: String
    public var tool: String
    public var model: String
    /// JSON object of parameter values.
    public var parameterValues: String
    /// JSON array of account ids.
    public var accounts: String
    public var promptMode: String
    public var revision: Int
    public var createdAt: Date
    public var updatedAt: Date

    public init(name: String, tool: String, model: String, parameterValues: String, accounts: String, promptMode: String,
                revision: Int, createdAt: Date, updatedAt: Date) {
        self.name = name; self.tool = tool; self.model = model; self.parameterValues = parameterValues; self.accounts = accounts
        self.promptMode = promptMode; self.revision = revision; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    init(row: Row) {
        self.init(name: row["name"], tool: row["tool"], model: row["model"], parameterValues: row["parameter_values"],
                  accounts: row["accounts"], promptMode: row["prompt_mode"], revision: row["revision"], createdAt: row["created_at"],
                  updatedAt: row["updated_at"])
    }
}

/// A selection's revision was not the one the caller read.
public struct CLISelectionConflict: Error, Equatable {
    public var name: String
    public var current: Int?
}

func cliAccountExists(_ id: String, in db: Database) throws -> Bool {
    try Bool.fetchOne(db, sql: "SELECT 1 FROM cli_account WHERE id = ?", arguments: [id]) ?? false
}

extension AppDatabase {
    // MARK: Tools

    public func cliTools() throws -> [CLIToolRow] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM cli_tool ORDER BY name").map(CLIToolRow.init(row:)) }
    }

    /// Stores what a scan or a sync found for one CLI, with its notices and audit events, in one transaction.
    public func saveCLITool(_ tool: CLIToolRow, notices: [(kind: String, message: String)], events: [AuditEntry], at now: Date) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO cli_tool (name, path, version, version_text, first_seen, last_seen, stale, models, models_source,
                                      models_version, synced_at, sync_error, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET path = excluded.path, version = excluded.version, version_text = excluded.version_text,
                    first_seen = excluded.first_seen, last_seen = excluded.last_seen, stale = excluded.stale, models = excluded.models,
                    models_source = excluded.models_source, models_version = excluded.models_version, synced_at = excluded.synced_at,
                    sync_error = excluded.sync_error, updated_at = excluded.updated_at
                """, arguments: [tool.name, tool.path, tool.version, tool.versionText, tool.firstSeen, tool.lastSeen, tool.stale,
                                 tool.models, tool.modelsSource, tool.modelsVersion, tool.syncedAt, tool.syncError, tool.updatedAt])
            for n in notices {
                try db.execute(sql: "INSERT INTO cli_notice (tool, at, kind, message) VALUES (?, ?, ?, ?)",
                               arguments: [tool.name, now, n.kind, n.message])
            }
            for e in events { try audit(e, in: db, at: now) }
        }
    }

    /// The newest notices of each CLI, newest first (`perTool` each).
    public func cliNotices(perTool: Int) throws -> [String: [CLINoticeRow]] {
        try pool.read { db in
            var out: [String: [CLINoticeRow]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY tool ORDER BY id DESC) AS k FROM cli_notice) WHERE k <= ?
                ORDER BY tool, id DESC
                """, arguments: [perTool]) {
                let n = CLINoticeRow(id: row["id"], tool: row["tool"], at: row["at"], kind: row["kind"], message: row["message"])
                out[n.tool, default: []].append(n)
            }
            return out
        }
    }

    // MARK: Accounts

    public func cliAccounts() throws -> [CLIAccountRow] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM cli_account ORDER BY created_at, id").map(CLIAccountRow.init(row:)) }
    }

    public func cliAccount(_ id: String) throws -> CLIAccountRow? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM cli_account WHERE id = ?", arguments: [id]).map(CLIAccountRow.init(row:)) }
    }

    /// Adds a CLI account; `AccountExists` when an API or CLI account already has its id.
    public func createCLIAccount(_ a: CLIAccountRow, event: AuditEntry) throws {
        try pool.write { db in
            if try cliAccountExists(a.id, in: db)
                || (Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE id = ?", arguments: [a.id]) ?? false) {
                throw AccountExists(id: a.id)
            }
            try db.execute(sql: """
                INSERT INTO cli_account (id, tool, display_name, home, managed, auth_status, auth_detail, auth_email, auth_plan,
                                         auth_checked_at, max_concurrent, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [a.id, a.tool, a.displayName, a.home, a.managed, a.authStatus, a.authDetail, a.authEmail, a.authPlan,
                                 a.authCheckedAt, a.maxConcurrent, a.createdAt, a.updatedAt])
            try audit(event, in: db, at: a.createdAt)
        }
    }

    /// Records what the CLI said about an account's sign-in; the event only when the status changed.
    @discardableResult
    public func setCLIAccountAuth(_ id: String, status: String, detail: String?, email: String?, plan: String?, at now: Date,
                                  event: (_ before: String) -> AuditEntry?) throws -> CLIAccountRow? {
        try pool.write { db in
            guard let before = try Row.fetchOne(db, sql: "SELECT * FROM cli_account WHERE id = ?", arguments: [id]).map(CLIAccountRow.init(row:))
            else { return nil }
            try db.execute(sql: """
                UPDATE cli_account SET auth_status = ?, auth_detail = ?, auth_email = ?, auth_plan = ?, auth_checked_at = ?,
                    updated_at = CASE WHEN auth_status = ? AND coalesce(auth_detail, '') = coalesce(?, '') THEN updated_at ELSE ? END
                WHERE id = ?
                """, arguments: [status, detail, email, plan, now, status, detail, now, id])
            if before.authStatus != status, let e = event(before.authStatus) { try audit(e, in: db, at: now) }
            return try Row.fetchOne(db, sql: "SELECT * FROM cli_account WHERE id = ?", arguments: [id]).map(CLIAccountRow.init(row:))
        }
    }

    /// Removes a CLI account and the selections' references to it; nil when there is none.
    public func deleteCLIAccount(_ id: String, event: AuditEntry, at now: Date) throws -> CLIAccountRow? {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM cli_account WHERE id = ?", arguments: [id]).map(CLIAccountRow.init(row:))
            else { return nil }
            try db.execute(sql: "DELETE FROM cli_account WHERE id = ?", arguments: [id])
            for s in try Row.fetchAll(db, sql: "SELECT name, accounts FROM cli_selection") {
                let list: String = s["accounts"]
                guard let ids = try? JSONDecoder().decode([String].self, from: Data(list.utf8)), ids.contains(id) else { continue }
                let kept = String(decoding: try JSONEncoder().encode(ids.filter { $0 != id }), as: UTF8.self)
                try db.execute(sql: "UPDATE cli_selection SET accounts = ?, revision = revision + 1, updated_at = ? WHERE name = ?",
                               arguments: [kept, now, s["name"] as String])
            }
            try audit(event, in: db, at: now)
            return row
        }
    }

    // MARK: Selections

    public func cliSelections() throws -> [CLISelectionRow] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM cli_selection ORDER BY name").map(CLISelectionRow.init(row:)) }
    }

    /// Creates (`ifRevision` nil and none exists) or replaces (`ifRevision` the current one, or nil to replace
    /// whatever is there) a selection. `CLISelectionConflict` when the revision does not match.
    public func putCLISelection(_ s: CLISelectionRow, ifRevision: Int?, mustExist: Bool, event: AuditEntry) throws -> CLISelectionRow {
        try pool.write { db in
            let current = try Row.fetchOne(db, sql: "SELECT * FROM cli_selection WHERE name = ?", arguments: [s.name]).map(CLISelectionRow.init(row:))
            if mustExist && current == nil { throw CLISelectionConflict(name: s.name, current: nil) }
            if let ifRevision, current?.revision != ifRevision { throw CLISelectionConflict(name: s.name, current: current?.revision) }
            var row = s
            row.revision = (current?.revision ?? 0) + 1
            row.createdAt = current?.createdAt ?? s.createdAt
            try db.execute(sql: """
                INSERT INTO cli_selection (name, tool, model, parameter_values, accounts, prompt_mode, revision, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET tool = excluded.tool, model = excluded.model, parameter_values = excluded.parameter_values,
                    accounts = excluded.accounts, prompt_mode = excluded.prompt_mode, revision = excluded.revision, updated_at = excluded.updated_at
                """, arguments: [row.name, row.tool, row.model, row.parameterValues, row.accounts, row.promptMode, row.revision,
                                 row.createdAt, row.updatedAt])
            try audit(event, in: db, at: row.updatedAt)
            return row
        }
    }

    public func deleteCLISelection(_ name: String, event: AuditEntry, at now: Date) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM cli_selection WHERE name = ?", arguments: [name])
            guard db.changesCount > 0 else { return false }
            try audit(event, in: db, at: now)
            return true
        }
    }

    /// What routing's view depends on among the CLI tables, as one string that changes when any of it does.
    func cliFingerprint(_ db: Database) throws -> String {
        let row = try Row.fetchOne(db, sql: """
            SELECT (SELECT count(*) FROM cli_account) AS a, (SELECT max(updated_at) FROM cli_account) AS au,
                   (SELECT max(auth_checked_at) FROM cli_account) AS ac,
                   (SELECT max(updated_at) FROM cli_tool) AS t, (SELECT count(*) FROM cli_selection) AS s,
                   (SELECT max(updated_at) FROM cli_selection) AS su
            """)
        guard let row else { return "" }
        return "\(row["a"] as Int? ?? 0)|\(row["au"] as String? ?? "")|\(row["t"] as String? ?? "")|\(row["s"] as Int? ?? 0)|\(row["su"] as String? ?? "")"
    }
}
