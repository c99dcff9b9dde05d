import Foundation
import GRDB
@testable import Storage
import Testing

/// A database in a state directory of its own, opened the way the server opens it: the audit key under
/// `keys/` and the head file next to the database.
private struct AuditState {
    let directory: URL
    let database: AppDatabase

    init() throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("audit-\(UUID().uuidString)")
        database = try AppDatabase.open(stateDirectory: StateDirectory(path: directory.path))
    }

    var headFile: URL { directory.appendingPathComponent("audit.head") }
    func keyFile(_ id: Int) -> URL { directory.appendingPathComponent("keys/audit-\(id).key") }

    func seed(_ n: Int, from first: Int = 1) throws {
        for i in first..<(first + n) {
            try database.audit(AuditEntry("test.event", actor: "test", target: "t\(i)", detail: .object(["i": .number(Double(i))])))
        }
    }

    /// Tampering as someone with write access to the database file would: around the triggers.
    func tamper(_ sql: String) throws {
        try database.pool.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_event_no_update; DROP TRIGGER IF EXISTS audit_event_no_delete")
            try db.execute(sql: sql)
        }
    }

    /// What that person does next without the audit key: hash the events from `seq` (through `last`, or to the
    /// end) again, as the chain was hashed before it was keyed (plain SHA-256 over the same length-prefixed
    /// fields), relink each to the one before it, and move the database's own head to the new end.
    func rehashWithoutTheKey(from seq: Int, through last: Int = .max) throws {
        try database.pool.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_event_no_update; DROP TRIGGER IF EXISTS audit_event_no_delete")
            var prev = try String.fetchOne(db, sql: "SELECT hash FROM audit_event WHERE seq = ?", arguments: [seq - 1]) ?? AuditEvent.genesis
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit_event WHERE seq BETWEEN ? AND ? ORDER BY seq", arguments: [seq, last]) {
                let n: Int = row["seq"]
                let hash = AuditEvent.chainHash(prev: prev, seq: n, at: row["at"], type: row["type"], actor: row["actor"],
                                                target: row["target"], requestID: row["request_id"], detail: row["detail"])
                try db.execute(sql: "UPDATE audit_event SET prev_hash = ?, hash = ? WHERE seq = ?", arguments: [prev, hash, n])
                prev = hash
            }
            guard last == .max else { return }
            let end = try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM audit_event") ?? 0
            try db.execute(sql: "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", arguments: [end, prev])
        }
    }

    func keyIDs() throws -> [Int?] {
        try database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT key_id FROM audit_event ORDER BY seq").map { $0["key_id"] as Int? }
        }
    }

    var problem: String? {
        get throws { try database.verifyAuditLog().problem }
    }
}

private func mode(_ url: URL) -> Int {
    var st = stat()
    return lstat(url.path, &st) == 0 ? Int(st.st_mode & 0o777) : -1
}

// MARK: Tests

/// The audit chain against someone who can write the database (and the head file) but cannot read `keys/`.
@Suite struct AuditChainTests {
    @Test func intactChainVerifies() throws {
        let state = try AuditState()
        try state.seed(5)
        let result = try state.database.verifyAuditLog()
        #expect(result.ok, "\(result)")
        #expect(result.events == 5)
    }

    @Test func eventsAreSealedWithAnAuditKeyFileMadeOnFirstUse() throws {
        // Given a fresh state directory
        let state = try AuditState()
        // When events are written
        try state.seed(3)
        // Then a 32-byte, 0600 audit key file exists and every event names it, and the head file sits beside the database
        let bytes = try #require(try DurableFile.read(state.keyFile(1)))
        #expect(bytes.count == 32)
        #expect(mode(state.keyFile(1)) == 0o600)
        #expect(try state.keyIDs() == [1, 1, 1])
        #expect(mode(state.headFile) == 0o600)
    }

    @Test func updatesAndDeletesAreRefusedByTheDatabase() throws {
        let state = try AuditState()
        try state.seed(2)
        #expect(throws: (any Error).self) { try state.database.pool.write { try $0.execute(sql: "UPDATE audit_event SET actor = 'x' WHERE seq = 1") } }
        #expect(throws: (any Error).self) { try state.database.pool.write { try $0.execute(sql: "DELETE FROM audit_event WHERE seq = 1") } }
        #expect(try state.database.verifyAuditLog().ok)
    }

    @Test func anEditedEventIsReported() throws {
        let state = try AuditState()
        try state.seed(5)
        try state.tamper("UPDATE audit_event SET actor = 'someone-else' WHERE seq = 3")
        #expect(try state.problem?.contains("event 3 was edited") == true)
    }

