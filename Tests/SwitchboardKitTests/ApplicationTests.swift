@testable import API
@testable import Accounts
@testable import App
@testable import Auth
@testable import Catalog
@testable import Cryptography
import Foundation
import HTTPTypes
@testable import Pairing
@testable import Settings
@testable import Storage
import Testing

/// The application driven in-process: no socket, no nginx.
@Suite struct ApplicationTests {
    @Test func healthIsPublicAndSaysNothingSensitive() async throws {
        let t = try TestApp()
        let response = await t.send(.get, "/api/health")
        #expect(response.status == .ok)
        #expect(response.json as NSDictionary == ["status": "ok"])
    }

    /// A domain error thrown anywhere under a handler is answered by its problem, with no wrapper to forget.
    @Test func domainErrorsBecomeTheirProblemInOnePlace() async throws {
        let t = try TestApp()
        let request = Request(method: .get, path: "/api/anything")
        let cases: [(any Error, HTTPResponse.Status, String)] = [
            (AccountService.Failure.exists("openai:work"), .conflict, "account-exists"),
            (AccountService.Failure.stale(current: 7), .preconditionFailed, "stale-account"),
            (StaleRevision(current: 3), .preconditionFailed, "stale-revision"),
            (Settings.Failure.invalid([]), .unprocessableContent, "invalid-settings"),
            (ConfigService.UnknownRevision(revision: 9), .unprocessableContent, "invalid-settings"),
            (CatalogStore.CustomFailure.notFound, .notFound, "not-found"),
            (ProviderTestService.Failure.unsupported("no"), .unprocessableContent, "test-unsupported"),
            (OAuthService.Failure.flowNotFound, .notFound, "not-found"),
            (OAuthClients.Failure.invalid([]), .unprocessableContent, "validation"),
            (PairingService.Failure.wrongCode(expired: true), .gone, "pairing-code-expired"),
            (PairingService.Failure.throttled(30), .tooManyRequests, "too-many-attempts"),
        ]
        for (error, status, slug) in cases {
            let response = t.app.answer(to: error, request: request)
            #expect(response.status == status, "\(error)")
            #expect(response.problemSlug == slug, "\(error)")
            #expect(response.headers[.contentType] == "application/problem+json")
        }
        #expect(t.app.answer(to: AccountService.Failure.stale(current: 7), request: request).headers[.eTag] == "\"7\"")
    }

    /// A failure of the server itself (an error no problem describes, or a store that cannot write) is a 500
    /// whose body names nothing internal.
    @Test func anUnmappedErrorIsAGeneric500() async throws {
        let t = try TestApp()
        let request = Request(method: .get, path: "/api/anything")
        for error: any Error in [TestFailure("disk /var/secret-path exploded"),
                                 CatalogStore.CustomFailure.cannotWrite("/var/secret-path: EACCES")] {
            let response = t.app.answer(to: error, request: request)
            #expect(response.status == .internalServerError)
            #expect(response.problemSlug == "internal")
            #expect(!response.text.contains("secret-path"))
        }
    }

    @Test func adminRouteWithoutCredentialsIs401Problem() async throws {
        let t = try TestApp()
        let response = await t.send(.get, "/api/session")
        #expect(response.status == .unauthorized)
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(response.problemSlug == "unauthorized")
        #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
    }

    @Test func validBearerTokenIsAccepted() async throws {
        let t = try TestApp()
        let response = await t.bearer(.get, "/api/session")
        #expect(response.status == .ok)
        #expect(response.json["tokenId"] as? String == t.tokenID)
        #expect(response.json["method"] as? String == "bearer")
    }

    @Test func wrongOrRevokedBearerTokenIs401() async throws {
        let t = try TestApp()
        #expect(await t.send(.get, "/api/session", headers: [.authorization: "Bearer sbk_wrong"]).status == .unauthorized)
        #expect(await t.send(.get, "/api/session", headers: [.authorization: "Basic abc"]).status == .unauthorized)
        _ = try AdminTokens(database: t.database).revoke(id: t.tokenID)
        #expect(await t.bearer(.get, "/api/session").status == .unauthorized)
    }

