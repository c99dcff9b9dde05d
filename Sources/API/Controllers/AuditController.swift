import Core
import Foundation
import Storage

/// The audit log, newest first, paged.
package struct AuditController {
    let database: AppDatabase

    package func register(_ routes: Routes) {
        routes.get("/api/audit", list)
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

    @Sendable func list(_ request: Request, _ context: RequestContext) async throws -> Response {
        let type = request.queryItems["type"].flatMap { $0.isEmpty ? nil : String($0.prefix(64)) }
        let page = try Paging(request).page(key: \.seq) { try database.auditEvents(before: $0, type: type, limit: $1) }
        return try .json(Page(events: page.rows.map(EventView.init), nextBefore: page.nextBefore))
    }

    package init(database: AppDatabase) {
        self.database = database
    }
}
