import API
import Accounts
import Auth
import Catalog
import Core
import Dispatcher
import Foundation
import HTTPTypes
import LocalTools
import Logging
import Outbound
import Pairing
import Routing
import Settings
import Storage
import Telemetry
import Vault

/// The whole application behind one call: `respond(to:)`. Transport-free; tests drive it in-process.
///
/// Order of work for every request: body problems reported by the transport (413/400), routing (404/405),
/// authentication (401/429), the CSRF rule (403), the content type of a body (415), the handler. Every request
/// ends in exactly one log line carrying its id, and every response carries `X-Request-Id`.
public struct Application: Sendable {
    public let database: AppDatabase
    public let router: Router
    public let config: ConfigService
    public let catalog: CatalogStore
    public let accounts: AccountService
    public let providerTests: ProviderTestService
    public let oauth: OAuthService
    /// Renews OAuth tokens before they expire; `serve` starts and stops it.
    public let renewer: TokenRenewer
    public let pairing: PairingService
    /// Routing for agent runtimes; `serve` starts and stops its background refresh.
    public let routing: RouteService
    /// Provider CLIs; `serve` starts and stops their periodic scan.
    public let tools: LocalToolService
    /// Requests, provider tests and (from routing) decisions, for `GET /api/metrics`.
    public let telemetry: Telemetry
    let authenticator: Authenticator
    /// Failed guesses of secrets per client address: wrong admin tokens, pairing codes and OAuth states.
    let throttle: SignInThrottle
    let logger: Logger
    /// Where the one line per request goes, formatted directly (no metadata dictionary) when `logger`'s
    /// level lets info lines through.
    let requestLog: LogSink

    public init(database: AppDatabase, logger: Logger, throttle: SignInThrottle = SignInThrottle(),
                catalog: CatalogStore = CatalogStore(), vault: Vault, outbound: OutboundClient = OutboundClient(),
                requestLog: LogSink = .standardErrorUnbuffered, publicURL: String? = nil,
                renewal: TokenRenewer.Schedule = TokenRenewer.Schedule(), routeRefresh: Duration = .milliseconds(250),
                cooldowns: CooldownRules = CooldownRules(), clock: @escaping @Sendable () -> Date = { Date() },
                telemetry: Telemetry = Telemetry(), tools: LocalToolService.Options = LocalToolService.Options()) {
        self.database = database
        self.telemetry = telemetry
        self.logger = logger
        self.requestLog = requestLog
        self.throttle = throttle
        self.authenticator = Authenticator(database: database, throttle: throttle)
        self.catalog = catalog
        self.config = ConfigService(database: database, directory: catalog)
        self.accounts = AccountService(database: database, vault: vault, catalog: catalog, config: config,
                                       urlPolicy: outbound.policy)
        let oauth = OAuthService(accounts: accounts, clients: OAuthClients(database: database, vault: vault, urlPolicy: outbound.policy, catalog: catalog),
                                 http: outbound)
        self.oauth = oauth
        self.providerTests = ProviderTestService(accounts: accounts, client: outbound, oauth: oauth, telemetry: telemetry)
        self.renewer = TokenRenewer(accounts: accounts, oauth: oauth, schedule: renewal, logger: logger)
        self.pairing = PairingService(accounts: accounts, oauth: oauth, tests: providerTests, throttle: throttle)
        let tools = LocalToolService(database: database, stateDirectory: database.directory, options: tools, clock: clock)
        self.tools = tools
        self.routing = RouteService(database: database, accounts: accounts, config: config, catalog: catalog,
                                    handouts: CredentialHandouts(accounts: accounts, oauth: oauth, client: outbound), oauth: oauth,
                                    rules: cooldowns, refreshInterval: routeRefresh,
                                    observer: RouteObserver(decision: { telemetry.decision(result: $0) },
                                                            outcome: { telemetry.outcome($0) },
                                                            accounts: { telemetry.accounts(cooling: $0, disabled: $1) }),
                                    tools: tools, clock: clock)
        // Where browsers and paired machines reach this server: the operator's --public-url, else the address
        // the request came to (nginx passes the Host it was asked for).
        let fixedOrigin = publicURL.flatMap(AccountRules.origin)
        let origin: @Sendable (Request) -> String = { request in
            fixedOrigin ?? "\(request.scheme)://\(request.headers[.host] ?? "localhost")"
        }

        let routes = Routes()
        HealthController().register(routes)
        SessionController(database: database, authenticator: authenticator).register(routes)
        ConfigController(service: config).register(routes)
        CatalogController(store: catalog).register(routes)
        AccountsController(service: accounts).register(routes)
        AuditController(database: database).register(routes)
        ProvidersController(service: providerTests).register(routes)
        OAuthController(service: oauth, throttle: throttle, origin: origin).register(routes)
        PairingController(service: pairing, origin: origin).register(routes)
        RouteController(service: routing).register(routes)
        TokensController(tokens: AdminTokens(database: database), database: database).register(routes)
        MetricsController(telemetry: telemetry).register(routes)
        CLIController(service: tools).register(routes)
        self.router = Router(routes)
    }

