import Core
import Cryptography
import Foundation
import Processes
import Storage

/// What a runtime runs for a decision that chose a CLI account: the argv (absolute path first), the
/// environment (the account's home and parameter variables; never a token), and how the prompt goes in.
public struct CLICommand: Sendable, Equatable, Encodable {
    public var argv: [String]
    public var env: [String: String]
    /// True: write the prompt to standard input. False: replace the argv item `{prompt}` with it.
    public var stdinPrompt: Bool
    /// The position of `{prompt}` in argv, when the prompt goes there.
    public var promptIndex: Int?
    /// The settings file written for the run (gemini's thinking settings), if any.
    public var settingsFile: String?

    public func write(into w: inout JSONWriter) {
        w.object { w in
            w.key("argv")
            w.value(.array(argv.map { .string($0) }))
            w.key("env")
            w.value(.object(env.mapValues { .string($0) }))
            if let promptIndex { w.member("promptIndex", promptIndex) }
            w.member("settingsFile", settingsFile)
            w.member("stdinPrompt", stdinPrompt)
        }
    }
}

/// A CLI account as routing sees it.
public struct CLIRoutable: Sendable, Equatable {
    public var id: String
    public var tool: String
    /// connected (signed in, CLI present), unavailable (CLI missing), signed_out, untested (not checked yet).
    public var status: String
    public var statusDetail: String?
    public var maxConcurrent: Int?
    /// The CLI's model ids.
    public var models: [String]
}

/// What routing needs of the CLIs, read once when routing's view is rebuilt (the store's CLI tables changed):
/// decisions build commands and find selections from it without touching the database.
public struct CLISnapshot: Sendable {
    let tools: [String: (path: String?, lastSeen: Date?, models: ToolModelSet?)]
    let accounts: [String: CLIAccountRow]
    public let selections: [String: CLISelection]

    /// Every CLI account with the models its CLI offers, for routing's view.
    public var routable: [CLIRoutable] {
        accounts.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map { a in
            let tool = tools[a.tool]
            let status: String, detail: String?
            if tool?.path == nil {
                status = "unavailable"
                detail = tool == nil ? "\(a.tool) has not been found on this server"
                                     : "\(a.tool) is no longer installed (last seen \(tool?.lastSeen.map { UTCStamp.string($0) } ?? "never"))"
            } else {
                switch a.authStatus {
                case "signed_in": status = "connected"; detail = nil
                case "signed_out": status = "signed_out"; detail = "\(a.tool) reports the account is not signed in: sign in through the CLI"
                default: status = "untested"; detail = a.authDetail
                }
            }
            return CLIRoutable(id: a.id, tool: a.tool, status: status, statusDetail: detail, maxConcurrent: a.maxConcurrent,
                               models: tool?.models?.models.map(\.id) ?? [])
        }
    }
}

extension LocalToolService {
    public func snapshot() throws -> CLISnapshot {
        var tools: [String: (path: String?, lastSeen: Date?, models: ToolModelSet?)] = [:]
        for t in try database.cliTools() { tools[t.name] = (t.path, t.lastSeen, t.models.flatMap(Self.decodeModels)) }
        let accounts = Dictionary(uniqueKeysWithValues: try database.cliAccounts().map { ($0.id, $0) })
        let selections = Dictionary(uniqueKeysWithValues: try database.cliSelections().map { ($0.name, CLISelection($0)) })
        return CLISnapshot(tools: tools, accounts: accounts, selections: selections)
    }

    /// Every CLI account with the models its CLI offers.
    public func routable() throws -> [CLIRoutable] { try snapshot().routable }

