import Core
import Foundation
import Processes

/// What a CLI said about an account's sign-in.
public struct AuthReport: Sendable, Equatable {
    public enum Status: String, Sendable { case signedIn = "signed_in", signedOut = "signed_out", unknown }
    public var status: Status
    public var detail: String?
    public var email: String?
    public var plan: String?
}

/// How a run gets its prompt: on standard input, or as the argument in `argv` that reads `{prompt}`.
public enum PromptMode: String, Sendable, CaseIterable { case stdin, arg }

/// Everything Switchboard knows about one provider CLI: how to find it and read its version, how an
/// account's home is laid out, how to ask it about sign-in, how it lists its models (or which shipped data
/// file describes them), and the shape of a non-interactive run. One value per CLI; adding a CLI is adding
/// one here (the README says how).
public struct ToolDefinition: Sendable {
    public let name: String
    public let displayName: String
    /// The provider the CLI signs in to, for people reading the page.
    public let vendor: String
    let executable: String
    let versionArguments: [String]
    /// The environment that gives a run the account's own home (every variable the CLI reads for it).
    let homeEnvironment: @Sendable (_ home: String) -> [String: String]
    /// Directories made before the CLI first runs with a new home.
    let homeDirectories: @Sendable (_ home: String) -> [String]
    /// The command that reports sign-in, or nil when the CLI has none (gemini: its settings are read).
    let authArguments: [String]?
    let readAuth: @Sendable (_ output: ProcessOutput?, _ home: String) -> AuthReport
    /// The CLI's own sign-in, run in a pseudo-terminal, with what it needs to print a URL instead of opening a browser.
    let loginArguments: [String]
    let loginEnvironment: [String: String]
    /// The command that lists models, or nil when a shipped data file describes them.
    let modelsArguments: [String]?
    let parseModels: @Sendable (String) -> [ToolModel]?
    /// A non-interactive run: the arguments before the model, how the model is named, and how the prompt goes in.
    let runArguments: [String]
    let modelFlag: [String]
    let stdinArguments: [String]
    let promptArguments: [String]

    /// `2.1.211 (Claude Code)` → `2.1.211`; `codex-cli 0.77.0` → `0.77.0`.
    public static func parseVersion(_ text: String) -> String? {
        guard let m = text.firstMatch(of: #/(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.\-]+)?/#) else { return nil }
        return String(m.output.0)
    }

    public static let all: [ToolDefinition] = [.claude, .codex, .gemini, .opencode]
    public static func named(_ name: String) -> ToolDefinition? { all.first { $0.name == name } }
}

extension ToolDefinition {
    static let claude = ToolDefinition(
        name: "claude", displayName: "Claude Code", vendor: "Anthropic", executable: "claude", versionArguments: ["--version"],
        homeEnvironment: { ["CLAUDE_CONFIG_DIR": $0, "HOME": $0] },
        homeDirectories: { [$0] },
        authArguments: ["auth", "status", "--json"],
        readAuth: { output, _ in
            // `claude auth status` prints JSON with `loggedIn`, `authMethod`, `email`, `subscriptionType`.
            guard let output else { return AuthReport(status: .unknown, detail: "claude auth status did not run") }
            let text = output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let json = JSONValue.parse(Array(text.utf8)), let object = json.objectValue, let loggedIn = object["loggedIn"]?.boolValue else {
                return AuthReport(status: .unknown, detail: "claude auth status printed no status: \(String(output.combined.prefix(200)))")
            }
            let method = object["authMethod"]?.stringValue
            return AuthReport(status: loggedIn ? .signedIn : .signedOut,
                              detail: loggedIn ? "signed in with \(method ?? "an unknown method")" : "not signed in",
                              email: object["email"]?.stringValue, plan: object["subscriptionType"]?.stringValue)
        },
        loginArguments: ["auth", "login"], loginEnvironment: [:],
        modelsArguments: nil, parseModels: { _ in nil },
        runArguments: ["-p", "--output-format", "json"], modelFlag: ["--model", "{model}"], stdinArguments: [], promptArguments: ["{prompt}"])

