@testable import API
import Foundation
import GRDB
@testable import Storage
import Testing

/// GET /api/audit's time filter and GET /api/audit/verify, which the settings page's History section shows.
@Suite struct AuditFilterAndVerifyTests {
    private func day(_ text: String) -> Date { try! Date.ISO8601FormatStyle().parse(text) }

    private func types(_ response: Response) -> [String] {
        ((response.json["events"] as? [[String: Any]]) ?? []).compactMap { $0["target"] as? String }
    }

    @Test func sinceAndUntilKeepOnlyTheEventsInBetween() async throws {
        // Given events on three days
        let t = try TestApp()
        for (target, at) in [("first", "2026-01-01T10:00:00Z"), ("second", "2026-01-02T10:00:00Z"), ("third", "2026-01-03T10:00:00Z")] {
            try t.database.audit(AuditEntry("test.event", actor: "test", target: target), at: day(at))
        }
        // When the page asks for the second day only, then from it on, then with an offset
        let between = await t.bearer(.get, "/api/audit?type=test.event&since=2026-01-02T00:00:00Z&until=2026-01-03T00:00:00Z")
        let from = await t.bearer(.get, "/api/audit?type=test.event&since=2026-01-02T10:00:00.000Z")
        let offset = await t.bearer(.get, "/api/audit?type=test.event&until=2026-01-02T11:00:00%2B01:00")
        // Then each answer holds those events, newest first
        #expect(between.status == .ok)
        #expect(types(between) == ["second"])
        #expect(types(from) == ["third", "second"])
        #expect(types(offset) == ["first"])
    }

    @Test func aTimeThatIsNotADateTimeIsABadRequest() async throws {
        let t = try TestApp()
        let response = await t.bearer(.get, "/api/audit?since=yesterday")
        #expect(response.status == .badRequest)
        #expect(response.json["type"] as? String == "urn:switchboard:problem:invalid-query")
        #expect(response.text.contains("since"))
        // An empty one is not a date-time either (the document promises the format; Schemathesis sends `until=`)
        #expect(await t.bearer(.get, "/api/audit?until=").status == .badRequest)
    }

    @Test func verifySaysTheChainHoldsThenNamesAnEditedEvent() async throws {
        // Given a few events
        let t = try TestApp()
        for i in 0..<3 { try t.database.audit(AuditEntry("test.event", actor: "test", target: "t\(i)")) }
        // When the chain is verified
        let whole = await t.bearer(.get, "/api/audit/verify")
        // Then it holds
        #expect(whole.status == .ok)
        #expect(whole.json["ok"] as? Bool == true)
        #expect((whole.json["events"] as? Int ?? 0) >= 3)
        #expect(whole.json["problem"] == nil)
        // When someone without the audit key edits an event
        try await t.database.pool.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_event_no_update")
            try db.execute(sql: "UPDATE audit_event SET actor = 'someone-else' WHERE target = 't1'")
        }
        // Then the answer says so, in words
        let broken = await t.bearer(.get, "/api/audit/verify")
        #expect(broken.status == .ok)
        #expect(broken.json["ok"] as? Bool == false)
        #expect(!((broken.json["problem"] as? String) ?? "").isEmpty)
    }
}