    /// The answer to a request that must be refused whatever its body says, decided from its head alone so
    /// the transport can answer without reading (let alone parsing) the body; nil to go on as usual.
    ///
    /// Today that is an address throttled for failed guesses: on a guarded route (sign-in, pairing codes,
    /// OAuth callbacks) it is refused, and on an admin route it is refused unless it carries valid
    /// credentials (a valid token is never throttled). Costs one atomic load while no address is throttled.
    /// False while no address is throttled (one atomic load): `refusal(beforeBody:)` would answer nil.
    public var mayRefuseBeforeBody: Bool { throttle.isTracking }

    public func refusal(beforeBody request: Request) -> Response? {
        guard throttle.isTracking, let retry = throttle.retryAfter(for: request.clientAddress) else { return nil }
        guard case .found(let route, _) = router.match(request.method, request.path) else { return nil }
        switch route.access {
        case .open:
            return nil
        case .guarded:
            break
        case .admin, .runtime:
            if authenticator.hasValidCredentials(request) { return nil }
        }
        var response = Authenticator.throttled(retryAfter: retry).response
        response.headers[.requestID] = request.id
        telemetry.request(route: route.path, method: request.method.rawValue, status: response.status.code)
        return response
    }

    public func respond(to request: Request) async -> Response {
        let started = ContinuousClock.now
        let match = router.match(request.method, request.path)
        var principal: Principal?
        var response: Response
        do {
            response = try await dispatch(request, match, principal: &principal)
        } catch {
            response = answer(to: error, request: request)
        }
        response.headers[.requestID] = request.id
        if request.method == .head { response.body = [] }
        let labels = Self.metricLabels(match, request.method)
        telemetry.request(route: labels.route, method: labels.method, status: response.status.code)

        if logger.logLevel <= .info {
            let fields = Self.requestFields(request, response, principal, started.duration(to: .now))
            requestLog.append(JSONLogHandler.line(level: .info, message: "request", source: "SwitchboardKit", fields: fields),
                              urgent: false)
        }
        return response
    }

    /// The one place a thrown error becomes a response: a `ProblemConvertible` error is its problem; anything
    /// else (a failure of the server itself) is a 500 whose body says nothing internal, the detail in the log.
    func answer(to error: any Error, request: Request) -> Response {
        if let problem = (error as? any ProblemConvertible)?.problem { return problem.response }
        logger.error("request failed", metadata: ["request_id": "\(request.id)", "error": "\(error)"])
        return Problem.internalError.response
    }

    /// A request's labels in the metrics: its route's template, never its path, and a method from a fixed set,
    /// so no request can add a series of its own making (a path or method no route serves is `unmatched`).
    static func metricLabels(_ match: Router.Match, _ method: HTTPRequest.Method) -> (route: String, method: String) {
        if case .found(let route, _) = match { return (route.path, method.rawValue) }
        switch method {
        case .get, .head, .post, .put, .patch, .delete, .options: return (Telemetry.unmatchedRoute, method.rawValue)
        default: return (Telemetry.unmatchedRoute, "other")
        }
    }