    /// The command for `account` to run `model` with `values` (checked again here: a selection stored before the
    /// CLI changed may name a value it no longer takes).
    public func command(in snapshot: CLISnapshot, account id: String, tool name: String, model modelID: String, values: [String: JSONValue],
                        promptMode: PromptMode) throws -> CLICommand {
        let tool = try tool(name)
        guard let account = snapshot.accounts[id], account.tool == name else { throw Failure.unknownAccount(id) }
        guard let entry = snapshot.tools[name], let path = entry.path else { throw Failure.notInstalled(name) }
        let set = entry.models
        guard let model = set?.model(modelID) else { throw Failure.unknownModel(tool: name, model: modelID) }
        let checked: [String: String]
        switch ParameterValues.check(values, for: model) {
        case .valid(let c): checked = c
        case .invalid(let e): throw Failure.invalid(e)
        }
        var argv = [path] + tool.runArguments
        var env = ProcessEnvironment.allowListed(adding: tool.homeEnvironment(account.home), from: ["PATH": options.searchPath])
        var settings = set?.settingsBase.map { Self.substitute($0, model: model.id) }
        var usesSettings = false
        var flags: [String] = []
        for p in model.parameters {
            guard let value = checked[p.name] else { continue }
            switch p.mapping {
            case .flag(let template):
                if p.type == .boolean && !template.contains(where: { $0.contains("{value}") }) {
                    if value == "true" { flags += template }
                } else {
                    flags += template.map { $0.replacingOccurrences(of: "{value}", with: value) }
                }
            case .environment(let variable, let template):
                env[variable] = template.replacingOccurrences(of: "{value}", with: value)
            case .settings(let pointer):
                guard let path = JSONPointer.parse(pointer) else { continue }
                let typed: JSONValue = p.type == .number ? .number(Double(value) ?? 0) : p.type == .boolean ? .bool(value == "true") : .string(value)
                settings = (settings ?? .object([:])).setting(typed, at: path)
                usesSettings = true
            }
        }
        let modelName = usesSettings ? (set?.settingsModelName ?? model.id) : model.id
        argv += tool.modelFlag.map { $0.replacingOccurrences(of: "{model}", with: modelName) }
        argv += flags
        var settingsFile: String?
        if usesSettings, let settings {
            settingsFile = try writeSettings(settings, tool: name)
            env["GEMINI_CLI_SYSTEM_SETTINGS_PATH"] = settingsFile
        }
        var promptIndex: Int?
        switch promptMode {
        case .stdin:
            argv += tool.stdinArguments
        case .arg:
            argv += tool.promptArguments
            promptIndex = argv.lastIndex(of: "{prompt}")
        }
        return CLICommand(argv: argv, env: env, stdinPrompt: promptMode == .stdin, promptIndex: promptIndex, settingsFile: settingsFile)
    }

    /// The command a selection gives `account` (its first account, else the CLI's first, when nil): what a
    /// decision for it would carry, without deciding anything (the page's Save & Test).
    public func preview(selection name: String, account: String?) throws -> (account: String, command: CLICommand) {
        let snapshot = try snapshot()
        guard let selection = snapshot.selections[name] else { throw Failure.unknownSelection(name) }
        let candidates = selection.accounts.isEmpty
            ? snapshot.accounts.values.filter { $0.tool == selection.tool }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map(\.id)
            : selection.accounts
        guard let id = account ?? candidates.first else {
            throw Failure.invalid([FieldError(pointer: "/accounts", code: "required", message: "\(selection.tool) has no account to run it")])
        }
        guard candidates.contains(id) else { throw Failure.unknownAccount(id) }
        let command = try self.command(in: snapshot, account: id, tool: selection.tool, model: selection.modelID, values: selection.parameterValues,
                                       promptMode: PromptMode(rawValue: selection.promptMode) ?? .stdin)
        return (id, command)
    }

    static func substitute(_ value: JSONValue, model: String) -> JSONValue {
        switch value {
        case .string(let s): return .string(s.replacingOccurrences(of: "{model}", with: model))
        case .array(let a): return .array(a.map { substitute($0, model: model) })
        case .object(let o): return .object(o.mapValues { substitute($0, model: model) })
        default: return value
        }
    }

    /// Settings files are named by their content, so equal selections share one and a file never changes
    /// under a running CLI.
    func writeSettings(_ settings: JSONValue, tool: String) throws -> String {
        let text = settings.serialized
        let name = Digest.sha256Hex(text).prefix(24)
        let dir = stateDirectory.appendingPathComponent("cli/settings")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = dir.appendingPathComponent("\(tool)-\(name).json").path
        if !FileManager.default.fileExists(atPath: file) {
            try DurableFile.write(Array(text.utf8), to: URL(fileURLWithPath: file))
        }
        return file
    }
}