    static let codex = ToolDefinition(
        name: "codex", displayName: "Codex CLI", vendor: "OpenAI", executable: "codex", versionArguments: ["--version"],
        // CODEX_HOME must exist before codex runs (it refuses a missing one).
        homeEnvironment: { ["CODEX_HOME": $0, "HOME": $0] },
        homeDirectories: { [$0] },
        authArguments: ["login", "status"],
        readAuth: { output, _ in
            // `codex login status`: "Logged in using ChatGPT" (exit 0), "Not logged in" (exit 1); on either stream.
            guard let output else { return AuthReport(status: .unknown, detail: "codex login status did not run") }
            let text = output.combined.trimmingCharacters(in: .whitespacesAndNewlines)
            let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            if output.succeeded && text.localizedCaseInsensitiveContains("logged in") && !text.localizedCaseInsensitiveContains("not logged in") {
                return AuthReport(status: .signedIn, detail: line, plan: text.contains("ChatGPT") ? "chatgpt" : (text.contains("API key") ? "api_key" : nil))
            }
            if text.localizedCaseInsensitiveContains("not logged in") { return AuthReport(status: .signedOut, detail: "not signed in") }
            return AuthReport(status: .unknown, detail: "codex login status: \(String(text.prefix(200)))")
        },
        // Device-code sign-in: made for a machine without a browser.
        loginArguments: ["login", "--device-auth"], loginEnvironment: [:],
        modelsArguments: ["debug", "models"], parseModels: CodexModels.parse,
        runArguments: ["exec", "--skip-git-repo-check"], modelFlag: ["--model", "{model}"], stdinArguments: ["-"], promptArguments: ["{prompt}"])

    static let gemini = ToolDefinition(
        name: "gemini", displayName: "Gemini CLI", vendor: "Google", executable: "gemini", versionArguments: ["--version"],
        // Without a keychain on a server, gemini must keep its sign-in in files under its home.
        homeEnvironment: { ["GEMINI_CLI_HOME": $0, "GEMINI_FORCE_FILE_STORAGE": "true", "HOME": $0] },
        homeDirectories: { [$0, $0 + "/.gemini"] },
        authArguments: nil,
        readAuth: { _, home in
            // Gemini has no status command: its settings say which sign-in it uses. Its token file is only
            // checked to exist (stat), never opened.
            let settings = home + "/.gemini/settings.json"
            guard let data = FileManager.default.contents(atPath: settings), data.count < 1 << 20,
                  let json = JSONValue.parse(Array(data)) else { return AuthReport(status: .signedOut, detail: "no sign-in chosen in gemini's settings") }
            let type = json.value(at: ["security", "auth", "selectedType"])?.stringValue ?? json.value(at: ["selectedAuthType"])?.stringValue
            guard let type else { return AuthReport(status: .signedOut, detail: "no sign-in chosen in gemini's settings") }
            if type == "oauth-personal" {
                let signedIn = FileManager.default.fileExists(atPath: home + "/.gemini/oauth_creds.json")
                return AuthReport(status: signedIn ? .signedIn : .signedOut,
                                  detail: signedIn ? "signed in with Google" : "Google sign-in chosen, but not completed", plan: "oauth-personal")
            }
            return AuthReport(status: .signedIn, detail: "uses \(type)", plan: type)
        },
        // Run with no prompt and NO_BROWSER, gemini prints the Google sign-in URL and asks for the code.
        loginArguments: [], loginEnvironment: ["NO_BROWSER": "true"],
        modelsArguments: nil, parseModels: { _ in nil },
        runArguments: [], modelFlag: ["--model", "{model}"], stdinArguments: [], promptArguments: ["-p", "{prompt}"])

