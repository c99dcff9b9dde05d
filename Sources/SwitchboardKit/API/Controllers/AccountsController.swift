import Foundation
import HTTPTypes

/// Provider accounts, their credentials (write-only, audited reveal and copy) and what a delete affects.
struct AccountsController {
    let service: AccountService

    func register(_ routes: Routes) {
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
        try Self.answering { try .json(ListView(accounts: service.list())) }
    }

    @Sendable func create(_ request: Request, _ context: RequestContext) async throws -> Response {
        let body = try JSON.value(from: request)
        let caller = try Self.caller(context)
        return try Self.answering {
            let account = try service.create(body, by: caller)
            return try Self.answer(account, status: .created, headers: [.location: "/api/accounts/\(account.id)"])
        }
    }

    @Sendable func read(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try Self.answering {
            let account = try service.get(id)
            return try Self.answer(account)
        }
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
        return try Self.answering {
            let account = try service.patch(id, body, ifVersion: expected, by: caller)
            return try Self.answer(account)
        }
    }

    @Sendable func delete(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let caller = try Self.caller(context)
        return try Self.answering {
            try service.delete(id, by: caller)
            return .noContent()
        }
    }

    @Sendable func impact(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try Self.answering { try .json(service.impact(id)) }
    }

    @Sendable func putCredential(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try JSON.value(from: request)
        let caller = try Self.caller(context)
        return try Self.answering {
            let account = try service.putCredential(id, body, by: caller)
            return try Self.answer(account)
        }
    }

    @Sendable func deleteCredential(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let caller = try Self.caller(context)
        return try Self.answering {
            try service.deleteCredential(id, by: caller)
            return .noContent()
        }
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
        return try Self.answering {
            try .json(service.disclose(id, purpose, field: field, by: caller), headers: [.cacheControl: "no-store"])
        }
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

    /// Maps the service's refusals to problems; anything else is a server failure (logged, generic 500).
    static func answering(_ body: () throws -> Response) throws -> Response {
        do {
            return try body()
        } catch let failure as AccountService.Failure {
            throw problem(failure)
        }
    }

    static func problem(_ failure: AccountService.Failure) -> Problem {
        switch failure {
        case .invalidID:
            return Problem(.badRequest, type: "invalid-id", title: "Invalid account id",
                           detail: "An account id is <provider>:<name>, e.g. anthropic:work; the name uses lower-case letters, digits, - and _ (at most 64).")
        case .notFound(let id):
            return Problem(.notFound, type: "not-found", title: "Not found", detail: "There is no account \(id).")
        case .exists(let id):
            return Problem(.conflict, type: "account-exists", title: "The account exists",
                           detail: "There is already an account \(id). Change it with PATCH, or choose another name.")
        case .invalid(let errors), .invalidCredential(let errors):
            let credential: Bool = if case .invalidCredential = failure { true } else { false }
            let fields = errors.count == 1 ? "1 field is" : "\(errors.count) fields are"
            let secrets = errors.contains { $0.code == "secret_not_allowed" } ? " Secrets go to \(SecretDetector.credentialAPI) only." : ""
            return Problem(.unprocessableContent, type: credential ? "invalid-credential" : "invalid-account",
                           title: "Nothing was saved", detail: "\(fields) invalid.\(secrets)", errors: errors)
        case .stale(let current):
            return Problem(.preconditionFailed, type: "stale-account", title: "The account changed since you read it",
                           detail: "Its current version is \(current). Read it again and reapply your change.",
                           headers: [.eTag: EntityTag.of(current)], members: ["currentVersion": .number(Double(current))])
        case .noCredential:
            return Problem(.conflict, type: "no-credential", title: "No credential is stored",
                           detail: "This account has no stored credential. Store one with PUT …/credential.")
        case .unreadable(let why):
            return Problem(.conflict, type: "credential-unreadable", title: "The stored credential cannot be opened",
                           detail: "\(why.prefix(1).uppercased() + why.dropFirst()). Restore the master key file, or store the credential again.")
        case .unknownField(let name, let kind, let fields):
            return Problem(.badRequest, type: "invalid-field", title: "No such credential field",
                           detail: "No credential has a field \(name.prefix(64)); this one, of kind \(kind), has \(fields.joined(separator: ", ")).",
                           errors: [.init(pointer: "", code: "unknown_field", message: "field must be one of \(fields.joined(separator: ", "))")])
        case .fieldNotStored(let name):
            return Problem(.notFound, type: "field-not-stored", title: "The credential has no such value",
                           detail: "The stored credential holds no \(name).")
        case .auditFailed:
            return Problem(.serviceUnavailable, type: "audit-unavailable", title: "The secret was not shown",
                           detail: "Showing or copying a secret is recorded in the audit log first, and that record could not be written. Try again; if it keeps failing, check the server log.")
        }
    }
}
