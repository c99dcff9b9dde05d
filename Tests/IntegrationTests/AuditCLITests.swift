@testable import Cryptography
import Foundation
import GRDB
@testable import Storage
import TestSupport
import Testing

/// A state directory written in-process (as the running server writes it) and checked with the real CLI.
private struct CLIState {
    let root: URL
    let state: URL
    let database: AppDatabase

    init(_ label: String) throws {
        root = try Paths.temporaryDirectory(label)
        state = root.appendingPathComponent("state")
        database = try AppDatabase.open(stateDirectory: StateDirectory(path: state.path))
    }

    func cli(_ arguments: String) throws -> (status: Int32, output: String) {
        try shell("'\(Paths.binary)' \(arguments) --state-dir '\(state.path)'")
    }

    func seed(_ n: Int) throws {
        for i in 1...n {
            try database.audit(AuditEntry("test.event", actor: "test", target: "t\(i)", detail: .object(["i": .number(Double(i))])))
        }
    }

    func keyIDs() throws -> [Int?] {
        try database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT key_id FROM audit_event ORDER BY seq").map { $0["key_id"] as Int? }
        }
    }

    func hash(of seq: Int) throws -> String? {
        try database.pool.read { try String.fetchOne($0, sql: "SELECT hash FROM audit_event WHERE seq = ?", arguments: [seq]) }
    }

    /// Someone with write access to the database: around the triggers.
    func tamper(_ sql: String) throws {
        try database.pool.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_event_no_update; DROP TRIGGER IF EXISTS audit_event_no_delete")
            try db.execute(sql: sql)
        }
    }
}

// MARK: Tests

@Suite(.ownThread) struct AuditCLITests {
    @Test func keysRotateMakesANewAuditKeyThatLaterEventsUse() throws {
        // Given a log of three events sealed with audit key 1
        let s = try CLIState("audit-rotate")
        defer { try? FileManager.default.removeItem(at: s.root) }
        try s.seed(3)
        // When `switchboard keys rotate` runs while this process keeps writing
        let rotated = try s.cli("keys rotate")
        #expect(rotated.status == 0, "\(rotated.output)")
        try s.seed(2)
        // Then the rotation's own event and every later one use audit key 2, key 1 is kept, and the log verifies
        #expect(try s.keyIDs() == [1, 1, 1, 2, 2, 2])
        #expect(FileManager.default.fileExists(atPath: s.state.appendingPathComponent("keys/audit-1.key").path))
        #expect(FileManager.default.fileExists(atPath: s.state.appendingPathComponent("keys/audit-2.key").path))
        let verify = try s.cli("audit verify")
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("audit log intact"), "\(verify.output)")
        let status = try s.cli("keys status")
        #expect(status.output.contains("audit-2.key"), "\(status.output)")
        #expect(status.output.contains("audit-1.key"), "\(status.output)")
    }

    @Test func auditVerifyExitsOneOnAChainRecomputedWithoutTheKey() throws {
        // Given an intact log of four events
        let s = try CLIState("audit-recomputed")
        defer { try? FileManager.default.removeItem(at: s.root) }
        try s.seed(4)
        #expect(try s.cli("audit verify").status == 0)
        // When event 2 is edited and the chain from it hashed again as it used to be, with plain SHA-256
        try s.tamper("UPDATE audit_event SET actor = 'nobody' WHERE seq = 2")
        try s.database.pool.write { db in
            var prev = try String.fetchOne(db, sql: "SELECT hash FROM audit_event WHERE seq = 1") ?? AuditEvent.genesis
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit_event WHERE seq >= 2 ORDER BY seq") {
                let seq: Int = row["seq"]
                let hash = AuditEvent.chainHash(prev: prev, seq: seq, at: row["at"], type: row["type"], actor: row["actor"],
                                                target: row["target"], requestID: row["request_id"], detail: row["detail"])
                try db.execute(sql: "UPDATE audit_event SET prev_hash = ?, hash = ? WHERE seq = ?", arguments: [prev, hash, seq])
                prev = hash
            }
            try db.execute(sql: "UPDATE audit_head SET hash = ? WHERE id = 1", arguments: [prev])
        }
        // Then `switchboard audit verify` exits 1 naming event 2
        let broken = try s.cli("audit verify")
        #expect(broken.status == 1, "\(broken.output)")
        #expect(broken.output.contains("event 2"), "\(broken.output)")
        #expect(broken.output.contains("without the audit key"), "\(broken.output)")
    }

    @Test func aHeadResealedWithARetiredAuditKeyIsReported() throws {
        // Given three events under audit key 1, a rotation, and two more events under key 2
        let s = try CLIState("audit-retired-key")
        defer { try? FileManager.default.removeItem(at: s.root) }
        try s.seed(3)
        #expect(try s.cli("keys rotate").status == 0)
        try s.seed(2)
        // When someone holding the retired key 1 cuts every event sealed with key 2 and seals a head file for event 3
        let oldKey = try #require(try DurableFile.read(s.state.appendingPathComponent("keys/audit-1.key")))
        try s.tamper("""
            DELETE FROM audit_event WHERE seq > 3;
            UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_event WHERE seq = 3) WHERE id = 1;
            """)
        let body = "sbaudit-head-v1 key=0000000001 seq=00000000000000000003 hash=\(try #require(try s.hash(of: 3)))"
        let seal = Hex.encode(Signing.hmacSHA256(key: oldKey, Array(body.utf8)))
        try DurableFile.write(Array("\(body) mac=\(seal)\n".utf8), to: s.state.appendingPathComponent("audit.head"))
        // Then verify refuses a head sealed with a key older than the current one
        let broken = try s.cli("audit verify")
        #expect(broken.status == 1, "\(broken.output)")
        #expect(broken.output.contains("audit key 1"), "\(broken.output)")
        #expect(broken.output.contains("audit key 2"), "\(broken.output)")
    }

    @Test func reanchoringRecordsALostHeadFileAndTheLogVerifiesAgain() throws {
        // Given three events, and a head file that was deleted while this process kept it open
        let s = try CLIState("audit-reanchor")
        defer { try? FileManager.default.removeItem(at: s.root) }
        try s.seed(3)
        let head = s.state.appendingPathComponent("audit.head")
        try FileManager.default.removeItem(at: head)
        #expect(try s.cli("audit verify").status == 1)
        // When the operator re-anchors it
        let reanchored = try s.cli("audit reanchor")
        // Then an audit.reanchored event records what the head file was found to be, and the log verifies
        #expect(reanchored.status == 0, "\(reanchored.output)")
        let event = try #require(try s.database.auditEvents(before: nil, type: nil, limit: 1).first)
        #expect(event.seq == 4 && event.type == "audit.reanchored", "\(event)")
        #expect(event.detail.contains("missing"), "\(event.detail)")
        let verify = try s.cli("audit verify")
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("re-anchored at event 4"), "\(verify.output)")
        // And a writer that had the old file open moves the new one forward
        try s.seed(2)
        let text = try #require(try DurableFile.read(head).map { String(decoding: $0, as: UTF8.self) })
        #expect(text.contains("seq=00000000000000000006"), "\(text)")
    }

    @Test func reanchoringIsRefusedWhileTheHeadFileHolds() throws {
        let s = try CLIState("audit-reanchor-refused")
        defer { try? FileManager.default.removeItem(at: s.root) }
        try s.seed(2)
        let refused = try s.cli("audit reanchor")
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.output.contains("holds"), "\(refused.output)")
        #expect(try s.database.auditEvents(before: nil, type: nil, limit: 10).count == 2)
    }
}
