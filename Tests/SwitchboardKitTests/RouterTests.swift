@testable import API
import HTTPTypes
import Testing

@Suite struct RouterTests {
    // Given a small route table
    let router: Router = {
        let routes = Routes()
        let ok: Handler = { _, _ in Response(status: .ok) }
        routes.get("/api/accounts", ok)
            .post("/api/accounts", ok)
            .get("/api/accounts/{id}", ok)
            .delete("/api/accounts/{id}", ok)
            .get("/api/pairing/{id}", ok)
            .post("/api/pairing/complete", ok)
        return Router(routes)
    }()

    @Test func matchesLiteralPath() {
        guard case .found(let route, _) = router.match(.post, "/api/accounts") else { Issue.record("no match"); return }
        #expect(route.path == "/api/accounts")
    }

    @Test func extractsPercentDecodedParameters() throws {
        guard case .found(_, let params) = router.match(.get, "/api/accounts/anthropic%3Awork") else { Issue.record("no match"); return }
        #expect(try params.require("id") == "anthropic:work")
    }

    @Test func unknownPathIsNotFound() {
        guard case .notFound = router.match(.get, "/api/nothing") else { Issue.record("expected notFound"); return }
    }

    @Test func wrongMethodListsAllowedMethods() {
        guard case .methodNotAllowed(let allow) = router.match(.put, "/api/accounts/x") else { Issue.record("expected 405"); return }
        #expect(Set(allow) == [.get, .delete, .head])
    }

    @Test func literalSegmentWinsOverParameter() {
        guard case .found(let route, _) = router.match(.post, "/api/pairing/complete") else { Issue.record("no match"); return }
        #expect(route.path == "/api/pairing/complete")
    }

    @Test func aLiteralPathWithAnotherMethodIsNotTakenForAParameter() {
        // /api/pairing/complete is a resource of its own (POST only), not the pairing with the id "complete".
        guard case .methodNotAllowed(let allow) = router.match(.get, "/api/pairing/complete") else {
            Issue.record("GET /api/pairing/complete was routed to /api/pairing/{id}"); return
        }
        #expect(allow == [.post])
    }

    @Test func headMatchesGetRoutes() {
        guard case .found(let route, _) = router.match(.head, "/api/accounts") else { Issue.record("no match"); return }
        #expect(route.method == .get)
    }

    @Test func emptySegmentsAndTrailingSlashesDoNotMatch() {
        for path in ["/api/accounts/", "/api//accounts", "api/accounts", "/api/accounts/%"] {
            guard case .notFound = router.match(.get, path) else { Issue.record("\(path) matched"); continue }
        }
    }
}
