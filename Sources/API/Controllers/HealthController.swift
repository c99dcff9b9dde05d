/// `GET /api/health`: public liveness. Says nothing that helps an attacker (no version, no counts, no paths).
package struct HealthController {
    private static let body = Array(#"{"status":"ok"}"#.utf8)

    package func register(_ routes: Routes) {
        routes.get("/api/health", access: .open, health)
    }

    @Sendable func health(_ request: Request, _ context: RequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: Self.body)
    }

    package init() {
    }
}
