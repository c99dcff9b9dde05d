import Accounts
import Core
import Foundation
import HTTPTypes

/// Provider accounts, their credentials (write-only, audited reveal and copy) and what a delete affects.
package struct AccountsController {
    let service: AccountService

    package func register(_ routes: Routes) {
        routes
            .get("/api/accounts", list)
            .post("/api/accounts", consumes: ["application/json"], create)
            .get("/api/accounts/{id}", read)
            .patch("/api/accounts/{id}", consumes: [ConfigController.mergePatch, "application/json"], patch)
            .delete("/api/accounts/{id}", delete)
            .get("/api/accounts/{id}/impact", impact)
            .put("/api/accounts/{id}/credential", consumes: ["application/json"], putCredential)
            .delete("/api/accounts/{id}/credential", deleteCredential)
            .post("/api/accounts/{id}/credential/reveal", consumes: [], reveal)
            .post("/api/accounts/{id}/credential/copy", consumes: [], copy)
    }

    struct ListView: Encodable { let accounts: [AccountView] }

    @Sendable func list(_ request: Request, _ context: RequestContext) async throws -> Response {
        try .json(ListView(accounts: service.list()))
    }

    @Sendable func create(_ request: Request, _ context: RequestContext) async throws -> Response {
        let body = try JSON.value(from: request)
        let caller = try Self.caller(context)
        let account = try service.create(body, by: caller)
        return try Self.answer(account, status: .created, headers: [.location: "/api/accounts/\(account.id)"])
    }

    @Sendable func read(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let account = try service.get(id)
        return try Self.answer(account)
    }

    @Sendable func patch(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try JSON.value(from: request)
        let caller = try Self.caller(context)
        var expected: Int?
        if let value = request.headers[.ifMatch]?.trimmed, !value.isEmpty, value != "*" {
            // A malformed tag matches no version: the answer is 412 with the current one.
            expected = EntityTag.numbers(in: value)?.first ?? -1
        }
        let account = try service.patch(id, body, ifVersion: expected, by: caller)
        return try Self.answer(account)
    }

    @Sendable func delete(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let caller = try Self.caller(context)
        try service.delete(id, by: caller)
        return .noContent()
    }

    @Sendable func impact(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try .json(service.impact(id))
    }

    @Sendable func putCredential(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try JSON.value(from: request)
        let caller = try Self.caller(context)
        let account = try service.putCredential(id, body, by: caller)
        return try Self.answer(account)
    }

    @Sendable func deleteCredential(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let caller = try Self.caller(context)
        try service.deleteCredential(id, by: caller)
        return .noContent()
    }

    @Sendable func reveal(_ request: Request, _ context: RequestContext) async throws -> Response {
        try disclose(.reveal, request, context)
    }

    @Sendable func copy(_ request: Request, _ context: RequestContext) async throws -> Response {
        try disclose(.copy, request, context)
    }

    /// `?field=` picks another field of the credential than its main secret (an AWS session token).
    private func disclose(_ purpose: AccountService.Disclosure, _ request: Request, _ context: RequestContext) throws -> Response {
        let id = try context.parameters.require("id")
        let caller = try Self.caller(context)
        let field = request.queryItems["field"]
        return try .json(service.disclose(id, purpose, field: field, by: caller), headers: [.cacheControl: "no-store"])
    }

    // MARK: Helpers

    /// An account with its version as the ETag.
    static func answer(_ account: AccountView, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.eTag] = EntityTag.of(account.version)
        return try .json(account, status: status, headers: headers)
    }

    static func caller(_ context: RequestContext) throws -> AccountService.Caller {
        AccountService.Caller(actor: try context.requirePrincipal().actor, requestID: context.requestID)
    }

    package init(service: AccountService) {
        self.service = service
    }
}
