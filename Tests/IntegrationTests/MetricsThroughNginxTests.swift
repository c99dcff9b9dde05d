import Foundation
import Testing
import TestSupport

/// The value of the sample line that starts with `series` (name and labels, as the responder writes them).
func sampleValue(_ text: String, _ series: String) -> Double? {
    text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
}

// MARK: Tests

/// `GET /api/metrics` as Prometheus scrapes it: through nginx, with a bearer token from its credentials file.
@Suite(.ownThread) struct MetricsThroughNginxTests {
    @Test func prometheusScrapesRequestsByRouteTemplateAndStatus() throws {
        // Given a responder behind nginx (the harness asked for its health while waiting for it to start) that
        // answered a few requests
        let stack = try Stack()
        let auth = [("Authorization", "Bearer \(stack.token)")]
        let health = #"switchboard_http_requests_total{route="/api/health",method="GET",status="200"}"#
        let before = try #require(sampleValue(try stack.http.send("GET", "/api/metrics", headers: auth).body, health))
        for _ in 0..<3 { #expect(try stack.http.send("GET", "/api/health").status == 200) }
        #expect(try stack.http.send("GET", "/api/accounts/openai:nope", headers: auth).status == 404)
        #expect(try stack.http.send("GET", "/api/does-not-exist/9f3a").status == 404)

        // When Prometheus scrapes with its token
        let scrape = try stack.http.send("GET", "/api/metrics", headers: auth)

        // Then it gets the text exposition format, every request under its route's template
        #expect(scrape.status == 200)
        #expect(scrape.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(scrape.header("Cache-Control") == "no-store")
        let lines = Set(scrape.body.split(separator: "\n").map(String.init))
        #expect(lines.contains("# TYPE switchboard_http_requests_total counter"))
        #expect(sampleValue(scrape.body, health) == before + 3, "\(scrape.body)")
        #expect(lines.contains(#"switchboard_http_requests_total{route="/api/metrics",method="GET",status="200"} 1"#))
        #expect(lines.contains(#"switchboard_http_requests_total{route="/api/accounts/{id}",method="GET",status="404"} 1"#))
        #expect(lines.contains(#"switchboard_http_requests_total{route="unmatched",method="GET",status="404"} 1"#))
        #expect(lines.contains("switchboard_accounts_cooling 0.0"))
        #expect(!scrape.body.contains("openai:nope") && !scrape.body.contains("9f3a"))
    }

    @Test func withoutATokenTheMetricsAre401ProblemJSON() throws {
        let stack = try Stack()
        let reply = try stack.http.send("GET", "/api/metrics")
        #expect(reply.status == 401)
        #expect(reply.header("Content-Type") == "application/problem+json")
        #expect(reply.json["type"] as? String == "urn:switchboard:problem:unauthorized")
        #expect(!reply.body.contains("switchboard_http_requests_total"))
    }
}
