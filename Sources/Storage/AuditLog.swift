import Core
import Cryptography
import Foundation
import GRDB

/// One event of the audit log as stored. `hash` chains it to the event before it: the seal of audit key
/// `keyID` over the previous hash and every field, or, for events written before the chain was keyed
/// (`keyID` nil), their plain SHA-256.
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
    /// The audit key that sealed the event; nil for an event from before the chain was keyed.
    public var keyID: UInt32?

    enum CodingKeys: String, CodingKey {
        case seq, at, type, actor, target, detail, hash
        case requestID = "request_id"
        case prevHash = "prev_hash"
        case keyID = "key_id"
    }

    /// The hash of the chain before the first event.
    public static let genesis = String(repeating: "0", count: 64)

    /// The unkeyed hash, as events were chained before audit keys: SHA-256 over the previous hash and every
    /// field, each length-prefixed so no two events hash alike by shifting text from one field into the next.
    /// Anyone can compute it, which is why new events are sealed with a key instead.
    public static func chainHash(prev: String, seq: Int, at: String, type: String, actor: String, target: String?,
                                 requestID: String?, detail: String) -> String {
        Digest.sha256Hex(fields([prev, String(seq), at, type, actor, target ?? "\u{0}", requestID ?? "\u{0}", detail]))
    }

    private static func fields(_ values: [String]) -> String {
        var text = ""
        for field in values { text += "\(field.utf8.count):\(field)\n" }
        return text
    }

    /// The unkeyed hash of this event's fields.
    public var unkeyedHash: String {
        Self.chainHash(prev: prevHash, seq: seq, at: at, type: type, actor: actor, target: target, requestID: requestID, detail: detail)
    }

    /// What an audit key seals: the same length-prefixed fields, the key's id among them, after a tag that
    /// keeps these seals apart from the head file's.
    var sealedText: String {
        "sbaudit-event-v1\n" + Self.fields([prevHash, String(seq), at, type, actor, target ?? "\u{0}", requestID ?? "\u{0}", detail,
                                            keyID.map { String($0) } ?? "\u{0}"])
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

/// The append-only audit log, chained under a key. Events are only ever inserted, inside the caller's
/// transaction, so an event and the change it records commit together or not at all.
///
/// Three things keep it honest against someone who can write the database but cannot read `keys/`:
/// triggers refuse UPDATE and DELETE; each event's hash is HMAC-SHA256 under the current audit key
/// (`keys/audit-<id>.key`) over the previous hash and its own fields, so an edited, removed or reordered
/// event cannot be covered up by hashing the chain again; and the newest event is also recorded, sealed,
/// in `<state>/audit.head` outside the database, so that cutting events off the end shows even when the
/// database's own head was moved with them. `verify` finds each of these.
public final class AuditLog: Sendable {
    static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public let stateDirectory: URL
    public let keysDirectory: URL
    let head: AuditHeadFile
    private let ring: ReadMostly<AuditKeyring>

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The log of the database in `stateDirectory`: keys under `keys/`, the head file `audit.head`.
    init(stateDirectory: URL) {
        self.stateDirectory = stateDirectory
        keysDirectory = stateDirectory.appendingPathComponent("keys", isDirectory: true)
        head = AuditHeadFile(url: stateDirectory.appendingPathComponent("audit.head"))
        ring = ReadMostly(AuditKeyring.load(keysDirectory))
    }

    public var headFile: URL { head.url }
    public var keyring: AuditKeyring { ring.read { $0 } }

    /// Written before a rotation makes its key, removed once the head is sealed with it.
    var rotationMarker: URL { keysDirectory.appendingPathComponent("audit-rotation") }

    @discardableResult
    func reloadKeys() -> AuditKeyring {
        let loaded = AuditKeyring.load(keysDirectory)
        ring.write { $0 = loaded }
        return loaded
    }

    /// The database's own record of its newest event.
    struct Last {
        var seq: Int
        var hash: String
        var keyID: UInt32?
    }

    static func last(_ db: Database) throws -> Last {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash, key_id FROM audit_head WHERE id = 1") else {
            return Last(seq: 0, hash: AuditEvent.genesis, keyID: nil)
        }
        return Last(seq: row["seq"], hash: row["hash"], keyID: row["key_id"])
    }

    // MARK: Appending

    @discardableResult
    func append(_ entry: AuditEntry, in db: Database, at now: Date = Date()) throws -> AuditEvent {
        let last = try Self.last(db)
        let (key, headHolds) = try anchor(db, last: last)
        var event = AuditEvent(seq: last.seq + 1, at: now.formatted(Self.timestamp), type: entry.type, actor: entry.actor,
                               target: entry.target, requestID: entry.requestID, detail: entry.detail.serialized,
                               prevHash: last.hash, hash: "", keyID: key.id)
        event.hash = key.seal(event.sealedText)
        try event.insert(db)
        try db.execute(sql: """
            INSERT INTO audit_head (id, seq, hash, key_id) VALUES (1, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, key_id = excluded.key_id
            """, arguments: [event.seq, event.hash, key.id])
        if headHolds {
            let next = AuditHead(seq: event.seq, hash: event.hash, keyID: key.id)
            let record = next.record(sealedWith: key)
            let file = head
            db.afterNextTransaction(onCommit: { _ in file.advance(to: next, record: record) })
        }
        return event
    }

    /// The key to seal the next event with, and whether the head file may follow it. It may only when it holds
    /// against the database (see `headProblem`): a head file that shows a cut or a rewrite is left as it is,
    /// for verify to report, never written over. Makes the first audit key when there is none.
    private func anchor(_ db: Database, last: Last) throws -> (key: AuditKey, headHolds: Bool) {
        var ring = keyring
        if ring.current == nil {
            ring = reloadKeys()
            if ring.current == nil { return (try makeFirstKey(db, last: last), true) }
        }
        let reading = head.read()
        // Another process rotated: its key sealed the newest event, or the head it sealed again.
        let newer: UInt32? = if case .sealed(let sealed) = reading { sealed.head.keyID } else { nil }
        if let current = ring.current?.id, max(newer ?? 0, last.keyID ?? 0) > current { ring = reloadKeys() }
        guard let key = ring.current else { throw Failure(description: "no usable audit key in \(keysDirectory.path)") }
        return (key, try headProblem(reading, ring: ring, db: db, last: (last.seq, last.hash)) == nil)
    }

    /// Makes the first audit key (or, when every key file is unusable or gone, a new one under a higher id) and
    /// a head file sealed with it at the database's newest event. Runs inside a write transaction, so no other
    /// writer, in this process or another, does the same at once. The head is written before the key: a crash
    /// in between leaves a head no key opens, written over on the next try; the other order would leave a key
    /// without a head, which verify must call a removed head file.
    private func makeFirstKey(_ db: Database, last: Last) throws -> AuditKey {
        let ring = keyring
        let used = try UInt32.fetchOne(db, sql: "SELECT MAX(key_id) FROM audit_event") ?? 0
        let key = AuditKeyring.generate(id: max(ring.highestID, used) + 1)
        try DurableFile.ensureDirectory(keysDirectory)
        try head.replace(with: AuditHead(seq: last.seq, hash: last.hash, keyID: key.id).record(sealedWith: key))
        try AuditKeyring.store(key, in: keysDirectory)
        reloadKeys()
        return key
    }

    /// The id an unfinished rotation is making current.
    private func pendingRotation() -> UInt32? {
        (try? DurableFile.read(rotationMarker)).flatMap { $0 }.flatMap { UInt32(String(decoding: $0, as: UTF8.self).trimmed) }
    }

    /// Why the head file does not hold against the database whose newest event is `last`, in one sentence; nil
    /// when it is sealed with the current key (or the one before, while a rotation is unfinished) and names an
    /// event the database has, with the hash it has. It may name an earlier event than `last`: a crash between
    /// a commit and the write of the head leaves it behind (writers only ever move it forward, under an flock).
    func headProblem(_ reading: AuditHeadFile.Reading, ring: AuditKeyring, db: Database, last: (seq: Int, hash: String)) throws -> String? {
        let path = head.url.path
        switch reading {
        case .missing:
            return "the head file \(path) is missing: the end of the log can no longer be checked (it was deleted, or the state was restored without it)"
        case .unreadable(let why):
            return "the head file \(path) cannot be read: \(why)"
        case .malformed:
            return "the head file \(path) is forged or damaged: it does not hold a sealed head record"
        case .sealed(let sealed):
            let recorded = sealed.head
            guard let key = ring.keys[recorded.keyID] else {
                return "the head file \(path) is sealed with audit key \(recorded.keyID), and \(ring.unavailable(recorded.keyID))"
            }
            guard sealed.isSealed(by: key) else {
                return "the head file \(path) is forged: its seal is not audit key \(recorded.keyID)'s"
            }
            if let current = ring.current?.id, recorded.keyID < current, pendingRotation() != current {
                return "the head file \(path) is sealed with audit key \(recorded.keyID), but audit key \(current) is current: it was sealed again with a retired key, as someone holding that key would after cutting off the newer events"
            }
            if recorded.seq > last.seq {
                let removed = recorded.seq == last.seq + 1 ? "event \(recorded.seq) was" : "events \(last.seq + 1)–\(recorded.seq) were"
                return "the log was cut: the head file says it reached event \(recorded.seq), but the database ends at event \(last.seq) (\(removed) removed and the database's own head moved back)"
            }
            let stored = recorded.seq == last.seq ? last.hash
                : recorded.seq == 0 ? AuditEvent.genesis
                : try String.fetchOne(db, sql: "SELECT hash FROM audit_event WHERE seq = ?", arguments: [recorded.seq])
            if stored != recorded.hash {
                return "the log was rewritten: the head file records event \(recorded.seq) with a hash the database does not hold (events up to \(recorded.seq) were replaced)"
            }
            return nil
        }
    }

    // MARK: Keys

    /// What a rotation did.
    public struct KeyRotation: Sendable, Equatable {
        public var keyID: UInt32
        /// The key the head file was sealed with before; nil when this made the first key (or an interrupted
        /// rotation had sealed it already).
        public var previousKeyID: UInt32?
        /// True when an interrupted rotation was finished rather than a new one started.
        public var resumed: Bool
    }

    /// Makes a new audit key current, crash-safe and while other processes write: its id is written down
    /// (`keys/audit-rotation`) before the key, then the head file is sealed again with it at the newest event,
    /// then the note is removed. Interrupted, the next rotation finishes the same one (and until then a writer
    /// that knows the new key seals the head with it). Writers in other processes see the new key in the head
    /// file and read the keys again. Refused when the head file does not hold: sealing it again would hide
    /// what it shows.
    func rotateKey(in db: Database) throws -> KeyRotation {
        let last = try Self.last(db)
        var ring = reloadKeys()
        guard ring.current != nil else {
            return KeyRotation(keyID: try makeFirstKey(db, last: last).id, previousKeyID: nil, resumed: false)
        }
        let reading = head.read()
        if let problem = try headProblem(reading, ring: ring, db: db, last: (last.seq, last.hash)) {
            throw Failure(description: "the audit key was not rotated: \(problem). Run `switchboard audit verify`.")
        }
        let pending = pendingRotation()
        let used = try UInt32.fetchOne(db, sql: "SELECT MAX(key_id) FROM audit_event") ?? 0
        let target = pending ?? max(ring.highestID, used) + 1
        if pending == nil { try DurableFile.write(Array("\(target)\n".utf8), to: rotationMarker) }
        if ring.keys[target] == nil {
            if ring.problems.contains(where: { $0.file == ring.file(target).path }) {
                throw Failure(description: "the audit key was not rotated: \(ring.unavailable(target))")
            }
            try AuditKeyring.store(AuditKeyring.generate(id: target), in: keysDirectory)
            ring = reloadKeys()
        }
        guard let key = ring.keys[target] else { throw Failure(description: "audit key \(target) did not load: \(ring.unavailable(target))") }
        try head.replace(with: AuditHead(seq: last.seq, hash: last.hash, keyID: target).record(sealedWith: key))
        DurableFile.remove(rotationMarker)
        let previous: UInt32? = if case .sealed(let sealed) = reading, sealed.head.keyID != target { sealed.head.keyID } else { nil }
        return KeyRotation(keyID: target, previousKeyID: previous, resumed: pending != nil)
    }

    /// What starting to serve found: nothing when all is well.
    public struct StartupReport: Sendable {
        public var createdKey: UInt32?
        /// Each names a file and what is wrong with it.
        public var problems: [String] = []
    }

    /// Readies the log for serving: makes the first audit key and head file when there is none, and names
    /// every key file that cannot be used, every key that sealed events and is gone, and a head file that does
    /// not hold. Writing goes on meanwhile; only `switchboard audit verify` calls the log broken.
    func prepare(in db: Database) throws -> StartupReport {
        var report = StartupReport()
        let last = try Self.last(db)
        var ring = reloadKeys()
        report.problems += ring.problems.map(\.description)
        if ring.current == nil {
            report.createdKey = try makeFirstKey(db, last: last).id
            ring = keyring
        }
        for id in try UInt32.fetchAll(db, sql: "SELECT DISTINCT key_id FROM audit_event WHERE key_id IS NOT NULL")
        where ring.keys[id] == nil && !ring.problems.contains(where: { $0.file == ring.file(id).path }) {
            report.problems.append("\(ring.file(id).path): missing; events of the audit log were sealed with audit key \(id) and cannot be verified until it is restored")
        }
        if let problem = try headProblem(head.read(), ring: ring, db: db, last: (last.seq, last.hash)) {
            report.problems.append(problem)
        }
        return report
    }

    /// What a re-anchoring found and wrote.
    public struct Reanchoring: Sendable {
        /// The `audit.reanchored` event the new head names.
        public var event: AuditEvent
        /// What was wrong with the head file, as verify says it.
        public var found: String
    }

    /// The way out after the operator has looked into a head file that does not hold (lost, torn, or showing a
    /// cut), which writers never write over: records an `audit.reanchored` event saying what the head file was
    /// found to be, then seals a new head at that event. Refused while the head file holds. The event stays in
    /// the chain, so a re-anchoring cannot hide; verify lists it.
    func reanchor(_ pool: DatabasePool, actor: String) throws -> Reanchoring {
        let (event, found) = try pool.write { db -> (AuditEvent, String) in
            let last = try Self.last(db)
            let reading = head.read()
            guard let found = try headProblem(reading, ring: reloadKeys(), db: db, last: (last.seq, last.hash)) else {
                throw Failure(description: "the head file \(head.url.path) holds; there is nothing to re-anchor")
            }
            var detail: [String: JSONValue] = ["found": .string(found)]
            if case .sealed(let sealed) = reading {
                detail["previousHead"] = .object(["seq": .number(Double(sealed.head.seq)), "hash": .string(sealed.head.hash),
                                                  "keyId": .number(Double(sealed.head.keyID))])
            }
            return (try append(AuditEntry("audit.reanchored", actor: actor, detail: .object(detail)), in: db), found)
        }
        // After the commit: a head written before it could end up naming an event that was never committed.
        guard let id = event.keyID, let key = keyring.keys[id] else { throw Failure(description: "audit key \(event.keyID ?? 0) did not load") }
        try head.replace(with: AuditHead(seq: event.seq, hash: event.hash, keyID: id).record(sealedWith: key))
        return Reanchoring(event: event, found: found)
    }

    // MARK: Verifying

    /// The outcome of walking the whole chain.
    public struct Verification: Sendable, Equatable {
        public var events: Int
        /// The first break found, in words; nil when the chain is whole.
        public var problem: String?
        public var headHash: String
        /// Events from before the chain was keyed (plain SHA-256), all at its start.
        public var legacyEvents: Int = 0
        /// The audit keys that sealed events, oldest first.
        public var keysUsed: [UInt32] = []
        /// The event the head file names; it may trail the newest event after a crash.
        public var headFileSeq: Int?
        /// The `audit.reanchored` events: where an operator sealed a new head after the old one stopped holding.
        public var reanchoredAt: [Int] = []
        public var ok: Bool { problem == nil }
    }

    func verify(_ pool: DatabasePool) throws -> Verification {
        // The head file before the database: it is written only after a commit, so any snapshot taken later
        // holds the event it names. The other order could see a head written after the snapshot.
        let reading = AuditHeadFile.read(at: head.url)
        let ring = reloadKeys()
        return try pool.read { db in try verify(db, head: reading, ring: ring) }
    }

    private func verify(_ db: Database, head reading: AuditHeadFile.Reading, ring: AuditKeyring) throws -> Verification {
        var result = Verification(events: 0, problem: nil, headHash: AuditEvent.genesis)
        func broken(_ problem: String) -> Verification {
            var out = result
            out.problem = problem
            return out
        }
        var expectedSeq = 1
        let cursor = try AuditEvent.order(Column("seq")).fetchCursor(db)
        while let event = try cursor.next() {
            result.events += 1
            if event.seq != expectedSeq {
                return broken(event.seq > expectedSeq
                    ? "event \(expectedSeq)\(event.seq - expectedSeq > 1 ? "–\(event.seq - 1)" : "") is missing (the sequence jumps from \(expectedSeq - 1) to \(event.seq))"
                    : "event \(event.seq) appears out of order after event \(expectedSeq - 1)")
            }
            if event.prevHash != result.headHash {
                return broken("event \(event.seq) does not follow event \(event.seq - 1): its previous-hash link is broken (an event was removed, replaced or reordered)")
            }
            if let id = event.keyID {
                if let newest = result.keysUsed.last, id < newest {
                    return broken("event \(event.seq) is sealed with audit key \(id) after events sealed with audit key \(newest): it was written by someone holding a retired key")
                }
                guard let key = ring.keys[id] else {
                    return broken("event \(event.seq) is sealed with audit key \(id), and \(ring.unavailable(id)); the log cannot be checked without it")
                }
                if !key.isSeal(event.hash, of: event.sealedText) {
                    let rehashed = event.hash == event.unkeyedHash || event.hash == Digest.sha256Hex(event.sealedText)
                    return broken(rehashed
                        ? "event \(event.seq) was recomputed without the audit key: its hash is a plain SHA-256, not audit key \(id)'s seal (events were edited, removed, renumbered or reordered and the chain hashed again)"
                        : "event \(event.seq) was edited: its content does not match its seal (audit key \(id))")
                }
                if result.keysUsed.last != id { result.keysUsed.append(id) }
            } else {
                if let newest = result.keysUsed.last {
                    return broken("event \(event.seq) has no audit key after events sealed with audit key \(newest): it was written by someone without the key")
                }
                if event.unkeyedHash != event.hash {
                    return broken("event \(event.seq) was edited: its content does not match its hash")
                }
                result.legacyEvents += 1
            }
            if event.type == "audit.reanchored" { result.reanchoredAt.append(event.seq) }
            result.headHash = event.hash
            expectedSeq += 1
        }
        let last = try Self.last(db)
        if last.seq != expectedSeq - 1 || last.hash != result.headHash {
            return broken("the log ends at event \(expectedSeq - 1) but the last event written was \(last.seq): events at the end were removed or replaced")
        }
        // Before the first key the head file is optional; from then on it must hold.
        if ring.keys.isEmpty && ring.problems.isEmpty && result.keysUsed.isEmpty { return result }
        if let problem = try headProblem(reading, ring: ring, db: db, last: (expectedSeq - 1, result.headHash)) {
            return broken(problem)
        }
        if case .sealed(let sealed) = reading { result.headFileSeq = sealed.head.seq }
        return result
    }
}

