import Core
import Foundation
import GRDB

/// One revision of the settings document as stored.
public struct ConfigRevision: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "config_revision"

    public var revision: Int
    /// The operator's values (sparse JSON); defaults are not stored.
    public var document: String
    public var createdAt: Date
    public var actor: String
    public var requestID: String?
    /// JSON array of the pointers this revision changed.
    public var changedPaths: String
    public var restoredFrom: Int?

    enum CodingKeys: String, CodingKey {
        case revision, document, actor
        case createdAt = "created_at"
        case requestID = "request_id"
        case changedPaths = "changed_paths"
        case restoredFrom = "restored_from"
    }

    public var documentValue: JSONValue { JSONValue.parse(Array(document.utf8)) ?? .object([:]) }
    public var changedPathList: [String] {
        (try? JSONDecoder().decode([String].self, from: Data(changedPaths.utf8))) ?? []
    }
}

/// What a change to the settings document produces: the next revision's document and what it changed.
public struct ConfigChange: Sendable {
    public var document: JSONValue
    public var changedPaths: [String]
    public var restoredFrom: Int?

    public init(document: JSONValue, changedPaths: [String], restoredFrom: Int? = nil) {
        self.document = document
        self.changedPaths = changedPaths
        self.restoredFrom = restoredFrom
    }
}

/// The caller's `If-Match` names a revision that is no longer current.
public struct StaleRevision: Error, Equatable {
    public var current: Int

    package init(current: Int) {
        self.current = current
    }
}

extension AppDatabase {
    /// The current revision (the newest row; the first migration wrote revision 1).
    public func currentConfig() throws -> ConfigRevision {
        try pool.read { db in try Self.head(db) }
    }

    private static func head(_ db: Database) throws -> ConfigRevision {
        guard let head = try ConfigRevision.order(Column("revision").desc).fetchOne(db) else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "config_revision is empty")
        }
        return head
    }

    /// Writes the next revision if the current one is among `revisions` (the caller's `If-Match`), in one
    /// IMMEDIATE transaction: read the head, compare, compute the change, insert head + 1. Nothing is written
    /// when `change` throws.
    public func updateConfig(ifRevision revisions: Set<Int>, actor: String, requestID: String?, at now: Date = Date(),
                             _ change: (ConfigRevision) throws -> ConfigChange) throws -> ConfigRevision {
        try pool.write { db in
            let head = try Self.head(db)
            guard revisions.contains(head.revision) else { throw StaleRevision(current: head.revision) }
            let result = try change(head)
            let next = ConfigRevision(revision: head.revision + 1, document: result.document.serialized, createdAt: now,
                                      actor: actor, requestID: requestID,
                                      changedPaths: JSONValue.array(result.changedPaths.map(JSONValue.string)).serialized,
                                      restoredFrom: result.restoredFrom)
            try next.insert(db)
            var detail: [String: JSONValue] = ["revision": .number(Double(next.revision)),
                                               "changedPaths": .array(result.changedPaths.map(JSONValue.string))]
            if let from = result.restoredFrom { detail["restoredFrom"] = .number(Double(from)) }
            try audit(AuditEntry("config.changed", actor: actor, target: "config", requestID: requestID,
                                 detail: .object(detail)), in: db, at: now)
            return next
        }
    }

    /// Revisions newest first, those below `before` when given.
    public func configHistory(before: Int?, limit: Int) throws -> [ConfigRevision] {
        try pool.read { db in
            var query = ConfigRevision.order(Column("revision").desc).limit(limit)
            if let before { query = query.filter(Column("revision") < before) }
            return try query.fetchAll(db)
        }
    }

    public func configRevision(_ revision: Int) throws -> ConfigRevision? {
        try pool.read { db in try ConfigRevision.fetchOne(db, key: revision) }
    }
}
