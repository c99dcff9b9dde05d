import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The real `switchboard` binary behind real nginx (rendered from nginx.conf.example) on loopback.
@Suite(.ownThread) struct ThroughNginxTests {
    @Test func withoutCredentialsTheAPIAnswers401ProblemJSON() throws {
        let stack = try Stack()
        let reply = try stack.http.send("GET", "/api/session")
        #expect(reply.status == 401)
        #expect(reply.header("Content-Type") == "application/problem+json")
        #expect(reply.json["type"] as? String == "urn:switchboard:problem:unauthorized")
        #expect(reply.header("X-Request-Id")?.count == 32, "nginx's request id reaches the responder")
    }

    @Test func healthIsPublic() throws {
        let stack = try Stack()
        let reply = try stack.http.send("GET", "/api/health")
        #expect(reply.status == 200)
        #expect(reply.body == #"{"status":"ok"}"#)
    }

    @Test func bearerTokenSignsIn() throws {
        let stack = try Stack()
        let reply = try stack.http.send("GET", "/api/session", headers: [("Authorization", "Bearer \(stack.token)")])
        #expect(reply.status == 200)
        #expect(reply.json["method"] as? String == "bearer")
    }

    @Test func cookieSignInThenCSRFRuleForWrites() throws {
        let stack = try Stack()
        let origin = "http://127.0.0.1:\(stack.port)"
        let signIn = try stack.http.send("POST", "/api/session", headers: [("Content-Type", "application/json"), ("Origin", origin)],
                                         body: #"{"token":"\#(stack.token)"}"#)
        #expect(signIn.status == 201)
        let setCookie = try #require(signIn.header("Set-Cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
        let cookie = String(setCookie.split(separator: ";")[0])

        #expect(try stack.http.send("GET", "/api/session", headers: [("Cookie", cookie)]).status == 200)

        // Without the custom header: refused.
        let noHeader = try stack.http.send("DELETE", "/api/session", headers: [("Cookie", cookie), ("Origin", origin)])
        #expect(noHeader.status == 403)
        #expect(noHeader.json["type"] as? String == "urn:switchboard:problem:csrf")
        // With the header, from another site: refused.
        let crossSite = try stack.http.send("DELETE", "/api/session", headers: [("Cookie", cookie), ("X-Switchboard-CSRF", "1"),
                                                                               ("Origin", "http://evil.example")])
        #expect(crossSite.status == 403)
        // With the header, same origin: signed out, and the cookie no longer works.
        let ok = try stack.http.send("DELETE", "/api/session", headers: [("Cookie", cookie), ("X-Switchboard-CSRF", "1"), ("Origin", origin)])
        #expect(ok.status == 204)
        #expect(try stack.http.send("GET", "/api/session", headers: [("Cookie", cookie)]).status == 401)
    }

    @Test func oversizedBodyIs413ProblemFromNginx() throws {
        let stack = try Stack()
        let reply = try stack.http.send("POST", "/api/session", headers: [("Content-Type", "application/json")],
                                        body: String(repeating: "x", count: 2 << 20))
        #expect(reply.status == 413)
        #expect(reply.header("Content-Type") == "application/problem+json")
        #expect(reply.json["type"] as? String == "urn:switchboard:problem:body-too-large")
    }

    @Test func bodyOverTheRespondersOwnCapIs413FromTheResponder() throws {
        let stack = try Stack(serveArguments: ["--max-body-bytes", "100"])
        let reply = try stack.http.send("POST", "/api/session", headers: [("Content-Type", "application/json")],
                                        body: #"{"token":"\#(String(repeating: "x", count: 200))"}"#)
        #expect(reply.status == 413)
        #expect(reply.json["type"] as? String == "urn:switchboard:problem:body-too-large")
        #expect(reply.json["detail"] as? String == "The body may be at most 100 bytes.")
    }

    @Test func truncatedBodyIs400WithoutHanging() throws {
        let stack = try Stack()
        let started = Date()
        // Straight at the responder's socket: the FastCGI stdin stream ends before CONTENT_LENGTH bytes.
        let direct = try #require(try FastCGIClient(socketPath: stack.socketPath).send(
            params: FastCGIClient.params(method: "POST", uri: "/api/session", contentLength: 100, contentType: "application/json"),
            body: Array(repeating: UInt8(ascii: "x"), count: 100), stdin: .truncated(sendOnly: 10)))
        #expect(direct.status == 400)
        #expect(direct.body.contains("urn:switchboard:problem:body-truncated"))
        // Through nginx: a client that promises 100 bytes, sends 10 and hangs up is answered at once
        // (nginx logs 400 and closes; with the client gone there is nobody to send the status to), and the
        // short body never reaches the responder.
        let viaNginx = try? stack.http.send("POST", "/api/session", headers: [("Content-Type", "application/json")],
                                            body: String(repeating: "x", count: 100), sendOnly: 10, timeout: 5)
        #expect(viaNginx == nil || viaNginx?.status == 400)
        #expect(Date().timeIntervalSince(started) < 4, "something waited for bytes that never come")
        // The server still answers afterwards.
        #expect(try stack.http.send("GET", "/api/health").status == 200)
        stack.stop()
        #expect(stack.logs.contains(#""POST /api/session HTTP/1.1" 400"#))
        #expect(stack.logs.components(separatedBy: #""path":"/api/session""#).count == 2, "only the direct request reached the responder")
    }