    static let opencode = ToolDefinition(
        name: "opencode", displayName: "opencode", vendor: "opencode (any provider)", executable: "opencode", versionArguments: ["--version"],
        homeEnvironment: { ["HOME": $0, "XDG_CONFIG_HOME": $0 + "/.config", "XDG_DATA_HOME": $0 + "/.local/share",
                            "XDG_CACHE_HOME": $0 + "/.cache", "XDG_STATE_HOME": $0 + "/.local/state"] },
        homeDirectories: { [$0, $0 + "/.config", $0 + "/.local/share", $0 + "/.cache", $0 + "/.local/state"] },
        authArguments: ["auth", "list"],
        readAuth: { output, _ in
            // `opencode auth list`: one "●  Provider method" line per credential, then "└  N credentials".
            guard let output else { return AuthReport(status: .unknown, detail: "opencode auth list did not run") }
            let text = ToolText.plain(output.combined)
            let entries = text.split(whereSeparator: \.isNewline).compactMap { line -> String? in
                let t = line.trimmingCharacters(in: .whitespaces)
                guard t.hasPrefix("●") else { return nil }
                return t.dropFirst().trimmingCharacters(in: .whitespaces)
            }
            if !entries.isEmpty { return AuthReport(status: .signedIn, detail: entries.joined(separator: ", ")) }
            if text.contains(#/\b0\s+credentials?/#) { return AuthReport(status: .signedOut, detail: "no credentials") }
            return AuthReport(status: .unknown, detail: "opencode auth list: \(String(text.prefix(200)))")
        },
        loginArguments: ["auth", "login"], loginEnvironment: [:],
        modelsArguments: ["models", "--verbose"], parseModels: OpencodeModels.parse,
        runArguments: ["run"], modelFlag: ["--model", "{model}"], stdinArguments: [], promptArguments: ["{prompt}"])
}

/// Terminal output made plain: escape sequences and carriage returns out.
public enum ToolText {
    public static func plain(_ s: String) -> String {
        var out = s.replacing(#/\x1B\[[0-9;?]*[ -\/]*[@-~]/#, with: "")
        out = out.replacing(#/\x1B\][^\x07\x1B]*(?:\x07|\x1B\\)/#, with: "")
        out = out.replacing(#/\x1B[@-Z\\-_]/#, with: "")
        out = out.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return out
    }
}

/// `codex debug models`: `{"models": [{"slug", "display_name", "description", "default_reasoning_level",
/// "supported_reasoning_levels": [{"effort", "description"}] | ["low", …], "context_window", "visibility"}]}`.
enum CodexModels {
    static func parse(_ text: String) -> [ToolModel]? {
        guard let start = text.firstIndex(where: { $0 == "{" || $0 == "[" }),
              let json = JSONValue.parse(Array(text[start...].utf8)) else { return nil }
        guard let list = json.objectValue?["models"]?.arrayValue ?? json.arrayValue else { return nil }
        var models: [ToolModel] = []
        for item in list {
            guard let o = item.objectValue, let slug = o["slug"]?.stringValue ?? o["id"]?.stringValue, !slug.isEmpty else { continue }
            if o["visibility"]?.stringValue == "hide" { continue }
            let levels: [ToolParameter.Option] = (o["supported_reasoning_levels"]?.arrayValue ?? o["supported_reasoning_efforts"]?.arrayValue ?? [])
                .compactMap { level in
                    if let s = level.stringValue { return ToolParameter.Option(value: s) }
                    guard let effort = level.objectValue?["effort"]?.stringValue else { return nil }
                    return ToolParameter.Option(value: effort, description: level.objectValue?["description"]?.stringValue)
                }
            var parameters: [ToolParameter] = []
            if !levels.isEmpty {
                let d = o["default_reasoning_level"]?.stringValue ?? o["default_reasoning_effort"]?.stringValue
                parameters.append(ToolParameter(name: "reasoningEffort", label: "Reasoning effort",
                                                description: "How long the model reasons before it answers.", type: .enumeration, options: levels,
                                                defaultValue: d.map { .string($0) }, mapping: .flag(["-c", "model_reasoning_effort={value}"])))
                parameters.append(ToolParameter(name: "reasoningSummary", label: "Reasoning summary",
                                                description: "Whether and how the model's reasoning is summarised in the output.",
                                                type: .enumeration, options: ["auto", "concise", "detailed", "none"].map { ToolParameter.Option(value: $0) },
                                                defaultValue: .string("auto"), mapping: .flag(["-c", "model_reasoning_summary={value}"])))
            }
            parameters.append(ToolParameter(name: "webSearch", label: "Web search", description: "Let the model search the web.",
                                            type: .boolean, defaultValue: .bool(false), mapping: .flag(["-c", "tools.web_search={value}"])))
            parameters.append(ToolParameter(name: "sandbox", label: "Sandbox", description: "What commands the model runs may touch.",
                                            type: .enumeration,
                                            options: [ToolParameter.Option(value: "read-only", label: "Read only"),
                                                      ToolParameter.Option(value: "workspace-write", label: "Workspace write"),
                                                      ToolParameter.Option(value: "danger-full-access", label: "Full access",
                                                                           description: "No sandbox; only inside a container.")],
                                            defaultValue: .string("read-only"), mapping: .flag(["--sandbox", "{value}"])))
            models.append(ToolModel(id: slug, name: o["display_name"]?.stringValue ?? slug, description: o["description"]?.stringValue,
                                    contextWindow: o["context_window"]?.intValue, parameters: parameters))
        }
        return models
    }
}

/// `opencode models --verbose`: each model's `provider/model` line followed by its JSON object (`limit`,
/// `capabilities`, `variants`: the reasoning variants `--variant` takes).
enum OpencodeModels {
    static func parse(_ text: String) -> [ToolModel]? {
        let lines = ToolText.plain(text).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var models: [ToolModel] = []
        var i = 0
        while i < lines.count {
            let id = lines[i].trimmingCharacters(in: .whitespaces)
            i += 1
            guard !id.isEmpty, !id.hasPrefix("{"), id.contains("/"), !id.contains(" ") else { continue }
            var object: JSONValue?
            if i < lines.count, lines[i].trimmingCharacters(in: .whitespaces).hasPrefix("{") {
                var depth = 0, body = ""
                while i < lines.count {
                    let line = lines[i]
                    body += line + "\n"
                    i += 1
                    for ch in line { if ch == "{" { depth += 1 } else if ch == "}" { depth -= 1 } }
                    if depth <= 0 { break }
                }
                object = JSONValue.parse(Array(body.utf8))
            }
            if let status = object?.objectValue?["status"]?.stringValue, status != "active" { continue }
            let variants = object?.objectValue?["variants"]?.objectValue?.keys.sorted { Self.order($0) < Self.order($1) } ?? []
            var parameters: [ToolParameter] = []
            if !variants.isEmpty {
                parameters.append(ToolParameter(name: "variant", label: "Variant",
                                                description: "The model's reasoning variant, as opencode names it.", type: .enumeration,
                                                options: variants.map { ToolParameter.Option(value: $0) }, mapping: .flag(["--variant", "{value}"])))
            }
            let o = object?.objectValue
            models.append(ToolModel(id: id, name: o?["name"]?.stringValue ?? id, description: nil,
                                    contextWindow: o?["limit"]?.objectValue?["context"]?.intValue,
                                    maxOutputTokens: o?["limit"]?.objectValue?["output"]?.intValue, parameters: parameters))
        }
        return models
    }

    static func order(_ v: String) -> String {
        let ladder = ["none", "minimal", "low", "medium", "high", "xhigh", "max"]
        return ladder.firstIndex(of: v).map { String($0) } ?? "z" + v
    }
}