    /// The request line's fields, in key order. Never the query string, a header or a body.
    static func requestFields(_ request: Request, _ response: Response, _ principal: Principal?,
                              _ elapsed: Duration) -> [(String, String)] {
        var fields: [(String, String)] = []
        fields.reserveCapacity(7)
        if let principal { fields.append(("actor", principal.actor)) }
        fields.append(("client", request.clientAddress))
        fields.append(("duration_ms", milliseconds(elapsed)))
        fields.append(("method", request.method.rawValue))
        fields.append(("path", request.path))
        fields.append(("request_id", request.id))
        fields.append(("status", String(response.status.code)))
        return fields
    }

    /// Milliseconds with three decimals ("1.234"), by integer arithmetic: `String(format:)` was 3.6 % of a
    /// request's CPU time.
    static func milliseconds(_ d: Duration) -> String {
        let micros = max(0, d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000)
        let fraction = String(micros % 1000)
        return "\(micros / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// `match` is the router's answer for the request, looked up once by `respond(to:)` (which labels the
    /// request's metrics with it) but acted on only after the body's own problems, in the documented order.
    private func dispatch(_ request: Request, _ match: Router.Match, principal: inout Principal?) async throws -> Response {
        switch request.body {
        case .tooLarge(let limit):
            throw Problem(.contentTooLarge, type: "body-too-large", title: "Request body too large",
                          detail: "The body may be at most \(limit) bytes.")
        case .truncated:
            throw Problem(.badRequest, type: "body-truncated", title: "Request body incomplete",
                          detail: "The body ended before Content-Length bytes arrived.")
        case .invalidLength:
            throw Problem(.badRequest, type: "invalid-content-length", title: "Invalid Content-Length")
        case .bytes:
            break
        }

        let route: Route
        let parameters: Parameters
        switch match {
        case .notFound:
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "No resource at \(request.path).")
        case .methodNotAllowed(let allow):
            throw Problem(.methodNotAllowed, type: "method-not-allowed", title: "Method not allowed",
                          detail: "\(request.path) accepts \(allow.map(\.rawValue).joined(separator: ", ")).",
                          headers: [.allow: allow.map(\.rawValue).joined(separator: ", ")])
        case .found(let r, let p):
            route = r
            parameters = p
        }

        if route.access == .guarded {
            try authenticator.refuseIfThrottled(request.clientAddress)
        }
        if route.access == .admin || route.access == .runtime {
            let caller = try await authenticator.authenticate(request)
            principal = caller
            if caller.method == .session && ![.get, .head, .options].contains(request.method) {
                try Authenticator.checkCSRF(request)
            }
            try Authenticator.checkScope(caller, for: route.access)
        }

        // Only a body has a type to check: without one, a route whose body may be left out goes on, and one
        // that needs it says so (400 body-required) instead of blaming a Content-Type nobody had to send.
        if !route.consumes.isEmpty && [.post, .put, .patch].contains(request.method) && !request.bodyBytes.isEmpty {
            guard let type = request.mediaType, route.consumes.contains(type) else {
                let accepted = route.consumes.joined(separator: ", ")
                var headers = HTTPFields()
                if request.method == .patch { headers[HTTPField.Name("Accept-Patch")!] = accepted }
                if request.method == .post { headers[HTTPField.Name("Accept-Post")!] = accepted }
                throw Problem(.unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported content type",
                              detail: "Send the body as \(accepted).", headers: headers)
            }
        }

        let response = try await route.handler(request, RequestContext(requestID: request.id, parameters: parameters, principal: principal))
        // An admin's change of accounts or settings is seen by this process's next routing decision.
        if route.access == .admin && request.method != .get && request.method != .head && response.status.code < 400 {
            routing.markStale()
        }
        return response
    }
}
