import Core
import Foundation
import Storage

/// The audit log, newest first, paged and filtered by type and time; and whether its chain verifies.
package struct AuditController {
    let database: AppDatabase

    package func register(_ routes: Routes) {
        routes.get("/api/audit", list).get("/api/audit/verify", verify)
    }

    struct EventView: Encodable {
        let seq: Int
        let at: String
        let type: String
        let actor: String
        let target: String?
        let requestId: String?
        let detail: JSONValue
        let hash: String
        let keyId: UInt32?

        init(_ e: AuditEvent) {
            seq = e.seq; at = e.at; type = e.type; actor = e.actor; target = e.target; requestId = e.requestID
            detail = JSONValue.parse(Array(e.detail.utf8)) ?? .object([:])
            hash = e.hash
            keyId = e.keyID
        }
    }

    struct Page: Encodable {
        let events: [EventView]
        let nextBefore: Int?
    }

    /// What `switchboard audit verify` says, for the page: the chain as this request reads it.
    struct VerificationView: Encodable {
        let ok: Bool
        let events: Int
        let problem: String?
        let legacyEvents: Int
        let keysUsed: [UInt32]
        let headFileSeq: Int?
        let reanchoredAt: [Int]

        init(_ v: AuditLog.Verification) {
            ok = v.ok; events = v.events; problem = v.problem; legacyEvents = v.legacyEvents; keysUsed = v.keysUsed
            headFileSeq = v.headFileSeq; reanchoredAt = v.reanchoredAt
        }
    }

    @Sendable func list(_ request: Request, _ context: RequestContext) async throws -> Response {
        let type = request.queryItems["type"].flatMap { $0.isEmpty ? nil : String($0.prefix(64)) }
        let since = try Self.time(request.queryItems, "since")
        let until = try Self.time(request.queryItems, "until")
        let page = try Paging(request).page(key: \.seq) {
            try database.auditEvents(before: $0, type: type, since: since, until: until, limit: $1)
        }
        return try .json(Page(events: page.rows.map(EventView.init), nextBefore: page.nextBefore))
    }

    @Sendable func verify(_ request: Request, _ context: RequestContext) async throws -> Response {
        try .json(VerificationView(try database.verifyAuditLog()))
    }

    /// An RFC 3339 date-time query parameter (`2026-11-30T14:05:00Z`, fractional seconds and offsets allowed).
    static func time(_ query: [String: String], _ name: String) throws -> Date? {
        guard let text = query[name] else { return nil }
        let styles = [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()]
        for style in styles { if let date = try? style.parse(text) { return date } }
        throw Problem(.badRequest, type: "invalid-query", title: "Invalid query parameter",
                      detail: "\(name) must be a date-time such as 2026-11-30T14:05:00Z.",
                      errors: [.init(pointer: "", code: "invalid", message: "query parameter \(name) is invalid")])
    }

    package init(database: AppDatabase) {
        self.database = database
    }
}
