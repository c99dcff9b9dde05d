import Foundation
import Testing
import TestSupport

/// OAuth and pairing through real nginx and the real responder, with the fake authorization server; the
/// `switchboard auth pair` CLI run as a process, the test playing the browser.
@Suite(.ownThread) struct OAuthThroughNginxTests {
    static let fake = try! FakeAuthorizationServer()
    static let emulator = try! ProviderEmulator()

    func stack(_ label: String) throws -> Stack {
        try Stack(serveArguments: ["--outbound-ca-file", TestCA.files.caCertificate, "--allow-private-host", "localhost"], label: label)
    }

    /// The browser at the provider: where `/authorize` redirects to.
    func authorize(_ url: String) throws -> String {
        let out = try shell("curl -s --cacert '\(TestCA.files.caCertificate)' -o /dev/null -w '%{redirect_url}' '\(url)'").output
        guard out.hasPrefix("http") else { throw NoRedirect(description: "no redirect from \(url): \(out)") }
        return out
    }

    @Test func browserSignInThroughNginxKeepsTheCodeOutOfEveryLog() throws {
        let stack = try stack("oauth-callback")
        #expect(try stack.send("PUT", "/api/oauth/clients/openai", json: Self.fake.clientSettings()).status == 200)
        #expect(try stack.send("POST", "/api/accounts", json: #"{"provider":"openai","id":"openai:oauth","authMethod":"oauth_browser","baseUrl":"\#(Self.fake.baseURL)/v1"}"#).status == 201)
        let signIn = try stack.http.send("POST", "/api/session", headers: [("Content-Type", "application/json")], body: #"{"token":"\#(stack.token)"}"#)
        let session = String((signIn.header("Set-Cookie") ?? "").split(separator: ";")[0])
        let origin = "http://127.0.0.1:\(stack.port)"
        let start = try stack.http.send("POST", "/api/oauth/openai/start", headers: [
            ("Cookie", session), ("X-Switchboard-CSRF", "1"), ("Origin", origin), ("Content-Type", "application/json"),
        ], body: #"{"account":"openai:oauth"}"#)
        #expect(start.status == 201, "\(start)")
        #expect(start.json["redirectUri"] as? String == "\(origin)/api/oauth/openai/callback")
        let binding = String((start.header("Set-Cookie") ?? "").split(separator: ";")[0])
        #expect(start.header("Set-Cookie")?.contains("SameSite=Lax") == true)

        let location = try authorize(start.json["authorizeUrl"] as! String)
        let query = URLComponents(string: location)!
        let code = query.queryItems!.first { $0.name == "code" }!.value!
        let state = query.queryItems!.first { $0.name == "state" }!.value!
        let callback = try stack.http.send("GET", "/api/oauth/openai/callback?\(query.percentEncodedQuery!)", headers: [("Cookie", binding), ("Accept", "text/html")])
        #expect(callback.status == 303, "\(callback)")
        #expect(callback.header("Location") == "/settings?section=model-provider&connected=openai%3Aoauth")
        #expect(callback.header("Referrer-Policy") == "no-referrer")
        #expect(try stack.accountStatus("openai:oauth") == "untested")
        #expect(try stack.send("POST", "/api/accounts/openai:oauth/test").json["ok"] as? Bool == true)

        // A replay through nginx: 400, a page in words.
        let replay = try stack.http.send("GET", "/api/oauth/openai/callback?\(query.percentEncodedQuery!)", headers: [("Cookie", binding), ("Accept", "text/html")])
        #expect(replay.status == 400)
        #expect(replay.body.contains("already used"))
        // Neither nginx's logs nor the responder's hold the code or the state.
        let logs = stack.logs
        #expect(logs.contains("/api/oauth/openai/callback"))
        #expect(!logs.contains(code) && !logs.contains(state))
        #expect(!logs.contains("CANARYSECRET"))
    }

    /// Runs `switchboard auth pair` in the background; its output goes to a file the test reads.
    func pair(_ stack: Stack, _ arguments: String, stdin: String? = nil) throws -> (output: URL, pid: String) {
        let out = stack.root.appendingPathComponent("pair-\(UUID().uuidString.prefix(6)).out")
        let input = stdin.map { "printf '%s\\n' '\($0)' |" } ?? ""
        let pid = try shell("\(input) '\(Paths.binary)' auth pair --server http://127.0.0.1:\(stack.port) \(arguments) > '\(out.path)' 2>&1 & echo $!").output
        return (out, pid.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func waitFor(_ file: URL, _ predicate: (String) -> Bool, seconds: Double = 20) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var text = ""
        while Date() < deadline {
            text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            if predicate(text) { return text }
            usleep(100_000)
        }
        return text
    }

    @Test func theCLISignsInWithALoopbackRedirectAndTheTokensLandInTheVault() throws {
        let stack = try stack("oauth-pair")
        #expect(try stack.send("PUT", "/api/oauth/clients/openai", json: Self.fake.clientSettings(redirectMode: "loopback", redirectUri: "http://127.0.0.1/callback")).status == 200)
        #expect(try stack.send("POST", "/api/accounts", json: #"{"provider":"openai","id":"openai:paired","baseUrl":"\#(Self.fake.baseURL)/v1"}"#).status == 201)
        let pairing = try stack.send("POST", "/api/pairing", json: #"{"provider":"openai","account":"openai:paired"}"#)
        #expect(pairing.status == 201, "\(pairing)")
        let code = pairing.json["code"] as! String
        Canary.remember(code)
        #expect(pairing.json["command"] as? String == "switchboard auth pair --server http://127.0.0.1:\(stack.port) --provider openai --account paired")

        let run = try pair(stack, "--provider openai --code \(code.lowercased()) --ca-file '\(TestCA.files.caCertificate)' --no-browser")
        let shown = waitFor(run.output) { $0.contains("/authorize?") }
        let url = try #require(shown.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("https://") })
        #expect(url.contains("code_challenge_method=S256"))
        let back = try authorize(url)
        #expect(back.hasPrefix("http://127.0.0.1:"))
        // The browser returns to the CLI's loopback listener.
        let page = try shell("curl -s '\(back)'").output
        #expect(page.contains("Signed in"))
        let finished = waitFor(run.output) { $0.contains("Connected") || $0.contains("switchboard auth pair:") }
        #expect(finished.contains("Connected openai:paired: connected"), "\(finished)")

        let status = try stack.send("GET", "/api/pairing/\(pairing.json["id"] as! String)")
        #expect(status.json["status"] as? String == "completed")
        let account = try stack.send("GET", "/api/accounts/openai:paired").json
        #expect((account["credential"] as? [String: Any])?["kind"] as? String == "oauth")
        // Single use: the same code again is refused with a sentence.
        let again = try pair(stack, "--provider openai --code \(code) --method api-key", stdin: "sk-CANARYSECRET-again-0123456789")
        #expect(waitFor(again.output) { $0.contains("switchboard auth pair:") }.contains("The pairing code is not valid"))
        #expect(!stack.logs.contains(code) && !stack.logs.contains("CANARYSECRET"))
    }

    @Test func theCLIReadsAKeyAndExplainsEveryFailure() throws {
        let stack = try stack("pair-key")
        #expect(try stack.send("POST", "/api/accounts", json: #"{"provider":"openrouter","id":"openrouter:paired","baseUrl":"\#(Self.emulator.baseURL)/openrouter/api/v1"}"#).status == 201)
        let pairing = try stack.send("POST", "/api/pairing", json: #"{"provider":"openrouter","account":"openrouter:paired"}"#)
        let code = pairing.json["code"] as! String
        Canary.remember(code)

        let wrongProvider = try pair(stack, "--provider anthropic --code \(code) --method api-key", stdin: "sk-CANARYSECRET-x-0123456789")
        let wrongProviderMessage = waitFor(wrongProvider.output) { $0.contains("auth pair:") }
        #expect(wrongProviderMessage.contains("Wrong provider: This pairing code was issued for another provider"))
        #expect(!wrongProviderMessage.contains("openrouter"), "the answer names the code's real provider")

        // The key comes from standard input (no terminal here), never from the command line.
        let run = try pair(stack, "--provider openrouter --code '\(code)'", stdin: "sk-or-v1-CANARYSECRET-pairedkey-0123456789")
        let done = waitFor(run.output) { $0.contains("Connected") || $0.contains("auth pair:") }
        #expect(done.contains("Connected openrouter:paired: connected"), "\(done)")

        let unreachable = try shell("'\(Paths.binary)' auth pair --server http://127.0.0.1:1 --provider openai --code ABC-DEF-GHJ 2>&1")
        #expect(unreachable.status == 1)
        #expect(unreachable.output.contains("Cannot reach the server at http://127.0.0.1:1"))
        let untrusted = try shell("'\(Paths.binary)' auth pair --server https://localhost:\(Self.fake.port) --provider openai --code ABC-DEF-GHJ 2>&1")
        #expect(untrusted.status == 1)
        #expect(untrusted.output.contains("TLS error talking to localhost"))
        let invalid = try shell("'\(Paths.binary)' auth pair --server http://127.0.0.1:\(stack.port) --provider openai --code ZZZ-ZZZ-ZZZ 2>&1")
        #expect(invalid.output.contains("The pairing code is not valid"))
        #expect(!stack.logs.contains("CANARYSECRET") && !stack.logs.contains(code))
    }
}

struct NoRedirect: Error, CustomStringConvertible { let description: String }
