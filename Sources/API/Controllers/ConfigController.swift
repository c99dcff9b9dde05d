import Core
import Foundation
import HTTPTypes
import Settings
import Storage

/// The settings document: read, patch (RFC 7396 with If-Match), schema, history, revert.
package struct ConfigController {
    let service: ConfigService

    static let mergePatch = "application/merge-patch+json"

    package func register(_ routes: Routes) {
        routes
            .get("/api/config", read)
            .patch("/api/config", consumes: [Self.mergePatch], patch)
            .get("/api/config/schema", schema)
            .get("/api/config/history", history)
            .get("/api/config/history/{revision}", revision)
            .post("/api/config/revert", revert)
    }

    @Sendable func read(_ request: Request, _ context: RequestContext) async throws -> Response {
        let snapshot = try service.current()
        // If-None-Match compares weakly (RFC 9110 13.1.2): W/"3" matches revision 3 too.
        if let tags = request.headers[.ifNoneMatch],
           EntityTag.numbers(in: tags.replacingOccurrences(of: "W/", with: ""))?.contains(snapshot.revision.revision) == true {
            return Response(status: .notModified, headers: [.eTag: EntityTag.of(snapshot.revision.revision)])
        }
        return Self.answer(snapshot)
    }

    @Sendable func patch(_ request: Request, _ context: RequestContext) async throws -> Response {
        let expected = try Self.precondition(request)
        let patch = try JSON.value(from: request, missing: "A JSON merge patch is required")
        let principal = try context.requirePrincipal()
        return Self.answer(try service.patch(patch, ifMatch: expected, actor: principal.actor, requestID: context.requestID))
    }

    struct Revert: Decodable { let revision: Int }

    @Sendable func revert(_ request: Request, _ context: RequestContext) async throws -> Response {
        let expected = try Self.precondition(request)
        let body = try JSON.decode(Revert.self, from: request)
        let principal = try context.requirePrincipal()
        return Self.answer(try service.revert(to: body.revision, ifMatch: expected, actor: principal.actor,
                                              requestID: context.requestID))
    }

    @Sendable func schema(_ request: Request, _ context: RequestContext) async throws -> Response {
        try .json(SchemaExport.document)
    }

    struct HistoryEntry: Encodable {
        let revision: Int
        let createdAt: Date
        let actor: String
        let changedPaths: [String]
        let restoredFrom: Int?
        var config: JSONValue?

        init(_ r: ConfigRevision, config: JSONValue? = nil) {
            revision = r.revision
            createdAt = r.createdAt
            actor = r.actor
            changedPaths = r.changedPathList
            restoredFrom = r.restoredFrom
            self.config = config
        }
    }

    struct HistoryPage: Encodable {
        let revisions: [HistoryEntry]
        /// Pass as `before` for the next (older) page; absent on the last page.
        let nextBefore: Int?
    }

    @Sendable func history(_ request: Request, _ context: RequestContext) async throws -> Response {
        let page = try Paging(request).page(key: \.revision) { try service.database.configHistory(before: $0, limit: $1) }
        return try .json(HistoryPage(revisions: page.rows.map { HistoryEntry($0) }, nextBefore: page.nextBefore))
    }

    @Sendable func revision(_ request: Request, _ context: RequestContext) async throws -> Response {
        let text = try context.parameters.require("revision")
        guard let number = Int(text), number > 0, let row = try service.database.configRevision(number) else {
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "There is no revision \(text.prefix(20)).")
        }
        return try .json(HistoryEntry(row, config: Settings.withDefaults(row.documentValue)))
    }

    // MARK: Helpers

    static func answer(_ snapshot: ConfigService.Snapshot) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json", .eTag: EntityTag.of(snapshot.revision.revision)], body: snapshot.body)
    }

    /// The revisions a request's `If-Match` names; 428 without one.
    static func precondition(_ request: Request) throws -> Set<Int> {
        guard let value = request.headers[.ifMatch]?.trimmed, !value.isEmpty else {
            throw Problem(.preconditionRequired, type: "precondition-required", title: "If-Match is required",
                          detail: "Send the ETag of the document you changed, from GET /api/config, as If-Match. This keeps two editors from overwriting each other.")
        }
        if value == "*" {
            throw Problem(.preconditionRequired, type: "precondition-required", title: "If-Match must name a revision",
                          detail: "If-Match: * would overwrite changes you have not seen; send the ETag from GET /api/config.")
        }
        // A malformed or weak tag matches nothing (strong comparison): the answer is 412 with the current revision.
        return EntityTag.numbers(in: value) ?? []
    }


    package init(service: ConfigService) {
        self.service = service
    }
}
