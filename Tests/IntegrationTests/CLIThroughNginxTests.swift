import Foundation
import Testing
import TestSupport

/// Provider CLIs through real nginx and the real responder: the fake CLIs of Tests/fakes/cli on `--cli-path`,
/// a sign-in relayed from the CLI's terminal to an HTTP client and back, and the test runtime
/// (Tests/fakes/runtime.py) running the command each decision hands it and reporting the outcome.
@Suite(.takesTurns, .ownThread) struct CLIThroughNginxTests {
    struct CLIStack: Sendable {
        let stack: Stack
        let fakes: FakeCLIs
        let runtime: String

        init(_ label: String) throws {
            fakes = try FakeCLIs()
            stack = try Stack(serveArguments: ["--cli-path", fakes.bin.path, "--cli-scan-interval", "0", "--cli-timeout", "60",
                                               "--cooldown-ladder", "2,4,8,16"], label: label)
            // The test runtime asks withCredential (for API accounts); a CLI account hands out none either way.
            let created = try stack.cli("token create --name runtime --scope runtime --scope credentials")
            guard created.status == 0, let token = created.output.split(separator: "\n").first(where: { $0.hasPrefix("sbk_") }) else {
                throw StackFailure(description: "token create: \(created.output)")
            }
            runtime = String(token)
            let scanned = try stack.send("POST", "/api/cli/scan")
            guard scanned.status == 200 else { throw StackFailure(description: "scan: \(scanned)") }
        }

        func poll(_ path: String, until: ([String: Any]) -> Bool) throws -> [String: Any] {
            for _ in 0..<200 {
                let r = try stack.send("GET", path)
                if until(r.json) { return r.json }
                usleep(50_000)
            }
            throw StackFailure(description: "\(path) never got there: \(try stack.send("GET", path))")
        }

        /// The test runtime: route (with the selection), run the command, report the outcome; one line per call.
        func run(_ count: Int, selection: String) throws -> [[String: Any]] {
            let script = Paths.repoRoot.appendingPathComponent("Tests/fakes/runtime.py").path
            let result = try shell("python3 '\(script)' --api http://127.0.0.1:\(stack.port) --token '\(runtime)' --ca '\(TestCA.files.caCertificate)' --count \(count) --selection '\(selection)'")
            guard result.status == 0 else { throw StackFailure(description: "runtime: \(result.output)") }
            return result.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }

