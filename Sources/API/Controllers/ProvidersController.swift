import Accounts
import Core
import Foundation

/// Connection tests (of an account, or of a draft credential) and model discovery.
package struct ProvidersController {
    let service: ProviderTestService

    package func register(_ routes: Routes) {
        routes
            .post("/api/accounts/{id}/test", consumes: [], test)
            .post("/api/providers/{provider}/test", draft)
            .get("/api/accounts/{id}/models", models)
            .post("/api/accounts/{id}/models/refresh", consumes: [], refresh)
    }

    @Sendable func test(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try await Self.answering { try .json(await service.test(id)) }
    }

    @Sendable func draft(_ request: Request, _ context: RequestContext) async throws -> Response {
        let provider = try context.parameters.require("provider")
        let body = try JSON.value(from: request)
        return try await Self.answering { try .json(await service.testDraft(provider: provider, body)) }
    }

    @Sendable func models(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try await Self.answering { try .json(service.models(id)) }
    }

    @Sendable func refresh(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try await Self.answering { try .json(await service.refreshModels(id)) }
    }

    static func answering(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let failure as AccountService.Failure {
            throw AccountsController.problem(failure)
        } catch let failure as ProviderTestService.Failure {
            switch failure {
            case .needsConfirmation(let why):
                throw Problem(.conflict, type: "credential-needs-confirmation", title: "Confirm the credential for the new address first", detail: why)
            case .unsupported(let why):
                throw Problem(.unprocessableContent, type: "test-unsupported", title: "This provider cannot be tested", detail: why)
            case .directApiNotAllowed(let why):
                throw Problem(.conflict, type: "direct-api-not-allowed", title: "Direct API calls are not allowed with this sign-in", detail: why)
            }
        }
    }

    package init(service: ProviderTestService) {
        self.service = service
    }
}