    @Test func signInSetsAHardenedSessionCookie() async throws {
        let t = try TestApp()
        let response = await t.send(.post, "/api/session", headers: [.contentType: "application/json"],
                                    body: #"{"token":"\#(t.token)"}"#)
        #expect(response.status == .created)
        let cookie = try #require(response.headers[.setCookie])
        #expect(cookie.hasPrefix("sb_session=sbs_"))
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] { #expect(cookie.contains(attribute)) }
        #expect(!cookie.contains("Secure"), "plain http must not set Secure, or the browser drops the cookie")
        #expect(!response.text.contains(t.token))
    }

    @Test func signInOverHTTPSMarksTheCookieSecure() async throws {
        let t = try TestApp()
        var request = Request(method: .post, path: "/api/session", headers: [.contentType: "application/json"],
                              body: Array(#"{"token":"\#(t.token)"}"#.utf8))
        request.scheme = "https"
        let response = await t.app.respond(to: request)
        #expect(response.headers[.setCookie]?.contains("; Secure") == true)
    }

    @Test func sessionCookieAuthenticatesGets() async throws {
        let t = try TestApp()
        let cookie = try await t.signIn()
        let response = await t.send(.get, "/api/session", headers: [.cookie: cookie])
        #expect(response.status == .ok)
        #expect(response.json["method"] as? String == "session")
    }

    @Test func cookieWriteWithoutCSRFHeaderIs403() async throws {
        let t = try TestApp()
        let cookie = try await t.signIn()
        let response = await t.send(.delete, "/api/session", headers: [.cookie: cookie, .origin: "http://sb.test", .host: "sb.test"])
        #expect(response.status == .forbidden)
        #expect(response.problemSlug == "csrf")
    }

    @Test func cookieWriteFromAnotherOriginIs403() async throws {
        let t = try TestApp()
        let cookie = try await t.signIn()
        let cases: [HTTPFields] = [
            [.cookie: cookie, .csrf: "1", .origin: "http://evil.test", .host: "sb.test"],
            [.cookie: cookie, .csrf: "1", .secFetchSite: "cross-site", .host: "sb.test"],
            [.cookie: cookie, .csrf: "1", .origin: "http://sb.test", .secFetchSite: "same-site", .host: "sb.test"],
            // Neither Origin nor Sec-Fetch-Site: no evidence of where it came from.
            [.cookie: cookie, .csrf: "1", .host: "sb.test"],
        ]
        for headers in cases {
            #expect(await t.send(.delete, "/api/session", headers: headers).status == .forbidden, "\(headers)")
        }
    }

    @Test func cookieWriteFromThisOriginWithCSRFHeaderSucceeds() async throws {
        let t = try TestApp()
        let cookie = try await t.signIn()
        let byOrigin = await t.send(.delete, "/api/session", headers: [.cookie: cookie, .csrf: "1", .origin: "http://sb.test", .host: "sb.test"])
        #expect(byOrigin.status == .noContent)
        #expect(byOrigin.headers[.setCookie]?.contains("Max-Age=0") == true)
        // The session is gone afterwards.
        #expect(await t.send(.get, "/api/session", headers: [.cookie: cookie]).status == .unauthorized)

        let second = try await t.signIn()
        let byFetchSite = await t.send(.delete, "/api/session", headers: [.cookie: second, .csrf: "1", .secFetchSite: "same-origin"])
        #expect(byFetchSite.status == .noContent)
    }

    @Test func bearerWritesNeedNoCSRFHeader() async throws {
        let t = try TestApp()
        #expect(await t.bearer(.delete, "/api/session").status == .noContent)
    }

    @Test func signInFromAnotherOriginIsRefused() async throws {
        let t = try TestApp()
        let response = await t.send(.post, "/api/session", headers: [.contentType: "application/json", .origin: "http://evil.test", .host: "sb.test"],
                                    body: #"{"token":"\#(t.token)"}"#)
        #expect(response.status == .forbidden)
    }

    @Test func revokingATokenEndsItsSessions() async throws {
        let t = try TestApp()
        let cookie = try await t.signIn()
        _ = try AdminTokens(database: t.database).revoke(id: t.tokenID)
        #expect(await t.send(.get, "/api/session", headers: [.cookie: cookie]).status == .unauthorized)
    }

    @Test func expiredSessionIsRejected() async throws {
        let t = try TestApp()
        let past = Date().addingTimeInterval(-3600)
        try await t.database.insertSession(AdminSession(hash: Digest.sha256Hex("sbs_old"), id: "ses_old", tokenID: t.tokenID,
                                                        createdAt: past.addingTimeInterval(-60), expiresAt: past), client: "127.0.0.1")
        #expect(await t.send(.get, "/api/session", headers: [.cookie: "sb_session=sbs_old"]).status == .unauthorized)
    }

    @Test func repeatedFailedSignInsAreThrottledPerAddress() async throws {
        let t = try TestApp(throttle: SignInThrottle(limit: 3, window: 60))
        for _ in 0..<3 {
            let r = await t.send(.post, "/api/session", headers: [.contentType: "application/json"], body: #"{"token":"sbk_nope"}"#, client: "10.0.0.9")
            #expect(r.status == .unauthorized)
        }
        let blocked = await t.send(.post, "/api/session", headers: [.contentType: "application/json"],
                                   body: #"{"token":"\#(t.token)"}"#, client: "10.0.0.9")
        #expect(blocked.status == .tooManyRequests)
        #expect(Int(blocked.headers[.retryAfter] ?? "") ?? 0 > 0)
        // Bearer guesses from that address are refused too; another address is unaffected.
        #expect(await t.send(.get, "/api/session", headers: [.authorization: "Bearer sbk_x"], client: "10.0.0.9").status == .tooManyRequests)
        let other = await t.send(.post, "/api/session", headers: [.contentType: "application/json"],
                                 body: #"{"token":"\#(t.token)"}"#, client: "10.0.0.10")
        #expect(other.status == .created)
    }

    @Test func wrongContentTypeIs415() async throws {
        let t = try TestApp()
        let response = await t.send(.post, "/api/session", headers: [.contentType: "text/plain"], body: "token")
        #expect(response.status == .unsupportedMediaType)
        #expect(response.headers[HTTPField.Name("Accept-Post")!] == "application/json")
        #expect(await t.send(.post, "/api/session", body: "{}").status == .unsupportedMediaType)
    }

    @Test func aPostWithoutABodyNeedsNoContentType() async throws {
        // Given a route whose body may be left out, and one that needs a body
        let t = try TestApp()
        // When each is posted to with no body and no Content-Type
        let start = await t.bearer(.post, "/api/oauth/openai/start")
        let pairing = await t.bearer(.post, "/api/pairing")
        // Then the first starts, and the second says what is missing rather than that its type is wrong
        #expect(start.status == .created, "\(start.text)")
        #expect(pairing.status == .badRequest)
        #expect(pairing.problemSlug == "body-required")
    }

    @Test func malformedJSONIs400WithAPointerWhenTheShapeIsWrong() async throws {
        let t = try TestApp()
        let broken = await t.send(.post, "/api/session", headers: [.contentType: "application/json"], body: "{nope")
        #expect(broken.status == .badRequest)
        #expect(broken.problemSlug == "malformed-json")
        let wrongType = await t.send(.post, "/api/session", headers: [.contentType: "application/json"], body: #"{"token":5}"#)
        #expect(wrongType.status == .badRequest)
        let errors = wrongType.json["errors"] as? [[String: String]]
        #expect(errors?.first?["pointer"] == "/token")
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithAllow() async throws {
        let t = try TestApp()
        let missing = await t.send(.get, "/api/nope")
        #expect(missing.status == .notFound)
        #expect(missing.problemSlug == "not-found")
        let wrong = await t.send(.put, "/api/session")
        #expect(wrong.status == .methodNotAllowed)
        #expect(wrong.headers[.allow] == "POST, GET, DELETE, HEAD")
    }

    @Test func transportBodyProblemsBecome413And400() async throws {
        let t = try TestApp()
        var request = Request(method: .post, path: "/api/session", headers: [.contentType: "application/json"])
        request.body = .tooLarge(limit: 1024)
        let tooLarge = await t.app.respond(to: request)
        #expect(tooLarge.status == .contentTooLarge)
        #expect(tooLarge.problemSlug == "body-too-large")
        request.body = .truncated
        #expect(await t.app.respond(to: request).status == .badRequest)
        request.body = .invalidLength
        #expect(await t.app.respond(to: request).status == .badRequest)
    }

    @Test func everyResponseCarriesTheRequestID() async throws {
        let t = try TestApp()
        let request = Request(method: .get, path: "/api/nope", id: "rid-42")
        #expect(await t.app.respond(to: request).headers[.requestID] == "rid-42")
    }

    @Test func headAnswersWithoutABody() async throws {
        let t = try TestApp()
        let response = await t.send(.head, "/api/health")
        #expect(response.status == .ok)
        #expect(response.body.isEmpty)
    }
}
