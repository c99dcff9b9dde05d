import Foundation
import GRDB

/// One event of the audit log as stored. `hash` chains it to the event before it.
public struct AuditEvent: Sendable, Codable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "audit_event"

    public var seq: Int
    public var at: String
    public var type: String
    public var actor: String
    public var target: String?
    public var requestID: String?
    /// A JSON object of non-secret facts, exactly as hashed.
    public var detail: String
    public var prevHash: String
    public var hash: String

    enum CodingKeys: String, CodingKey {
        case seq, at, type, actor, target, detail, hash
        case requestID = "request_id"
        case prevHash = "prev_hash"
    }

    /// The hash of the chain before the first event.
    public static let genesis = String(repeating: "0", count: 64)

    /// SHA-256 over the previous hash and every field, each length-prefixed so no two events hash alike by
    /// shifting text from one field into the next.
    public static func chainHash(prev: String, seq: Int, at: String, type: String, actor: String, target: String?,
                                 requestID: String?, detail: String) -> String {
        var text = ""
        for field in [prev, String(seq), at, type, actor, target ?? "\u{0}", requestID ?? "\u{0}", detail] {
            text += "\(field.utf8.count):\(field)\n"
        }
        return Digest.sha256Hex(text)
    }

    public var expectedHash: String {
        Self.chainHash(prev: prevHash, seq: seq, at: at, type: type, actor: actor, target: target, requestID: requestID, detail: detail)
    }
}

/// What a caller records; the log assigns the sequence number, time and hashes.
public struct AuditEntry: Sendable {
    public var type: String
    public var actor: String
    public var target: String?
    public var requestID: String?
    public var detail: JSONValue

    public init(_ type: String, actor: String, target: String? = nil, requestID: String? = nil, detail: JSONValue = .object([:])) {
        self.type = type
        self.actor = actor
        self.target = target
        self.requestID = requestID
        self.detail = detail
    }
}

/// The append-only, hash-chained audit log. Events are only ever inserted, inside the caller's transaction,
/// so an event and the change it records commit together or not at all. Triggers refuse UPDATE and DELETE;
/// `verify` finds any edit, deletion or reordering done behind the triggers' back.
public enum AuditLog {
    static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    @discardableResult
    public static func append(_ entry: AuditEntry, in db: Database, at now: Date = Date()) throws -> AuditEvent {
        let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_head WHERE id = 1")
        let seq = (head?["seq"] as Int? ?? 0) + 1
        let prev = head?["hash"] as String? ?? AuditEvent.genesis
        let at = now.formatted(timestamp)
        let detail = entry.detail.serialized
        let hash = AuditEvent.chainHash(prev: prev, seq: seq, at: at, type: entry.type, actor: entry.actor,
                                        target: entry.target, requestID: entry.requestID, detail: detail)
        let event = AuditEvent(seq: seq, at: at, type: entry.type, actor: entry.actor, target: entry.target,
                               requestID: entry.requestID, detail: detail, prevHash: prev, hash: hash)
        try event.insert(db)
        try db.execute(sql: "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                       arguments: [seq, hash])
        return event
    }

    /// The outcome of walking the whole chain.
    public struct Verification: Sendable, Equatable {
        public var events: Int
        /// The first break found, in words; nil when the chain is whole.
        public var problem: String?
        public var headHash: String
        public var ok: Bool { problem == nil }
    }

    public static func verify(_ db: Database) throws -> Verification {
        var expectedSeq = 1
        var prev = AuditEvent.genesis
        var count = 0
        let cursor = try AuditEvent.order(Column("seq")).fetchCursor(db)
        while let event = try cursor.next() {
            count += 1
            if event.seq != expectedSeq {
                return Verification(events: count, problem: event.seq > expectedSeq
                    ? "event \(expectedSeq)\(event.seq - expectedSeq > 1 ? "–\(event.seq - 1)" : "") is missing (the sequence jumps from \(expectedSeq - 1) to \(event.seq))"
                    : "event \(event.seq) appears out of order after event \(expectedSeq - 1)", headHash: prev)
            }
            if event.prevHash != prev {
                return Verification(events: count, problem: "event \(event.seq) does not follow event \(event.seq - 1): its previous-hash link is broken (an event was removed, replaced or reordered)", headHash: prev)
            }
            if event.expectedHash != event.hash {
                return Verification(events: count, problem: "event \(event.seq) was edited: its content does not match its hash", headHash: prev)
            }
            prev = event.hash
            expectedSeq += 1
        }
        let head = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_head WHERE id = 1")
        let headSeq = head?["seq"] as Int? ?? 0
        let headHash = head?["hash"] as String? ?? AuditEvent.genesis
        if headSeq != expectedSeq - 1 || headHash != prev {
            return Verification(events: count, problem: "the log ends at event \(expectedSeq - 1) but the last event written was \(headSeq): events at the end were removed or replaced", headHash: prev)
        }
        return Verification(events: count, problem: nil, headHash: prev)
    }
}

extension AppDatabase {
    /// Appends one event on its own (sign-in failures, key rotation by the CLI).
    public func audit(_ entry: AuditEntry) throws {
        try pool.write { db in try AuditLog.append(entry, in: db) }
    }

    /// Events newest first; those below `before`, of `type`, when given.
    public func auditEvents(before: Int?, type: String?, limit: Int) throws -> [AuditEvent] {
        try pool.read { db in
            var query = AuditEvent.order(Column("seq").desc).limit(limit)
            if let before { query = query.filter(Column("seq") < before) }
            if let type { query = query.filter(Column("type") == type) }
            return try query.fetchAll(db)
        }
    }

    public func verifyAuditLog() throws -> AuditLog.Verification {
        try pool.read { db in try AuditLog.verify(db) }
    }
}