    @Test func anEditedEventWithTheChainRecomputedWithoutTheKeyIsReported() throws {
        // Given an intact log of 5 events
        let state = try AuditState()
        try state.seed(5)
        // When event 3 is edited and events 3–5 and the database head are hashed again without the key
        try state.tamper("UPDATE audit_event SET actor = 'someone-else' WHERE seq = 3")
        try state.rehashWithoutTheKey(from: 3)
        // Then verify names event 3 as recomputed without the audit key
        let problem = try #require(try state.problem)
        #expect(problem.contains("event 3"), "\(problem)")
        #expect(problem.contains("without the audit key"), "\(problem)")
    }

    @Test func aDeletedEventLeavesAGap() throws {
        let state = try AuditState()
        try state.seed(5)
        try state.tamper("DELETE FROM audit_event WHERE seq = 2")
        #expect(try state.problem?.contains("event 2 is missing") == true)
    }

    @Test func anEventDeletedAndTheRestRenumberedAndRecomputedIsReported() throws {
        // Given an intact log of 6 events
        let state = try AuditState()
        try state.seed(6)
        // When event 3 is deleted, 4–6 become 3–5, and the chain from 3 on is hashed again without the key
        try state.tamper("""
            DELETE FROM audit_event WHERE seq = 3;
            UPDATE audit_event SET seq = seq - 1 WHERE seq > 3;
            """)
        try state.rehashWithoutTheKey(from: 3)
        // Then verify names the first renumbered event
        let problem = try #require(try state.problem)
        #expect(problem.contains("event 3"), "\(problem)")
        #expect(problem.contains("without the audit key"), "\(problem)")
    }

    @Test func deletingTheNewestWithoutMovingTheDatabaseHeadIsReported() throws {
        let state = try AuditState()
        try state.seed(5)
        try state.tamper("DELETE FROM audit_event WHERE seq = 5")
        #expect(try state.problem?.contains("removed") == true)
    }

    @Test func aCutTailWithTheDatabaseHeadMovedIsReported() throws {
        // Given an intact log of 6 events
        let state = try AuditState()
        try state.seed(6)
        // When events 5 and 6 are deleted and the database's own head is moved to event 4
        try state.tamper("""
            DELETE FROM audit_event WHERE seq > 4;
            UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_event WHERE seq = 4) WHERE id = 1;
            """)
        // Then verify says the log was cut after event 4, and that it had reached event 6
        let problem = try #require(try state.problem)
        #expect(problem.contains("cut"), "\(problem)")
        #expect(problem.contains("6") && problem.contains("4"), "\(problem)")
    }

    @Test func reorderedEventsAreReported() throws {
        let state = try AuditState()
        try state.seed(5)
        // Swap the contents of events 2 and 3, hashes included: each row is self-consistent, the chain is not.
        try state.tamper("""
            UPDATE audit_event SET seq = -2 WHERE seq = 2;
            UPDATE audit_event SET seq = 2 WHERE seq = 3;
            UPDATE audit_event SET seq = 3 WHERE seq = -2;
            """)
        let problem = try #require(try state.problem)
        #expect(problem.contains("event 2") || problem.contains("event 3"))
    }

    @Test func reorderedEventsRecomputedWithoutTheKeyAreReported() throws {
        // Given an intact log of 5 events
        let state = try AuditState()
        try state.seed(5)
        // When events 2 and 3 swap places and the chain from 2 on is hashed again without the key
        try state.tamper("""
            UPDATE audit_event SET seq = -2 WHERE seq = 2;
            UPDATE audit_event SET seq = 2 WHERE seq = 3;
            UPDATE audit_event SET seq = 3 WHERE seq = -2;
            """)
        try state.rehashWithoutTheKey(from: 2)
        // Then verify names event 2
        let problem = try #require(try state.problem)
        #expect(problem.contains("event 2"), "\(problem)")
        #expect(problem.contains("without the audit key"), "\(problem)")
    }

