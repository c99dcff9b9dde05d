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
        return try .json(await service.test(id))
    }

    @Sendable func draft(_ request: Request, _ context: RequestContext) async throws -> Response {
        let provider = try context.parameters.require("provider")
        let body = try JSON.value(from: request)
        return try .json(await service.testDraft(provider: provider, body))
    }

    @Sendable func models(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try .json(service.models(id))
    }

    @Sendable func refresh(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try .json(await service.refreshModels(id))
    }


    package init(service: ProviderTestService) {
        self.service = service
    }
}
