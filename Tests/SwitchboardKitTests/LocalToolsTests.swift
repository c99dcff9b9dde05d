@testable import API
@testable import App
@testable import Auth
import Core
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
@testable import LocalTools
import Processes
@testable import Storage
import TestSupport
import Testing

/// An application whose provider CLIs are the fakes of `Tests/fakes/cli`, in a bin directory of its own.
struct CLIHarness {
    let t: TestApp
    let fakes: FakeCLIs

    /// Generous limits: a shared 2-core machine running the whole suite can take seconds to start a Python fake.
    init(tools: [String] = FakeCLIs.names, commandTimeout: Duration = .seconds(60), loginTimeout: Duration = .seconds(120),
         clock: @escaping @Sendable () -> Date = { Date() }) throws {
        fakes = try FakeCLIs(tools)
        t = try TestApp(clock: clock, tools: LocalToolService.Options(extraPaths: [fakes.bin.path], commandTimeout: commandTimeout,
                                                                     loginTimeout: loginTimeout, searchPath: "/usr/bin:/bin"))
    }

    func call(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, headers: HTTPFields = [:]) async -> Response {
        var headers = headers
        if body != nil { headers[.contentType] = "application/json" }
        return await t.bearer(method, path, headers: headers, body: body)
    }

    func tool(_ name: String) async -> [String: Any] {
        let list = await call(.get, "/api/cli")
        return ((list.json["tools"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == name } ?? [:]
    }

    /// A CLI account with a managed home, signed in as the CLI's own sign-in would leave it.
    @discardableResult
    func account(_ id: String, signedIn: Bool = true) async throws -> [String: Any] {
        let tool = String(id.prefix { $0 != ":" })
        let created = await call(.post, "/api/cli/\(tool)/accounts", #"{"id":"\#(id)"}"#)
        guard created.status == .created else { throw TestFailure("create \(id): \(created.status) \(created.text)") }
        guard signedIn else { return created.json }
        try FakeCLIs.signIn(home: created.json["home"] as? String ?? "", tool: tool)
        let checked = await call(.post, "/api/cli/\(tool)/accounts/\(id)/check")
        return checked.json
    }

    func errors(_ r: Response) -> [String: String] {
        var out: [String: String] = [:]
        for e in (r.json["errors"] as? [[String: Any]]) ?? [] { out[e["pointer"] as? String ?? ""] = e["code"] as? String }
        return out
    }
}

@Suite("Provider CLIs", .takesTurns)
struct LocalToolsTests {
    @Test func aScanFindsEachCLIWithItsVersionAndModels() async throws {
        let h = try CLIHarness()
        let scanned = await h.call(.post, "/api/cli/scan")
        #expect(scanned.status == .ok)
        let tools = Dictionary(uniqueKeysWithValues: ((scanned.json["tools"] as? [[String: Any]]) ?? []).map { ($0["name"] as! String, $0) })
        #expect(tools["claude"]?["version"] as? String == "2.1.211")
        #expect(tools["claude"]?["versionText"] as? String == "2.1.211 (Claude Code)")
        #expect(tools["codex"]?["version"] as? String == "0.77.0")
        #expect(tools["gemini"]?["version"] as? String == "0.18.0")
        #expect(tools["opencode"]?["version"] as? String == "1.0.134")
        for name in FakeCLIs.names {
            #expect(tools[name]?["installed"] as? Bool == true)
            #expect((tools[name]?["path"] as? String) == h.fakes.bin.appendingPathComponent(name).path)
            #expect(tools[name]?["modelCount"] as? Int == 3, "\(name)")
            #expect(tools[name]?["stale"] as? Bool == false)
        }
        #expect(tools["codex"]?["modelsSource"] as? String == "cli")
        #expect(tools["claude"]?["modelsSource"] as? String == "data")
        #expect(tools["claude"]?["modelsVersion"] as? String == "2.1.211")

        // Models with typed parameters, the mapping kept out of the answer.
        let codex = await h.call(.get, "/api/cli/codex/models")
        let max = ((codex.json["models"] as? [[String: Any]]) ?? []).first { $0["id"] as? String == "gpt-5.1-codex-max" }
        let effort = ((max?["parameters"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == "reasoningEffort" }
        #expect(effort?["type"] as? String == "enum")
        #expect(((effort?["options"] as? [[String: Any]]) ?? []).compactMap { $0["value"] as? String } == ["low", "medium", "high"])
        #expect(effort?["default"] as? String == "medium")
        #expect(!codex.text.contains("model_reasoning_effort"))
        let opencode = await h.call(.get, "/api/cli/opencode/models")
        let sonnet = ((opencode.json["models"] as? [[String: Any]]) ?? []).first { $0["id"] as? String == "anthropic/claude-sonnet-4-5" }
        let variant = ((sonnet?["parameters"] as? [[String: Any]]) ?? []).first
        #expect(((variant?["options"] as? [[String: Any]]) ?? []).compactMap { $0["value"] as? String } == ["high", "max"])
        let claude = await h.call(.get, "/api/cli/claude/models")
        #expect(claude.json["writtenFor"] as? String == "2.1.211")
        let types = Set(((claude.json["models"] as? [[String: Any]]) ?? []).flatMap { ($0["parameters"] as? [[String: Any]]) ?? [] }.compactMap { $0["type"] as? String })
        #expect(types == ["enum", "number", "string", "boolean"])
        #expect(await h.call(.get, "/api/cli/cursor/models").status == .notFound)
    }

    @Test func aNewVersionIsANoticeThatSaysWhatChangedAndMarksTheCLIStaleUntilSynced() async throws {
        let h = try CLIHarness(tools: ["codex"])
        _ = await h.call(.post, "/api/cli/scan")
        try h.fakes.control(["codex": ["version": "0.78.0"]])
        _ = await h.call(.post, "/api/cli/scan")
        let codex = await h.tool("codex")
        #expect(codex["version"] as? String == "0.78.0")
        #expect(codex["stale"] as? Bool == true)
        #expect(codex["modelCount"] as? Int == 4)
        let notices = (codex["notices"] as? [[String: Any]]) ?? []
        #expect(notices.first?["kind"] as? String == "updated")
        #expect(notices.first?["message"] as? String
                == "codex updated from 0.77.0 to 0.78.0: models re-synced; 1 new model (gpt-5.2-codex); reasoning effort now accepts xhigh")
        // The new level is offered at once.
        let models = await h.call(.get, "/api/cli/codex/models")
        #expect(models.text.contains("\"xhigh\""))
        // Sync: the operator has seen it.
        let synced = await h.call(.post, "/api/cli/codex/sync")
        #expect(synced.status == .ok)
        #expect(synced.json["stale"] as? Bool == false)
        #expect(((synced.json["notices"] as? [[String: Any]])?.first?["message"] as? String)?.hasPrefix("codex synced: models re-synced") == true)
        let audit = try h.t.database.auditEvents(before: nil, type: "cli.updated", limit: 5)
        #expect(audit.count == 1)
    }

    @Test func aCLIThatDisappearsTakesItsAccountsOutOfRoutingWithAReason() async throws {
        let h = try CLIHarness(tools: ["codex"])
        _ = await h.call(.post, "/api/cli/scan")
        try await h.account("codex:work")
        let tokens = AdminTokens(database: h.t.database)
        let runtime = try tokens.create(name: "rt", scopes: TokenScopes.make(["runtime"]).get()).secret
        func route() async -> Response {
            await h.t.send(.post, "/api/route", headers: [.authorization: "Bearer \(runtime)", .contentType: "application/json"],
                           body: #"{"model":"codex/gpt-5.1-codex"}"#)
        }
        #expect(await route().status == .ok)
        try h.fakes.remove("codex")
        _ = await h.call(.post, "/api/cli/scan")
        let codex = await h.tool("codex")
        #expect(codex["installed"] as? Bool == false)
        #expect(((codex["notices"] as? [[String: Any]])?.first?["message"] as? String)?.contains("is no longer found") == true)
        let refused = await route()
        #expect(refused.status == .serviceUnavailable)
        let skipped = (refused.json["accounts"] as? [[String: Any]])?.first
        #expect(skipped?["reason"] as? String == "status")
        #expect((skipped?["detail"] as? String)?.contains("codex is no longer installed") == true)
        // Back again: back in rotation.
        try h.fakes.install("codex")
        _ = await h.call(.post, "/api/cli/scan")
        #expect(await route().status == .ok)
    }

    @Test func aCLIThatHangsIsEndedByTheTimeout() async throws {
        let h = try CLIHarness(tools: ["claude"], commandTimeout: .seconds(1))
        try h.fakes.control(["claude": ["hang": ["version"]]])
        _ = await h.call(.post, "/api/cli/scan")
        let claude = await h.tool("claude")
        let notice = (claude["notices"] as? [[String: Any]])?.first { $0["kind"] as? String == "version_unknown" }
        #expect((notice?["message"] as? String)?.contains("did not finish within 1 s and was ended") == true)
        // Said once, not again at every scan while it lasts.
        _ = await h.call(.post, "/api/cli/scan")
        let again = (await h.tool("claude"))["notices"] as? [[String: Any]] ?? []
        #expect(again.filter { $0["kind"] as? String == "version_unknown" }.count == 1)
        // The process (and its group) is gone.
        let pids = h.fakes.calls().compactMap { $0["pid"] as? Int32 }
        #expect(pids.count == 2)
        for pid in pids { #expect(kill(pid, 0) == -1) }
    }

    @Test func aRunGetsOnlyTheAllowListedEnvironmentAndNoShell() async throws {
        let env = ProcessEnvironment.allowListed(adding: ["CODEX_HOME": "/h"],
                                                 from: ["PATH": "/usr/bin", "OPENAI_API_KEY": "sk-x", "SWITCHBOARD_STATE": "/s", "HOME": "/root", "LANG": "C"])
        #expect(Set(env.keys) == ["PATH", "LANG", "TERM", "NO_COLOR", "CODEX_HOME"])
        // An argument is one argv item: nothing a shell would read in it does anything.
        let out = try await ProcessRunner().run(ProcessCommand(executable: "/bin/echo", arguments: ["$(touch /tmp/sb-no-shell)", "; rm -rf /", "`id`"],
                                                                environment: env, timeout: .seconds(60)))
        #expect(out.standardOutput == "$(touch /tmp/sb-no-shell) ; rm -rf / `id`\n")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/sb-no-shell"))
        // Output beyond the cap ends the run.
        await #expect(throws: ProcessFailure.outputTooLarge(1000)) {
            try await ProcessRunner().run(ProcessCommand(executable: "/usr/bin/head", arguments: ["-c", "100000", "/dev/zero"], environment: env,
                                                         timeout: .seconds(60), outputLimit: 1000))
        }
        // What the CLIs were given, as they logged it.
        let h = try CLIHarness()
        _ = await h.call(.post, "/api/cli/scan")
        try await h.account("codex:env")
        let allowed: Set<String> = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TERM", "NO_COLOR", "HOME", "CLAUDE_CONFIG_DIR", "CODEX_HOME",
                                    "GEMINI_CLI_HOME", "GEMINI_FORCE_FILE_STORAGE", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
                                    "PWD", "SHLVL", "_", "LC_CTYPE"]
        let calls = h.fakes.calls()
        #expect(calls.count >= 5)
        for call in calls {
            let keys = Set((call["envKeys"] as? [String]) ?? [])
            #expect(keys.subtracting(allowed).isEmpty, "\(call["argv"] ?? "") got \(keys.subtracting(allowed).sorted())")
        }
    }

    // MARK: Golden commands

    func selection(_ h: CLIHarness, _ body: String) async throws -> [String: Any] {
        let r = await h.call(.post, "/api/cli/selections", body)
        guard r.status == .created else { throw TestFailure("selection: \(r.status) \(r.text)") }
        return r.json
    }

    func command(_ h: CLIHarness, selection: String, runtime: String) async throws -> (argv: [String], env: [String: String], json: [String: Any]) {
        let r = await h.t.send(.post, "/api/route", headers: [.authorization: "Bearer \(runtime)", .contentType: "application/json"],
                               body: #"{"selection":"\#(selection)"}"#)
        guard r.status == .ok else { throw TestFailure("route: \(r.status) \(r.text)") }
        let c = r.json["command"] as? [String: Any] ?? [:]
        return ((c["argv"] as? [String]) ?? [], (c["env"] as? [String: String]) ?? [:], r.json)
    }

    /// Runs a command the way a runtime would: argv as given, exactly this environment, the prompt on stdin or in argv.
    func run(_ c: (argv: [String], env: [String: String], json: [String: Any]), prompt: String) async throws -> ProcessOutput {
        let command = c.json["command"] as? [String: Any] ?? [:]
        var argv = c.argv
        var input: String?
        if command["stdinPrompt"] as? Bool == true { input = prompt } else if let i = command["promptIndex"] as? Int { argv[i] = prompt }
        return try await ProcessRunner().run(ProcessCommand(executable: argv[0], arguments: Array(argv.dropFirst()), environment: c.env,
                                                            timeout: .seconds(60), standardInput: input))
    }

    @Test func eachCLIGetsItsParametersAsItTakesThemAndNeverAToken() async throws {
        let h = try CLIHarness()
        _ = await h.call(.post, "/api/cli/scan")
        let homes = Dictionary(uniqueKeysWithValues: try await ["claude:a", "codex:a", "gemini:a", "opencode:a"].asyncMap { id in
            (id, try await h.account(id)["home"] as? String ?? "")
        })
        let runtime = try AdminTokens(database: h.t.database).create(name: "rt", scopes: TokenScopes.make(["runtime", "credentials"]).get()).secret
        let bin = h.fakes.bin.path

        _ = try await selection(h, #"{"name":"opus~deep","model":"claude/claude-opus-4-5","parameterValues":{"effort":"high","thinkingTokens":8000,"permissionMode":"plan","appendSystemPrompt":"Answer briefly","verbose":true}}"#)
        let claude = try await command(h, selection: "opus~deep", runtime: runtime)
        #expect(claude.argv == ["\(bin)/claude", "-p", "--output-format", "json", "--model", "claude-opus-4-5", "--effort", "high",
                                "--permission-mode", "plan", "--append-system-prompt", "Answer briefly", "--verbose"])
        #expect(claude.env["MAX_THINKING_TOKENS"] == "8000")
        #expect(claude.env["CLAUDE_CONFIG_DIR"] == homes["claude:a"])
        #expect(claude.json["credential"] == nil)
        #expect(claude.json["selection"] as? String == "opus~deep")
        let claudeRun = try await run(claude, prompt: "hello")
        #expect(claudeRun.standardOutput.contains("fake claude (claude-opus-4-5, effort high, thinking 8000): hello"))

        _ = try await selection(h, #"{"name":"codex-max~high","model":"codex/gpt-5.1-codex-max","parameterValues":{"reasoningEffort":"high","reasoningSummary":"concise","webSearch":true,"sandbox":"workspace-write"}}"#)
        let codex = try await command(h, selection: "codex-max~high", runtime: runtime)
        #expect(codex.argv == ["\(bin)/codex", "exec", "--skip-git-repo-check", "--model", "gpt-5.1-codex-max", "-c", "model_reasoning_effort=high",
                               "-c", "model_reasoning_summary=concise", "-c", "tools.web_search=true", "--sandbox", "workspace-write", "-"])
        #expect(codex.env["CODEX_HOME"] == homes["codex:a"])
        let codexRun = try await run(codex, prompt: "hi")
        #expect(codexRun.standardOutput.contains("fake codex (gpt-5.1-codex-max, model_reasoning_effort=high, model_reasoning_summary=concise, tools.web_search=true, sandbox=workspace-write): hi"))

        _ = try await selection(h, #"{"name":"gemini-pro~low","model":"gemini/gemini-3-pro-preview","parameterValues":{"thinkingLevel":"low","sandbox":true},"promptMode":"arg"}"#)
        let gemini = try await command(h, selection: "gemini-pro~low", runtime: runtime)
        #expect(gemini.argv == ["\(bin)/gemini", "--model", "switchboard", "--sandbox", "-p", "{prompt}"])
        #expect(gemini.env["GEMINI_CLI_HOME"] == homes["gemini:a"])
        #expect(gemini.env["GEMINI_FORCE_FILE_STORAGE"] == "true")
        let settings = try #require(gemini.env["GEMINI_CLI_SYSTEM_SETTINGS_PATH"])
        let written = JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: settings))))
        #expect(written == .object(["modelConfigs": .object(["customAliases": .object(["switchboard": .object(["modelConfig": .object([
            "model": .string("gemini-3-pro-preview"),
            "generateContentConfig": .object(["thinkingConfig": .object(["thinkingLevel": .string("low")])]),
        ])])])])]))
        let geminiRun = try await run(gemini, prompt: "hey")
        #expect(geminiRun.standardOutput.contains("fake gemini (switchboard"))
        #expect(geminiRun.standardOutput.contains("\"thinkingLevel\": \"low\""))

        _ = try await selection(h, #"{"name":"sonnet~max","model":"opencode/anthropic/claude-sonnet-4-5","parameterValues":{"variant":"max"}}"#)
        let opencode = try await command(h, selection: "sonnet~max", runtime: runtime)
        #expect(opencode.argv == ["\(bin)/opencode", "run", "--model", "anthropic/claude-sonnet-4-5", "--variant", "max"])
        #expect(opencode.env["XDG_DATA_HOME"] == (homes["opencode:a"] ?? "") + "/.local/share")
        let opencodeRun = try await run(opencode, prompt: "yo")
        #expect(opencodeRun.standardOutput.contains("fake opencode (anthropic/claude-sonnet-4-5, variant max): yo"))

        // No answer carries anything from a CLI's token files.
        for c in [claude, codex, gemini, opencode] {
            let text = String(decoding: try JSONSerialization.data(withJSONObject: c.json), as: UTF8.self)
            #expect(!text.contains("fake-token"), "a token leaked into \(c.argv[0])")
        }
        // A model no selection names routes with no parameters.
        let plain = await h.t.send(.post, "/api/route", headers: [.authorization: "Bearer \(runtime)", .contentType: "application/json"],
                                   body: #"{"model":"codex/gpt-5.1-codex-mini"}"#)
        #expect(((plain.json["command"] as? [String: Any])?["argv"] as? [String]) == ["\(bin)/codex", "exec", "--skip-git-repo-check", "--model", "gpt-5.1-codex-mini", "-"])
    }

    @Test func everyKindOfBadValueIsA422AtItsPointer() async throws {
        let h = try CLIHarness()
        _ = await h.call(.post, "/api/cli/scan")
        try await h.account("claude:a")
        try await h.account("codex:a")
        let bad = await h.call(.post, "/api/cli/selections", #"""
            {"name":"bad name!","model":"claude/claude-opus-4-5","promptMode":"file","accounts":["codex:a","claude:zz",7],
             "parameterValues":{"effort":"extreme","thinkingTokens":100,"permissionMode":3,"appendSystemPrompt":"a\u0000b","verbose":"yes","color":"red"},"extra":1}
            """#)
        #expect(bad.status == .unprocessableContent)
        #expect(h.errors(bad) == [
            "/name": "invalid_format", "/promptMode": "invalid_value", "/extra": "unknown_field",
            "/accounts/0": "invalid_value", "/accounts/1": "unknown_account", "/accounts/2": "type",
            "/parameterValues/effort": "invalid_value", "/parameterValues/thinkingTokens": "out_of_range",
            "/parameterValues/permissionMode": "type", "/parameterValues/appendSystemPrompt": "invalid_format",
            "/parameterValues/verbose": "type", "/parameterValues/color": "unknown_parameter",
        ])
        let more = await h.call(.post, "/api/cli/selections", #"""
            {"name":"x","model":"claude/claude-opus-4-5","parameterValues":{"thinkingTokens":2048.5,"appendSystemPrompt":"\#(String(repeating: "a", count: 4001))"}}
            """#)
        #expect(h.errors(more) == ["/parameterValues/thinkingTokens": "invalid_value", "/parameterValues/appendSystemPrompt": "too_long"])
        let model = await h.call(.post, "/api/cli/selections", #"{"name":"x","model":"claude/claude-opus-9"}"#)
        #expect(h.errors(model) == ["/model": "unknown_model"])
        let tool = await h.call(.post, "/api/cli/selections", #"{"name":"x","model":"cursor/fast"}"#)
        #expect(h.errors(tool) == ["/model": "invalid_format"])
        let number = await h.call(.post, "/api/cli/selections", #"{"name":"x","model":"claude/claude-opus-4-5","parameterValues":{"thinkingTokens":"lots"}}"#)
        #expect(h.errors(number) == ["/parameterValues/thinkingTokens": "type"])
        // Nothing was stored, and a good one is.
        #expect(try h.t.database.cliSelections().isEmpty)
        let good = await h.call(.post, "/api/cli/selections", #"{"name":"opus~low","model":"claude/claude-opus-4-5","parameterValues":{"effort":"low"},"accounts":["claude:a"]}"#)
        #expect(good.status == .created)
        #expect(good.headers[.eTag] == "\"1\"")
        #expect(await h.call(.post, "/api/cli/selections", #"{"name":"opus~low","model":"claude/claude-opus-4-5"}"#).status == .conflict)
        let stale = await h.call(.put, "/api/cli/selections/opus~low", #"{"model":"claude/claude-opus-4-5"}"#, headers: [.ifMatch: "\"7\""])
        #expect(stale.status == .preconditionFailed)
        let replaced = await h.call(.put, "/api/cli/selections/opus~low", #"{"model":"claude/claude-opus-4-5","parameterValues":{"effort":"medium"}}"#,
                                    headers: [.ifMatch: "\"1\""])
        #expect(replaced.status == .ok)
        #expect((replaced.json["parameterValues"] as? [String: Any])?["effort"] as? String == "medium")
        // The command it would run, without a decision.
        let preview = await h.call(.get, "/api/cli/selections/opus~low/command")
        #expect(preview.json["account"] as? String == "claude:a")
        #expect(((preview.json["command"] as? [String: Any])?["argv"] as? [String])?.suffix(2) == ["--effort", "medium"])
        #expect(await h.call(.get, "/api/cli/selections/opus~low/command?account=codex:a").status == .notFound)
        let listed = await h.call(.get, "/api/cli/selections")
        #expect((listed.json["groups"] as? [String: [String]])?["opus"] == ["opus~low"])
        #expect(await h.call(.delete, "/api/cli/selections/opus~low").status == .noContent)
        #expect(await h.call(.delete, "/api/cli/selections/opus~low").status == .notFound)
        // Accounts: a bad id, a taken one, a home that is not there.
        #expect(h.errors(await h.call(.post, "/api/cli/codex/accounts", #"{"id":"claude:x"}"#)) == ["/id": "invalid_format"])
        #expect(await h.call(.post, "/api/cli/codex/accounts", #"{"id":"codex:a"}"#).status == .conflict)
        #expect(h.errors(await h.call(.post, "/api/cli/codex/accounts", #"{"id":"codex:b","home":"/nonexistent/x"}"#)) == ["/home": "not_found"])
    }

    // MARK: Sign-in through the CLI

    func waitFor(_ h: CLIHarness, _ path: String, until: (Response) -> Bool) async throws -> Response {
        for _ in 0..<200 {
            let r = await h.call(.get, path)
            if until(r) { return r }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("\(path) never got there: \(await h.call(.get, path).text)")
    }

    @Test func aClaudeSignInIsRelayedFromTheTerminalAndItsTokenFileIsNeverOpened() async throws {
        let h = try CLIHarness(tools: ["claude"])
        _ = await h.call(.post, "/api/cli/scan")
        let account = try await h.account("claude:max", signedIn: false)
        #expect((account["auth"] as? [String: Any])?["status"] as? String == "signed_out")
        let started = await h.call(.post, "/api/cli/claude/accounts/claude:max/login")
        #expect(started.status == .accepted)
        let path = "/api/cli/claude/accounts/claude:max/login"
        let waiting = try await waitFor(h, path) { $0.json["prompt"] as? String != nil }
        let url = try #require(waiting.json["url"] as? String)
        #expect(url.hasPrefix("https://claude.ai/oauth/authorize?"))
        #expect(waiting.json["prompt"] as? String == "Paste code here if prompted >")
        #expect(await h.call(.post, "/api/cli/claude/accounts/claude:max/login").status == .conflict)
        let state = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "state" }?.value)
        let sent = await h.call(.post, path + "/input", #"{"text":"AUTHCODE123#\#(state)"}"#)
        #expect(sent.status == .ok)
        let done = try await waitFor(h, path) { $0.json["status"] as? String != "running" }
        #expect(done.json["status"] as? String == "succeeded")
        #expect(!(done.json["output"] as? String ?? "").contains("AUTHCODE123"))
        let listed = await h.tool("claude")
        let auth = ((listed["accounts"] as? [[String: Any]])?.first?["auth"] as? [String: Any]) ?? [:]
        #expect(auth["status"] as? String == "signed_in")
        #expect(auth["email"] as? String == "fake-user@example.com")

        // The CLI's token file: watched from here on, opened by nobody while Switchboard scans, checks and routes.
        let home = account["home"] as? String ?? ""
        let tokenFile = home + "/.credentials.json"
        #expect(FileManager.default.fileExists(atPath: tokenFile))
        let watch = inotify_init1(Int32(IN_NONBLOCK))
        #expect(inotify_add_watch(watch, tokenFile, UInt32(IN_OPEN) | UInt32(IN_ACCESS)) >= 0)
        defer { close(watch) }
        _ = await h.call(.post, "/api/cli/scan")
        _ = await h.call(.post, "/api/cli/claude/accounts/claude:max/check")
        _ = await h.call(.get, "/api/cli")
        let runtime = try AdminTokens(database: h.t.database).create(name: "rt", scopes: TokenScopes.make(["runtime", "credentials"]).get()).secret
        let routed = await h.t.send(.post, "/api/route", headers: [.authorization: "Bearer \(runtime)", .contentType: "application/json"],
                                    body: #"{"model":"claude/claude-sonnet-4-5","withCredential":true}"#)
        #expect(routed.status == .ok)
        #expect(routed.json["credential"] == nil)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(watch, &buffer, buffer.count)
        #expect(n <= 0, "something opened the CLI's token file")
        // The home is the account's own, 0700.
        let mode = (try FileManager.default.attributesOfItem(atPath: home)[.posixPermissions] as? Int) ?? 0
        #expect(mode == 0o700)
    }

    @Test func aCodexDeviceSignInShowsItsCodeAndFinishesWhenApproved() async throws {
        let h = try CLIHarness(tools: ["codex"])
        _ = await h.call(.post, "/api/cli/scan")
        try await h.account("codex:team", signedIn: false)
        let path = "/api/cli/codex/accounts/codex:team/login"
        _ = await h.call(.post, path)
        let waiting = try await waitFor(h, path) { $0.json["code"] as? String != nil }
        #expect(waiting.json["url"] as? String == "https://auth.openai.com/codex/device")
        let code = try #require(waiting.json["code"] as? String)
        try h.fakes.approve(code: code)
        let done = try await waitFor(h, path) { $0.json["status"] as? String != "running" }
        #expect(done.json["status"] as? String == "succeeded")
        let audit = try h.t.database.auditEvents(before: nil, type: "cli.login.succeeded", limit: 5)
        #expect(audit.count == 1)
    }

    @Test func geminiAndOpencodeSignInsAreRelayedToo() async throws {
        let h = try CLIHarness(tools: ["gemini", "opencode"])
        _ = await h.call(.post, "/api/cli/scan")
        // Gemini: no status command; its settings and the presence of its token file say it is signed in.
        try await h.account("gemini:g", signedIn: false)
        let g = "/api/cli/gemini/accounts/gemini:g/login"
        _ = await h.call(.post, g)
        let asking = try await waitFor(h, g) { $0.json["prompt"] as? String == "Enter the authorization code:" }
        #expect((asking.json["url"] as? String)?.hasPrefix("https://accounts.google.com/o/oauth2/v2/auth?") == true)
        _ = await h.call(.post, g + "/input", #"{"text":"4/0AeanS0-google-code"}"#)
        let signedIn = try await waitFor(h, g) { $0.json["status"] as? String != "running" }
        #expect(signedIn.json["status"] as? String == "succeeded")
        #expect(h.fakes.calls().last { $0["tool"] as? String == "gemini" }.map { ($0["env"] as? [String: Any])?["NO_BROWSER"] as? String } == "true")
        // opencode: it asks for a provider first, then prints the URL and asks for the code.
        try await h.account("opencode:o", signedIn: false)
        let o = "/api/cli/opencode/accounts/opencode:o/login"
        _ = await h.call(.post, o)
        _ = try await waitFor(h, o) { ($0.json["output"] as? String ?? "").contains("Select provider") }
        _ = await h.call(.post, o + "/input", #"{"text":"1"}"#)
        let code = try await waitFor(h, o) { $0.json["url"] as? String != nil && $0.json["prompt"] as? String != nil }
        #expect(code.json["prompt"] as? String == "Paste the authorization code here:")
        let state = try #require(URLComponents(string: code.json["url"] as? String ?? "")?.queryItems?.first { $0.name == "state" }?.value)
        _ = await h.call(.post, o + "/input", #"{"text":"opencode-code#\#(state)"}"#)
        let done = try await waitFor(h, o) { $0.json["status"] as? String != "running" }
        #expect(done.json["status"] as? String == "succeeded")
        let auth = ((await h.tool("opencode"))["accounts"] as? [[String: Any]])?.first?["auth"] as? [String: Any]
        #expect(auth?["status"] as? String == "signed_in")
        #expect(auth?["detail"] as? String == "Anthropic oauth")
    }

    @Test func aSignInCanBeCancelledAndOneLeftWaitingTimesOut() async throws {
        let h = try CLIHarness(tools: ["codex"], loginTimeout: .seconds(1))
        _ = await h.call(.post, "/api/cli/scan")
        try await h.account("codex:a", signedIn: false)
        try await h.account("codex:b", signedIn: false)
        let a = "/api/cli/codex/accounts/codex:a/login", b = "/api/cli/codex/accounts/codex:b/login"
        _ = await h.call(.post, a)
        let cancelled = await h.call(.delete, a)
        #expect(cancelled.json["status"] as? String == "cancelled")
        #expect(await h.call(.post, a + "/input", #"{"text":"late"}"#).status == .conflict)
        _ = await h.call(.post, b)
        let timedOut = try await waitFor(h, b) { $0.json["status"] as? String != "running" }
        #expect(timedOut.json["status"] as? String == "timed_out")
        #expect(await h.call(.get, "/api/cli/codex/accounts/codex:zz/login").status == .notFound)
    }

    // MARK: Routing

    @Test func cliAccountsShareLoadCoolDownOnARateLimitAndComeBack() async throws {
        let fakes = try FakeCLIs(["codex"])
        let h = try await RoutingHarness(anthropic: [], tools: LocalToolService.Options(extraPaths: [fakes.bin.path], commandTimeout: .seconds(60),
                                                                                       searchPath: "/usr/bin:/bin"))
        _ = await h.t.bearer(.post, "/api/cli/scan")
        for id in ["codex:a", "codex:b", "codex:c"] {
            let r = await h.t.bearer(.post, "/api/cli/codex/accounts", headers: [.contentType: "application/json"], body: #"{"id":"\#(id)"}"#)
            try FakeCLIs.signIn(home: r.json["home"] as? String ?? "", tool: "codex")
            _ = await h.t.bearer(.post, "/api/cli/codex/accounts/\(id)/check")
        }
        let body = #"{"model":"codex/gpt-5.1-codex"}"#
        let spread = try await h.spread(300, body: body)
        #expect(spread.values.max()! - spread.values.min()! <= 2)
        #expect(spread.count == 3)
        // The runtime ran codex and got a 429: that account cools for a minute, the others serve.
        let d = try await h.decide(body)
        _ = try await h.report(d.id, "rate_limit")
        #expect(try await h.spread(30, body: body)[d.account] == nil)
        h.clock.advance(61)
        #expect(try await h.spread(30, body: body)[d.account] == 10)

        // The runtime reports Codex's usage headers: at 99 % of its window, the account is held back until the reset.
        var chosen = try await h.decide(body)
        while chosen.account != "codex:b" {
            _ = try await h.report(chosen.id, "ok")
            chosen = try await h.decide(body)
        }
        _ = try await h.report(chosen.id, "ok", extra: #","headers":{"x-codex-primary-used-percent":"99","x-codex-primary-reset-after-seconds":"600"}"#)
        #expect(try await h.spread(20, body: body)["codex:b"] == nil)
        let status = await h.call(.get, "/api/route/status")
        let windows = (status.json["accounts"] as? [[String: Any]])?.first { $0["account"] as? String == "codex:b" }?["windows"] as? [[String: Any]]
        #expect(windows?.first?["name"] as? String == "codex_primary")
        h.clock.advance(601)
        #expect(try await h.spread(30, body: body)["codex:b"] == 10)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