    @Test func aForgedHeadFileIsReported() throws {
        // Given an intact log of 6 events
        let state = try AuditState()
        try state.seed(6)
        // When the tail is cut at event 4, the database head moved, and the head file rewritten to name event 4
        // (its seal left as it was: making a new one needs the key)
        try state.tamper("""
            DELETE FROM audit_event WHERE seq > 4;
            UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_event WHERE seq = 4) WHERE id = 1;
            """)
        let hash4 = try #require(try state.database.pool.read { try String.fetchOne($0, sql: "SELECT hash FROM audit_event WHERE seq = 4") })
        let text = try #require(try DurableFile.read(state.headFile).map { String(decoding: $0, as: UTF8.self) })
        let forged = text.replacingOccurrences(of: #"seq=\d+"#, with: "seq=" + String(repeating: "0", count: 19) + "4", options: .regularExpression)
            .replacingOccurrences(of: #"hash=[0-9a-f]{64}"#, with: "hash=\(hash4)", options: .regularExpression)
        #expect(forged != text)
        try DurableFile.write(Array(forged.utf8), to: state.headFile)
        // Then verify says the head file is forged
        let problem = try #require(try state.problem)
        #expect(problem.contains("head file"), "\(problem)")
        #expect(problem.contains("forged"), "\(problem)")
    }

    @Test func aHeadFileRolledBackBehindACutIsReported() throws {
        // Given a log of 4 events whose head file is copied, then 4 more events
        let state = try AuditState()
        try state.seed(4)
        let copy = try #require(try DurableFile.read(state.headFile))
        try state.seed(4, from: 5)
        // When the tail is cut at event 3, the database head moved, and the old head file put back
        try state.tamper("""
            DELETE FROM audit_event WHERE seq > 3;
            UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_event WHERE seq = 3) WHERE id = 1;
            """)
        try DurableFile.write(copy, to: state.headFile)
        // Then verify still sees that the log once reached event 4
        let problem = try #require(try state.problem)
        #expect(problem.contains("cut"), "\(problem)")
        #expect(problem.contains("4"), "\(problem)")
    }

    @Test func aMissingHeadFileIsReported() throws {
        let state = try AuditState()
        try state.seed(3)
        try FileManager.default.removeItem(at: state.headFile)
        let problem = try #require(try state.problem)
        #expect(problem.contains("head file") && problem.contains("missing"), "\(problem)")
        #expect(problem.contains(state.headFile.path), "\(problem)")
    }

    @Test func aMissingAuditKeyIsNamed() throws {
        // Given events sealed with audit key 1
        let state = try AuditState()
        try state.seed(3)
        // When its file is gone
        try FileManager.default.moveItem(at: state.keyFile(1), to: state.directory.appendingPathComponent("audit-1.key.aside"))
        // Then verify names the key and its file
        let problem = try #require(try state.problem)
        #expect(problem.contains("audit key 1"), "\(problem)")
        #expect(problem.contains(state.keyFile(1).path), "\(problem)")
    }

    @Test func legacyEventsStayAndTheFirstKeyedEventSealsThem() throws {
        // Given a database written before the chain was keyed: three events hashed with plain SHA-256
        let state = try AuditState()
        try state.database.pool.write { db in
            var prev = AuditEvent.genesis
            for seq in 1...3 {
                let at = "2026-11-0\(seq)T10:00:00.000Z", detail = #"{"i":\#(seq)}"#
                let hash = AuditEvent.chainHash(prev: prev, seq: seq, at: at, type: "old.event", actor: "test", target: nil, requestID: nil, detail: detail)
                try db.execute(sql: "INSERT INTO audit_event (seq, at, type, actor, detail, prev_hash, hash) VALUES (?, ?, 'old.event', 'test', ?, ?, ?)",
                               arguments: [seq, at, detail, prev, hash])
                prev = hash
            }
            try db.execute(sql: "INSERT INTO audit_head (id, seq, hash) VALUES (1, 3, ?)", arguments: [prev])
        }
        // When new events are written
        try state.seed(2, from: 4)
        // Then the old events keep no key, the new ones are keyed, and the whole chain verifies
        #expect(try state.keyIDs() == [nil, nil, nil, 1, 1])
        #expect(try state.database.verifyAuditLog().ok)
        // And rewriting the old history breaks the link into the first keyed event
        try state.tamper("UPDATE audit_event SET actor = 'someone-else' WHERE seq = 2")
        try state.rehashWithoutTheKey(from: 2, through: 3)
        let problem = try #require(try state.problem)
        #expect(problem.contains("event 4"), "\(problem)")
    }
}

@Suite struct AuditAPITests {
    @Test func eachEventNamesTheAuditKeyThatSealedIt() async throws {
        // Given an application that changed its settings once
        let t = try TestApp()
        let etag = try #require(await t.bearer(.get, "/api/config").headers[.eTag])
        #expect(await t.bearer(.patch, "/api/config", headers: [.contentType: "application/merge-patch+json", .ifMatch: etag],
                               body: #"{"agents":{"defaults":{"runtime":"claude-code-sdk"}}}"#).status == .ok)
        // When the audit log is read
        let events = (await t.bearer(.get, "/api/audit").json["events"] as? [[String: Any]]) ?? []
        // Then every event carries the id of audit key 1
        #expect(!events.isEmpty)
        #expect(events.allSatisfy { $0["keyId"] as? Int == 1 }, "\(events)")
    }
}
