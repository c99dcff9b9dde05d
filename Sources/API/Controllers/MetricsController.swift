import Telemetry

/// `GET /api/metrics`: the application's metrics in the Prometheus text format, for an admin (Prometheus
/// scrapes with a bearer token from its `credentials_file`).
package struct MetricsController {
    let telemetry: Telemetry

    package func register(_ routes: Routes) {
        routes.get("/api/metrics", metrics)
    }

    @Sendable func metrics(_ request: Request, _ context: RequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: Telemetry.contentType], body: telemetry.render())
    }

    package init(telemetry: Telemetry) {
        self.telemetry = telemetry
    }
}
