import Foundation
import Testing
import TestSupport

/// Connection tests and discovery through real nginx and the real responder, against the HTTPS provider
/// emulator (trusted through `--outbound-ca-file`, reachable through `--allow-private-host localhost`).
@Suite(.ownThread) struct ProviderTestsThroughNginxTests {
    static let emulator = try! ProviderEmulator(slowDelay: .seconds(2))

    func stack(_ label: String) throws -> Stack {
        try Stack(serveArguments: ["--outbound-ca-file", TestCA.files.caCertificate, "--allow-private-host", "localhost"], label: label)
    }

    func account(_ stack: Stack, _ id: String, key: String, path: String = "/openai/v1", provider: String = "openai") throws {
        let body = #"{"provider":"\#(provider)","id":"\#(id)","baseUrl":"\#(Self.emulator.baseURL)\#(path)","timeoutSeconds":5,"credential":{"kind":"api_key","apiKey":"\#(key)"}}"#
        let reply = try stack.send("POST", "/api/accounts", json: body)
        #expect(reply.status == 201, "\(reply)")
    }

    @Test func testDiscoverAndDraftThroughNginx() throws {
        let stack = try stack("provider-tests")
        let good = "sk-CANARYSECRET-good-nginx0123456789"
        try account(stack, "openai:good", key: good)
        let tested = try stack.send("POST", "/api/accounts/openai:good/test")
        #expect(tested.status == 200, "\(tested)")
        #expect(tested.json["ok"] as? Bool == true)
        #expect(tested.json["category"] as? String == "ok")
        #expect(try stack.accountStatus("openai:good") == "connected")
        let models = try stack.send("GET", "/api/accounts/openai:good/models")
        #expect(((models.json["models"] as? [[String: Any]]) ?? []).contains { $0["source"] as? String == "discovered" })
        #expect(try stack.send("POST", "/api/accounts/openai:good/models/refresh").json["refresh"] != nil)

        try account(stack, "anthropic:bad", key: "sk-ant-CANARYSECRET-bad-nginx0123456789", path: "/anthropic", provider: "anthropic")
        let bad = try stack.send("POST", "/api/accounts/anthropic:bad/test")
        #expect(bad.json["category"] as? String == "auth")
        #expect(bad.json["httpStatus"] as? Int == 401)
        #expect(try stack.accountStatus("anthropic:bad") == "error")

        let draft = try stack.send("POST", "/api/providers/google/test", json: #"{"baseUrl":"\#(Self.emulator.baseURL)/gemini","credential":{"kind":"api_key","apiKey":"AIzaCANARYSECRETgood0123456789"}}"#)
        #expect(draft.json["ok"] as? Bool == true, "\(draft)")
        #expect(try stack.send("GET", "/api/accounts/google:default").status == 404)

        // The key left only in its header; nothing of it reached a log.
        let ours = Self.emulator.received.filter { $0.header("Authorization")?.contains("nginx0123456789") == true || $0.header("x-api-key")?.contains("nginx0123456789") == true }
        #expect(ours.count >= 3)
        #expect(Self.emulator.received.allSatisfy { !$0.uri.contains("CANARYSECRET") })
        #expect(!stack.logs.contains("CANARYSECRET"))
        // HTTP_PROXY from a request is not an outbound proxy (HTTPoxy): the call still went straight to the emulator.
        let proxied = try stack.http.send("POST", "/api/accounts/openai:good/test", headers: [stack.auth, ("Proxy", "http://127.0.0.1:9")])
        #expect(proxied.json["ok"] as? Bool == true)
    }

    /// The responder's own environment names proxies (as a shell or a unit file might): outbound calls still go
    /// straight to the provider, never through them (libcurl would otherwise honour these variables).
    @Test func proxiesFromTheEnvironmentAreNotUsed() throws {
        let nowhere = "http://127.0.0.1:9"
        let stack = try Stack(serveArguments: ["--outbound-ca-file", TestCA.files.caCertificate, "--allow-private-host", "localhost"],
                              environment: ["https_proxy": nowhere, "HTTPS_PROXY": nowhere, "http_proxy": nowhere, "ALL_PROXY": nowhere,
                                            "all_proxy": nowhere],
                              label: "provider-env-proxy")
        try account(stack, "openai:direct", key: "sk-CANARYSECRET-direct-0123456789")
        let tested = try stack.send("POST", "/api/accounts/openai:direct/test")
        #expect(tested.json["ok"] as? Bool == true, "\(tested)")
        #expect(Self.emulator.received.contains { $0.header("Authorization") == "Bearer sk-CANARYSECRET-direct-0123456789" })
    }

    /// Slow providers hold no thread: with tests waiting 2 s on the emulator, settings reads are all answered
    /// before the first of those tests comes back. Order, not time, is asserted.
    @Test func slowProvidersDoNotStarveOtherRequests() throws {
        let stack = try stack("provider-isolation")
        try account(stack, "openai:slow", key: "sk-CANARYSECRET-slow-0123456789")
        let order = Shared<[String]>([])
        let client = stack.http
        let auth = stack.auth
        let group = DispatchGroup()
        for i in 0..<16 {
            group.enter()
            Thread.detachNewThread {
                let reply = try? client.send("POST", "/api/accounts/openai:slow/test", headers: [auth])
                order.withLock { $0.append("test \(i): \(reply?.status ?? 0)") }
                group.leave()
            }
        }
        usleep(300_000) // let the tests reach the emulator
        for i in 0..<20 {
            let reply = try client.send("GET", "/api/config", headers: [auth])
            order.withLock { $0.append("config \(i): \(reply.status)") }
        }
        group.wait()
        let events = order.current
        let firstTest = events.firstIndex { $0.hasPrefix("test") } ?? events.count
        let lastConfig = events.lastIndex { $0.hasPrefix("config") } ?? -1
        #expect(lastConfig < firstTest, "a settings read waited for a slow provider: \(events)")
        #expect(events.filter { $0.hasPrefix("config") }.allSatisfy { $0.hasSuffix(": 200") })
        #expect(events.filter { $0.hasPrefix("test") }.allSatisfy { $0.hasSuffix(": 200") })
    }
}