extension AppDatabase {
    /// Appends one event inside the caller's transaction, so that it commits with the change it records.
    @discardableResult
    func audit(_ entry: AuditEntry, in db: Database, at now: Date = Date()) throws -> AuditEvent {
        try auditLog.append(entry, in: db, at: now)
    }

    /// Appends one event on its own (sign-in failures, key rotation by the CLI).
    public func audit(_ entry: AuditEntry, at now: Date = Date()) throws {
        _ = try pool.write { db in try auditLog.append(entry, in: db, at: now) }
    }

    /// Events newest first; those below `before`, of `type`, at or after `since` and before `until`, when given.
    /// Times compare as the stored text: every event's `at` is written in one ISO 8601 form (UTC, milliseconds),
    /// and the bounds are written in it too.
    public func auditEvents(before: Int?, type: String?, since: Date? = nil, until: Date? = nil, limit: Int) throws -> [AuditEvent] {
        try pool.read { db in
            var query = AuditEvent.order(Column("seq").desc).limit(limit)
            if let before { query = query.filter(Column("seq") < before) }
            if let type { query = query.filter(Column("type") == type) }
            if let since { query = query.filter(Column("at") >= since.formatted(AuditLog.timestamp)) }
            if let until { query = query.filter(Column("at") < until.formatted(AuditLog.timestamp)) }
            return try query.fetchAll(db)
        }
    }

    /// Where the audit keys are: `keys/` beside the database.
    public var auditKeysDirectory: URL { auditLog.keysDirectory }

    public func verifyAuditLog() throws -> AuditLog.Verification {
        try auditLog.verify(pool)
    }

    /// The first audit key and head file when there are none, and what is wrong with them (`serve` at startup).
    public func prepareAuditLog() throws -> AuditLog.StartupReport {
        try pool.write { db in try auditLog.prepare(in: db) }
    }

    /// A new head file after the operator has looked into one that does not hold (`switchboard audit reanchor`).
    public func reanchorAuditLog(actor: String) throws -> AuditLog.Reanchoring {
        try auditLog.reanchor(pool, actor: actor)
    }

    /// A new audit key for the events from now on (`switchboard keys rotate`).
    public func rotateAuditKey() throws -> AuditLog.KeyRotation {
        try pool.write { db in try auditLog.rotateKey(in: db) }
    }
}
