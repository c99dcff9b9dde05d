import Accounts
import Auth
import Core
import Cryptography
import Foundation
import HTTPTypes
import Pairing
import Settings

/// OAuth clients, browser sign-in (start, callback, paste), device code, and the flows' status.
package struct OAuthController {
    let service: OAuthService
    /// A callback whose state cannot be used counts as a failed guess of the caller's address.
    let throttle: SignInThrottle
    /// `scheme://host` this server is reached at (the `--public-url`, else the request's own).
    let origin: @Sendable (Request) -> String

    package func register(_ routes: Routes) {
        routes
            .get("/api/oauth/clients", clients)
            .put("/api/oauth/clients/{provider}", putClient)
            .delete("/api/oauth/clients/{provider}", deleteClient)
            .post("/api/oauth/{provider}/start", start)
            .get("/api/oauth/{provider}/callback", access: .guarded, callback)
            .post("/api/oauth/{provider}/paste", paste)
            .post("/api/oauth/{provider}/device", device)
            .get("/api/oauth/flows/{id}", flow)
            .post("/api/oauth/flows/{id}/poll", consumes: [], poll)
    }

    struct ClientView: Encodable {
        let provider: String
        let source: String
        let authorizeUrl: String
        let tokenUrl: String
        @EncodedAsNull var deviceAuthorizationUrl: String?
        let clientId: String
        let hasClientSecret: Bool
        let scopes: [String]
        let redirectMode: String
        let redirectUri: String
        @EncodedAsNull var issuer: String?
        let providerCliClient: Bool

        init(_ c: OAuthClient, origin: String) {
            provider = c.provider; source = c.isDefault ? "default" : "operator"; authorizeUrl = c.authorizeURL; tokenUrl = c.tokenURL
            deviceAuthorizationUrl = c.deviceAuthorizationURL; clientId = c.clientID; hasClientSecret = c.secretFile != nil
            scopes = c.scopes; redirectMode = c.redirectMode.rawValue; redirectUri = c.redirectURI(origin: origin); issuer = c.issuer
            providerCliClient = c.kind == .providerCLI
        }
    }

    struct ClientList: Encodable { let clients: [ClientView] }

    @Sendable func clients(_ request: Request, _ context: RequestContext) async throws -> Response {
        let origin = origin(request)
        return try .json(ClientList(clients: try service.clients.all().map { ClientView($0, origin: origin) }))
    }

    @Sendable func putClient(_ request: Request, _ context: RequestContext) async throws -> Response {
        let provider = try providerID(context)
        let body = try JSON.value(from: request)
        return try .json(ClientView(try service.clients.put(provider, body, by: caller(context)), origin: origin(request)))
    }

    @Sendable func deleteClient(_ request: Request, _ context: RequestContext) async throws -> Response {
        let provider = try providerID(context)
        try service.clients.delete(provider, by: caller(context))
        return .noContent()
    }

    @Sendable func start(_ request: Request, _ context: RequestContext) async throws -> Response {
        let provider = try context.parameters.require("provider")
        let body = request.bodyBytes.isEmpty ? JSONValue.object([:]) : try JSON.value(from: request)
        let principal = try context.requirePrincipal()
        let (started, binding) = try service.start(provider, body, principal: principal, origin: origin(request),
                                                   binding: request.cookie(named: OAuthService.bindingCookie))
        var headers = HTTPFields()
        if let binding {
            // Lax, not Strict: it must come back on the provider's cross-site redirect to the callback.
            headers[.setCookie] = "\(OAuthService.bindingCookie)=\(binding); Path=/api/oauth/; Max-Age=\(Int(OAuthService.lifetime)); HttpOnly; SameSite=Lax"
                + (request.scheme == "https" ? "; Secure" : "")
        }
        return try .json(started, status: .created, headers: headers)
    }

    /// The provider sends the browser here. Every answer is a 303 to a clean settings URL (the code and state
    /// stay out of history and Referer) or, when the state cannot be used, a 400 that sends no token request.
    @Sendable func callback(_ request: Request, _ context: RequestContext) async throws -> Response {
        let provider = try context.parameters.require("provider")
        let outcome = await service.callback(provider, query: request.queryItems, binding: request.cookie(named: OAuthService.bindingCookie))
        var headers: HTTPFields = [HTTPField.Name("Referrer-Policy")!: "no-referrer", .cacheControl: "no-store"]
        switch outcome {
        case .redirect(let location):
            headers[.location] = location
            return Response(status: .seeOther, headers: headers)
        case .refused(let category, let detail):
            throttle.recordFailure(for: request.clientAddress)
            let restart = OAuthService.settingsURL([("error", category)])
            if (request.headers[.accept] ?? "").contains("text/html") {
                // A person's browser: a short page in words, with the way back. No script (the CSP forbids it).
                headers[.contentType] = "text/html; charset=utf-8"
                let page = """
                    <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in not finished</title><link rel="icon" href="/favicon.svg"></head>
                    <body><h1>The sign-in was not finished</h1><p>\(Self.escape(detail))</p>
                    <p><a href="\(restart)">Back to the settings page</a> to start again.</p></body></html>
                    """
                return Response(status: .badRequest, headers: headers, body: Array(page.utf8))
            }
            throw Problem(.badRequest, type: "oauth-state", title: "The sign-in answer cannot be used", detail: detail,
                          headers: headers, members: ["category": .string(category)])
        }
    }

    @Sendable func paste(_ request: Request, _ context: RequestContext) async throws -> Response {
        let provider = try context.parameters.require("provider")
        let body = try JSON.value(from: request)
        let principal = try context.requirePrincipal()
        return try .json(await service.paste(provider, body, principal: principal))
    }

    @Sendable func device(_ request: Request, _ context: RequestContext) async throws -> Response {
        let provider = try context.parameters.require("provider")
        let body = request.bodyBytes.isEmpty ? JSONValue.object([:]) : try JSON.value(from: request)
        let principal = try context.requirePrincipal()
        return try .json(await service.startDevice(provider, body, principal: principal), status: .created)
    }

    @Sendable func flow(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let principal = try context.requirePrincipal()
        return try .json(service.flow(id, principal: principal))
    }

    @Sendable func poll(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let principal = try context.requirePrincipal()
        return try .json(await service.poll(id, principal: principal))
    }

    func providerID(_ context: RequestContext) throws -> String {
        let provider = try context.parameters.require("provider")
        guard SettingsValidator.isProviderID(provider) else {
            throw Problem(.badRequest, type: "invalid-provider", title: "Invalid provider id", detail: "A provider id is lower-case letters, digits and -.")
        }
        return provider
    }

    func caller(_ context: RequestContext) throws -> AccountService.Caller {
        .init(actor: try context.requirePrincipal().actor, requestID: context.requestID)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }


    package init(service: OAuthService, throttle: SignInThrottle, origin: @escaping @Sendable (Request) -> String) {
        self.service = service
        self.throttle = throttle
        self.origin = origin
    }
}

