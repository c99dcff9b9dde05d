import Auth
import Core
import Dispatcher
import Foundation
import HTTPTypes

/// The routing endpoints agent runtimes call (runtime or admin tokens): a decision before each model call,
/// its outcome after it, and the status an operator reads.
package struct RouteController {
    let service: RouteService

    package init(service: RouteService) { self.service = service }

    package func register(_ routes: Routes) {
        routes
            .post("/api/route", access: .runtime, consumes: ["application/json"], route)
            .post("/api/route/outcome", access: .runtime, consumes: ["application/json"], outcome)
            .get("/api/route/status", access: .runtime, status)
    }

    static func caller(_ context: RequestContext) throws -> RouteService.Caller {
        let p = try context.requirePrincipal()
        return RouteService.Caller(tokenID: p.tokenID, actor: p.actor, isAdmin: p.scopes.isAdmin,
                                   receivesCredentials: p.scopes.receivesCredentials, requestID: context.requestID)
    }

    @Sendable func route(_ request: Request, _ context: RequestContext) async throws -> Response {
        let body = try JSON.value(from: request)
        let answer = try await service.route(body, by: Self.caller(context))
        // A credential in the body: never cached by anything between.
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: answer.jsonBytes)
    }

    @Sendable func outcome(_ request: Request, _ context: RequestContext) async throws -> Response {
        let body = try JSON.value(from: request)
        return try .json(await service.outcome(body, by: Self.caller(context)))
    }

    @Sendable func status(_ request: Request, _ context: RequestContext) async throws -> Response {
        let model = request.queryItems["model"].flatMap { $0.isEmpty ? nil : String($0.prefix(256)) }
        return try .json(service.status(model: model))
    }
}