    @Test func aClaudeSignInIsRelayedThroughNginxAndTheAccountThenServes() async throws {
        let s = try await offPool { try CLIStack("cli-login") }
        try await offPool {
            let created = try s.stack.send("POST", "/api/cli/claude/accounts", json: #"{"id":"claude:max","displayName":"Max plan"}"#)
            #expect(created.status == 201)
            #expect((created.json["auth"] as? [String: Any])?["status"] as? String == "signed_out")
            let path = "/api/cli/claude/accounts/claude:max/login"
            let started = try s.stack.send("POST", path)
            #expect(started.status == 202)
            let waiting = try s.poll(path) { $0["prompt"] is String }
            let url = try #require(waiting["url"] as? String)
            let state = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "state" }?.value)
            // The operator opened the URL on a laptop and pastes the code it showed.
            let sent = try s.stack.send("POST", path + "/input", json: #"{"text":"PASTEDCODE#\#(state)"}"#)
            #expect(sent.status == 200)
            let done = try s.poll(path) { $0["status"] as? String != "running" }
            #expect(done["status"] as? String == "succeeded")
            #expect(!(done["output"] as? String ?? "").contains("PASTEDCODE"))
            #expect(!s.stack.logs.contains("PASTEDCODE"))
            // Signed in: the model routes to it, with the command and no credential.
            let routed = try s.stack.http.send("POST", "/api/route", headers: [("Authorization", "Bearer \(s.runtime)"), ("Content-Type", "application/json")],
                                               body: #"{"model":"claude/claude-sonnet-4-5"}"#)
            #expect(routed.status == 200)
            #expect(routed.json["account"] as? String == "claude:max")
            #expect(routed.json["family"] as? String == "cli")
            let argv = ((routed.json["command"] as? [String: Any])?["argv"] as? [String]) ?? []
            #expect(argv == [s.fakes.bin.appendingPathComponent("claude").path, "-p", "--output-format", "json", "--model", "claude-sonnet-4-5"])
            let types = try s.stack.auditTypes()
            #expect(types.contains("cli.login.started") && types.contains("cli.login.succeeded") && types.contains("cli.account.created"))
        }
    }

    @Test func cliAccountsShareCallsCoolDownOnARateLimitAndRecover() async throws {
        let s = try await offPool { try CLIStack("cli-routing") }
        try await offPool {
            for id in ["codex:a", "codex:b"] {
                let created = try s.stack.send("POST", "/api/cli/codex/accounts", json: #"{"id":"\#(id)"}"#)
                try FakeCLIs.signIn(home: created.json["home"] as? String ?? "", tool: "codex")
                #expect(try s.stack.send("POST", "/api/cli/codex/accounts/\(id)/check").json["auth"].flatMap { ($0 as? [String: Any])?["status"] as? String } == "signed_in")
            }
            let selection = try s.stack.send("POST", "/api/cli/selections",
                                              json: #"{"name":"codex-max~high","model":"codex/gpt-5.1-codex-max","parameterValues":{"reasoningEffort":"high"},"accounts":["codex:a","codex:b"]}"#)
            #expect(selection.status == 201)
            // 20 calls, each one a real codex run: spread over both accounts, all ok.
            let calls = try s.run(20, selection: "codex-max~high")
            let counts = calls.reduce(into: [String: Int]()) { $0[$1["account"] as? String ?? "-", default: 0] += 1 }
            #expect(counts == ["codex:a": 10, "codex:b": 10])
            #expect(calls.allSatisfy { $0["outcome"] as? String == "ok" })
            let ran = s.fakes.calls().filter { ($0["argv"] as? [String])?.first == "exec" }
            #expect(ran.count == 20)
            #expect(ran.allSatisfy { ($0["argv"] as? [String] ?? []).contains("model_reasoning_effort=high") })
            // The subscription is rate-limited: both accounts cool (2 s), and routing says so with Retry-After.
            try s.fakes.control(["codex": ["run": ["fail": "rate_limit"]]])
            let limited = try s.run(3, selection: "codex-max~high")
            #expect(limited.prefix(2).allSatisfy { $0["outcome"] as? String == "rate_limit" })
            #expect((limited.last?["status"] as? Int) == 503)
            let status = try s.stack.http.send("GET", "/api/route/status?model=codex/gpt-5.1-codex-max", headers: [("Authorization", "Bearer \(s.runtime)")])
            let rows = ((status.json["models"] as? [[String: Any]])?.first?["accounts"] as? [[String: Any]]) ?? []
            #expect(rows.count == 2 && rows.allSatisfy { $0["state"] as? String == "cooling" })
            // The limit lifts; after the cooldown both serve again.
            try s.fakes.control([:])
            sleep(3)
            let back = try s.run(4, selection: "codex-max~high")
            #expect(back.allSatisfy { $0["outcome"] as? String == "ok" })
            #expect(Set(back.compactMap { $0["account"] as? String }) == ["codex:a", "codex:b"])
        }
    }

    @Test func aVersionChangeShowsItsNoticeThroughNginx() async throws {
        let s = try await offPool { try CLIStack("cli-version") }
        try await offPool {
            try s.fakes.control(["codex": ["version": "0.78.0"]])
            let scanned = try s.stack.send("POST", "/api/cli/scan")
            let codex = ((scanned.json["tools"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == "codex" } ?? [:]
            #expect(codex["stale"] as? Bool == true)
            let notice = (codex["notices"] as? [[String: Any]])?.first?["message"] as? String
            #expect(notice == "codex updated from 0.77.0 to 0.78.0: models re-synced; 1 new model (gpt-5.2-codex); reasoning effort now accepts xhigh")
        }
    }
}
