import Auth
import Core
import Foundation
import HTTPTypes
import Storage

/// API tokens: list (never the tokens), create (the token is in the answer once), revoke. Admin only; each
/// change is audited.
package struct TokensController {
    let tokens: AdminTokens
    let database: AppDatabase

    package init(tokens: AdminTokens, database: AppDatabase) {
        self.tokens = tokens
        self.database = database
    }

    package func register(_ routes: Routes) {
        routes
            .get("/api/tokens", list)
            .post("/api/tokens", consumes: ["application/json"], create)
            .delete("/api/tokens/{id}", revoke)
    }

    struct TokenView: Encodable {
        let id: String
        let name: String
        let scopes: [String]
        let createdAt: Date
        @EncodedAsNull var lastUsedAt: Date?
        @EncodedAsNull var revokedAt: Date?

        init(_ t: AdminToken) {
            id = t.id; name = t.name; scopes = TokenScopes(stored: t.scopes).names
            createdAt = t.createdAt; lastUsedAt = t.lastUsedAt; revokedAt = t.revokedAt
        }
    }

    struct ListView: Encodable { let tokens: [TokenView] }

    struct Created: Encodable {
        let token: TokenView
        /// The token itself: shown in this answer only.
        let secret: String
    }

    @Sendable func list(_ request: Request, _ context: RequestContext) async throws -> Response {
        try .json(ListView(tokens: tokens.list().map(TokenView.init)))
    }

    @Sendable func create(_ request: Request, _ context: RequestContext) async throws -> Response {
        let body = try JSON.value(from: request)
        let caller = try context.requirePrincipal()
        guard let object = body.objectValue else { throw Problem.invalidBody(pointer: "", message: "must be a JSON object") }
        var errors: [FieldError] = []
        for key in object.keys.sorted() where key != "name" && key != "scopes" {
            errors.append(FieldError(pointer: "/" + JSONPointer.escape(key), code: "unknown_field", message: "is not a field of a token (name, scopes)"))
        }
        let name = object["name"]?.stringValue?.trimmed ?? ""
        if name.isEmpty || name.count > 100 || name.contains(where: \.isNewline) {
            errors.append(FieldError(pointer: "/name", code: object["name"] == nil ? "required" : "invalid_format",
                                     message: "must be a name of 1 to 100 characters on one line"))
        }
        var names: [String] = []
        if let value = object["scopes"] {
            if let items = value.arrayValue, items.count <= 3, items.allSatisfy({ $0.stringValue != nil }) {
                names = items.compactMap(\.stringValue)
            } else {
                errors.append(FieldError(pointer: "/scopes", code: "type", message: "must be an array of scopes: admin, or runtime with optional credentials"))
            }
        }
        var scopes = TokenScopes.admin
        switch TokenScopes.make(names) {
        case .success(let s): scopes = s
        case .failure(let e): errors.append(FieldError(pointer: "/scopes", code: "invalid_value", message: e.message))
        }
        guard errors.isEmpty else {
            throw Problem(.unprocessableContent, type: "validation", title: "The request has invalid fields", errors: errors)
        }
        let minted = AdminTokens.mint(name: name, scopes: scopes)
        try database.insertToken(minted.record, audit: AuditEntry("token.created", actor: caller.actor, target: minted.record.id,
                                                                  requestID: context.requestID,
                                                                  detail: .object(["name": .string(name), "scopes": .array(scopes.names.map(JSONValue.string))])))
        return try .json(Created(token: TokenView(minted.record), secret: minted.secret), status: .created,
                         headers: [.location: "/api/tokens/\(minted.record.id)", .cacheControl: "no-store"])
    }

    @Sendable func revoke(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let caller = try context.requirePrincipal()
        guard try database.revokeToken(id: id, audit: AuditEntry("token.revoked", actor: caller.actor, target: id, requestID: context.requestID)) else {
            throw Problem(.notFound, type: "not-found", title: "No such token", detail: "No active token has the id \(id).")
        }
        return .noContent()
    }
}