/// Pairing codes: created and watched by the page; checked and completed by `switchboard auth pair` with
/// nothing but the code.
package struct PairingController {
    let service: PairingService
    let origin: @Sendable (Request) -> String

    package func register(_ routes: Routes) {
        routes
            .post("/api/pairing", create)
            .get("/api/pairing/{id}", get)
            .post("/api/pairing/{id}/refresh", consumes: [], refresh)
            .post("/api/pairing/check", access: .guarded, check)
            .post("/api/pairing/complete", access: .guarded, complete)
    }

    @Sendable func create(_ request: Request, _ context: RequestContext) async throws -> Response {
        let body = try JSON.value(from: request)
        let principal = try context.requirePrincipal()
        return try .json(service.create(body, principal: principal, origin: origin(request)), status: .created)
    }

    @Sendable func get(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try .json(service.get(id, origin: origin(request)))
    }

    @Sendable func refresh(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let principal = try context.requirePrincipal()
        return try .json(service.refresh(id, principal: principal, origin: origin(request)))
    }

    @Sendable func check(_ request: Request, _ context: RequestContext) async throws -> Response {
        let body = try JSON.value(from: request)
        return try .json(service.check(body, client: request.clientAddress))
    }

    @Sendable func complete(_ request: Request, _ context: RequestContext) async throws -> Response {
        let body = try JSON.value(from: request)
        return try .json(try await service.complete(body, client: request.clientAddress))
    }


    package init(service: PairingService, origin: @escaping @Sendable (Request) -> String) {
        self.service = service
        self.origin = origin
    }
}
