@testable import API
@testable import App
@testable import Auth
import Foundation
import HTTPTypes
import Telemetry
import Testing

/// `GET /api/metrics` and the requests the application records, in-process.
@Suite struct MetricsAPITests {
    @Test func requestsAreShownByRouteTemplateAndStatus() async throws {
        // Given an application that answered a few requests
        let t = try TestApp()
        _ = await t.send(.get, "/api/health")
        _ = await t.send(.get, "/api/health")
        _ = await t.send(.head, "/api/health")
        _ = await t.bearer(.get, "/api/accounts/openai:nope")
        _ = await t.bearer(.get, "/api/accounts/anthropic:nope")
        _ = await t.send(.get, "/api/accounts")
        _ = await t.send(.get, "/api/no-such-thing/\(UUID().uuidString)")
        _ = await t.send(.put, "/api/health")
        _ = await t.send(HTTPRequest.Method("BREW")!, "/api/coffee")
        // When an admin scrapes the metrics
        let response = await t.bearer(.get, "/api/metrics")
        // Then they are Prometheus text, each request under its route's template, never its raw path
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
        let text = response.text
        let name = "switchboard_http_requests_total"
        #expect(value(text, name, ["route": "/api/health", "method": "GET", "status": "200"]) == 2)
        #expect(value(text, name, ["route": "/api/health", "method": "HEAD", "status": "200"]) == 1)
        #expect(value(text, name, ["route": "/api/accounts/{id}", "method": "GET", "status": "404"]) == 2)
        #expect(value(text, name, ["route": "/api/accounts", "method": "GET", "status": "401"]) == 1)
        // A path no route serves, or a method a path does not take, is one fixed label whatever it was
        #expect(value(text, name, ["route": "unmatched", "method": "GET", "status": "404"]) == 1)
        #expect(value(text, name, ["route": "unmatched", "method": "PUT", "status": "405"]) == 1)
        #expect(value(text, name, ["route": "unmatched", "method": "other", "status": "404"]) == 1)
        #expect(!text.contains("openai:nope") && !text.contains("no-such-thing") && !text.contains("BREW"))
        // The gauges exist before routing reports anything
        #expect(value(text, "switchboard_accounts_cooling") == 0)
    }

    @Test func aScrapeCountsInTheNextOne() async throws {
        let t = try TestApp()
        _ = await t.bearer(.get, "/api/metrics")
        let text = await t.bearer(.get, "/api/metrics").text
        #expect(value(text, "switchboard_http_requests_total", ["route": "/api/metrics", "method": "GET", "status": "200"]) == 1)
    }

    @Test func withoutCredentialsTheMetricsAre401Problem() async throws {
        let t = try TestApp()
        let response = await t.send(.get, "/api/metrics")
        #expect(response.status == .unauthorized)
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(response.problemSlug == "unauthorized")
        #expect(!response.text.contains("switchboard_"))
    }

    @Test func aBodyProblemIsCountedUnderTheRouteItWasSentTo() async throws {
        let t = try TestApp()
        var request = Request(method: .post, path: "/api/accounts")
        request.body = .tooLarge(limit: 10)
        let refused = await t.app.respond(to: request)
        #expect(refused.status == .contentTooLarge)
        let text = await t.bearer(.get, "/api/metrics").text
        #expect(value(text, "switchboard_http_requests_total", ["route": "/api/accounts", "method": "POST", "status": "413"]) == 1)
    }

    @Test func aRuntimeTokenCannotReadTheMetrics() async throws {
        let t = try TestApp()
        let runtime = try AdminTokens(database: t.database).create(name: "runtime", scopes: TokenScopes.make(["runtime"]).get()).secret
        let response = await t.send(.get, "/api/metrics", headers: [.authorization: "Bearer \(runtime)"])
        #expect(response.status == .forbidden)
        #expect(response.problemSlug == "insufficient-scope")
        #expect(!response.text.contains("switchboard_"))
    }

    /// A throttled address is refused by the transport from the request head, without `respond(to:)`.
    @Test func aRefusalFromTheRequestHeadIsCountedToo() async throws {
        // Given an address that failed ten sign-ins
        let t = try TestApp()
        let address = "10.7.7.7"
        for i in 0..<10 {
            _ = await t.send(.post, "/api/session", headers: [.contentType: "application/json"], body: #"{"token":"sbk_guess\#(i)"}"#, client: address)
        }
        // When its next attempt is refused before the body is read
        let refused = t.app.refusal(beforeBody: Request(method: .post, path: "/api/session", clientAddress: address))
        #expect(refused?.status == .tooManyRequests)
        // Then the metrics show the ten failures and the refusal under the route
        let text = await t.bearer(.get, "/api/metrics").text
        #expect(value(text, "switchboard_http_requests_total", ["route": "/api/session", "method": "POST", "status": "401"]) == 10)
        #expect(value(text, "switchboard_http_requests_total", ["route": "/api/session", "method": "POST", "status": "429"]) == 1)
    }

    @Test func theApplicationRecordsIntoTheTelemetryItWasGiven() async throws {
        let telemetry = Telemetry()
        let t = try TestApp(telemetry: telemetry)
        _ = await t.send(.get, "/api/health")
        #expect(value(telemetry.text, "switchboard_http_requests_total", ["route": "/api/health", "method": "GET", "status": "200"]) == 1)
    }
}