    @Test func wrongContentTypeIs415() throws {
        let stack = try Stack()
        let reply = try stack.http.send("POST", "/api/session", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "token=x")
        #expect(reply.status == 415)
        #expect(reply.header("Content-Type") == "application/problem+json")
        #expect(reply.header("Accept-Post") == "application/json")
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithAllow() throws {
        let stack = try Stack()
        let missing = try stack.http.send("GET", "/api/does-not-exist")
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type") == "application/problem+json")
        let wrong = try stack.http.send("PUT", "/api/health")
        #expect(wrong.status == 405)
        #expect(wrong.header("Allow") == "GET, HEAD")
    }

    @Test func securityHeadersArePresent() throws {
        let stack = try Stack()
        let page = try stack.http.send("GET", "/settings?section=model-provider")
        let api = try stack.http.send("GET", "/api/health")
        for reply in [page, api] {
            let csp = reply.header("Content-Security-Policy") ?? ""
            #expect(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"))
            #expect(!csp.contains("unsafe-inline"))
            #expect(reply.header("X-Content-Type-Options") == "nosniff")
            #expect(reply.header("Referrer-Policy") == "no-referrer")
        }
        #expect(api.header("Cache-Control") == "no-store")
        #expect(page.header("Cache-Control") == nil)
        #expect(page.status == 200 && page.body.contains("<script type=\"module\""))
    }

    @Test func singlePageAppFallbackAndRootRedirect() throws {
        let stack = try Stack()
        let root = try stack.http.send("GET", "/")
        #expect(root.status == 302)
        #expect(root.header("Location")?.hasSuffix("/settings") == true)
        let deep = try stack.http.send("GET", "/settings/anything/below")
        #expect(deep.status == 200 && deep.body.contains("<script type=\"module\""))
        #expect(try stack.http.send("GET", "/no-such-file.js").status == 404)
    }

    @Test func signInIsRateLimitedByNginx() throws {
        let stack = try Stack()
        var statuses: [Int] = []
        var limited: HTTPClient.Reply?
        for _ in 0..<25 {
            let reply = try stack.http.send("POST", "/api/session", headers: [("Content-Type", "application/json")], body: #"{"token":"sbk_wrong"}"#)
            statuses.append(reply.status)
            if reply.status == 429 && limited == nil { limited = reply }
        }
        let first429 = try #require(limited, "no 429 in \(statuses)")
        #expect(first429.header("Content-Type") == "application/problem+json")
        #expect(Int(first429.header("Retry-After") ?? "") ?? 0 > 0)
        #expect(Set(statuses).isSubset(of: [401, 429]))
    }

    @Test func tokenCommandsWorkAgainstARunningServer() throws {
        let stack = try Stack()
        let create = try shell("'\(Paths.binary)' token create --state-dir '\(stack.state.path)' --name ci 2>/dev/null")
        #expect(create.status == 0)
        let token = create.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("sbk_"))
        let me = try stack.http.send("GET", "/api/session", headers: [("Authorization", "Bearer \(token)")])
        #expect(me.status == 200 && me.json["tokenName"] as? String == "ci")

        let list = try shell("'\(Paths.binary)' token list --state-dir '\(stack.state.path)'")
        let id = try #require(me.json["tokenId"] as? String)
        #expect(list.output.contains(id) && !list.output.contains(token))

        #expect(try shell("'\(Paths.binary)' token revoke --state-dir '\(stack.state.path)' \(id)").status == 0)
        // A revocation by another process reaches the responder's one-second credential cache within that
        // second; poll for it (up to 5 s) rather than assert a wall-clock time.
        var status = 0
        for _ in 0..<50 {
            status = try stack.http.send("GET", "/api/session", headers: [("Authorization", "Bearer \(token)")]).status
            if status == 401 { break }
            usleep(100_000)
        }
        #expect(status == 401)
    }

    @Test func oneLogLinePerRequestWithItsIdAndNoSecrets() throws {
        let stack = try Stack()
        let reply = try stack.http.send("GET", "/api/session?code=should-not-be-logged", headers: [("Authorization", "Bearer \(stack.token)")])
        _ = try stack.http.send("POST", "/api/session", headers: [("Content-Type", "application/json")], body: #"{"token":"\#(stack.token)"}"#)
        let id = try #require(reply.header("X-Request-Id"))
        stack.stop()
        let logs = stack.logs
        let lines = logs.split(separator: "\n").filter { $0.contains(#""request_id":"\#(id)""#) }
        #expect(lines.count == 1, "\(lines)")
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        #expect(entry["status"] == "200" && entry["msg"] == "request" && entry["path"] == "/api/session")
        #expect(entry["level"] == "info" && entry["ts"]?.hasSuffix("Z") == true)
        #expect(!logs.contains(stack.token), "the admin token reached a log")
        #expect(!logs.contains("should-not-be-logged"), "a query string reached a log")
        #expect(!logs.contains("sbs_"), "a session cookie reached a log")
    }
}
