import Accounts
import Core
import Foundation
import Processes
import Storage
import Synchronization

/// Provider CLIs: finds them and their versions, keeps their models in step, their accounts (each with a
/// home of its own), sign-ins relayed from the CLI, model selections, and the command a runtime runs.
///
/// Switchboard never reads, copies or reuses a CLI's tokens: it runs the CLI and asks it.
public final class LocalToolService: Sendable {
    public struct Options: Sendable {
        /// Directories searched before `PATH`, in order.
        public var extraPaths: [String]
        /// Each CLI command's time limit (versions, sign-in status, model lists).
        public var commandTimeout: Duration
        /// How long a relayed sign-in may wait for the operator.
        public var loginTimeout: Duration
        /// The `PATH` searched (Switchboard's own by default).
        public var searchPath: String

        public init(extraPaths: [String] = [], commandTimeout: Duration = .seconds(15), loginTimeout: Duration = .seconds(600),
                    searchPath: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") {
            self.extraPaths = extraPaths
            self.commandTimeout = commandTimeout
            self.loginTimeout = loginTimeout
            self.searchPath = searchPath
        }
    }

    public enum Failure: Error, Sendable {
        case unknownTool(String)
        case notInstalled(String)
        case invalid([FieldError])
        case unknownAccount(String)
        case accountExists(String)
        case unknownSelection(String)
        case selectionConflict(String, current: Int?)
        case selectionExists(String)
        case loginRunning(String)
        case noLogin(String)
        case loginEnded(String)
        case unknownModel(tool: String, model: String)
    }

    public let database: AppDatabase
    let stateDirectory: URL
    let runner: ProcessRunner
    let clock: @Sendable () -> Date
    public let options: Options
    let logins = Locked<[String: LoginSession]>([:])
    let scanning = Mutex<Task<Void, Never>?>(nil)
    let periodic = Mutex<Task<Void, Never>?>(nil)
    /// Scans one at a time: a second caller waits for the running one and then scans again itself.
    let scanGate = AsyncGate()

    public init(database: AppDatabase, stateDirectory: URL, options: Options = Options(), runner: ProcessRunner = ProcessRunner(),
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.stateDirectory = stateDirectory
        self.options = options
        self.runner = runner
        self.clock = clock
    }

    public func tool(_ name: String) throws(Failure) -> ToolDefinition {
        guard let t = ToolDefinition.named(name) else { throw .unknownTool(name) }
        return t
    }

    // MARK: Finding the CLIs

    /// The first executable named like the CLI in the operator's paths, then in `PATH`.
    func locate(_ tool: ToolDefinition) -> String? {
        let dirs = options.extraPaths + options.searchPath.split(separator: ":").map(String.init)
        for dir in dirs where dir.hasPrefix("/") {
            let path = (dir as NSString).appendingPathComponent(tool.executable)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
               FileManager.default.isExecutableFile(atPath: path) {
                return path
            }
        }
        return nil
    }

    /// Looks for every known CLI, records versions, notices and models, and checks each account's sign-in.
    public func scan(actor: String = "system") async throws {
        // One CLI's failure (a store that refuses the write) does not keep the others from being looked at.
        let failure = Locked<(any Error)?>(nil)
        await scanGate.run {
            for tool in ToolDefinition.all {
                do { try await self.scan(tool, actor: actor) } catch { failure.withLock { $0 = $0 ?? error } }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    func scan(_ tool: ToolDefinition, actor: String) async throws {
        let now = clock()
        let stored = try database.cliTools().first { $0.name == tool.name }
        var row = stored ?? CLIToolRow(name: tool.name, updatedAt: now)
        var notices: [(kind: String, message: String)] = []
        var events: [AuditEntry] = []
        guard let path = locate(tool) else {
            if let stored, let old = stored.path {
                row.path = nil
                row.updatedAt = now
                notices.append(("removed", "\(tool.name) is no longer found (it was \(stored.version ?? "installed") at \(old)); its accounts are unavailable until it is back"))
                events.append(AuditEntry("cli.removed", actor: actor, target: tool.name, detail: .object(["path": .string(old)])))
                try database.saveCLITool(row, notices: notices, events: events, at: now)
            }
            return
        }
        var versionText: String?
        var versionProblem: String?
        do {
            let out = try await runner.run(command(tool, tool.versionArguments, home: nil))
            if out.succeeded {
                versionText = out.combined.trimmingCharacters(in: .whitespacesAndNewlines).split(whereSeparator: \.isNewline).first.map(String.init)
            } else {
                versionProblem = "\(tool.name) --version failed: \(String(out.combined.prefix(200)))"
            }
        } catch {
            versionProblem = "\(tool.name) --version: \(error)"
        }
        let version = versionText.flatMap(ToolDefinition.parseVersion)
        let wasPresent = stored?.path != nil
        row.path = path
        row.lastSeen = now
        if row.firstSeen == nil { row.firstSeen = now }
        row.versionText = versionText ?? row.versionText
        row.updatedAt = now
        var needsSync = row.models == nil
        if !wasPresent {
            let again = stored != nil
            notices.append(("installed", "\(tool.name) \(version ?? "(version unknown)") \(again ? "is back" : "found") at \(path)"))
            events.append(AuditEntry("cli.installed", actor: actor, target: tool.name,
                                     detail: .object(["path": .string(path), "version": version.map { .string($0) } ?? .null])))
            needsSync = true
            row.version = version ?? row.version
        } else if let version, let before = stored?.version, version != before {
            row.stale = true
            row.version = version
            needsSync = true
            events.append(AuditEntry("cli.updated", actor: actor, target: tool.name,
                                     detail: .object(["from": .string(before), "to": .string(version)])))
            let previous = stored?.models.flatMap(Self.decodeModels)
            let (fresh, problem) = await loadModels(tool, path: path)
            var message = "\(tool.name) updated from \(before) to \(version)"
            if let fresh {
                row.take(fresh, at: now)
                message += ": " + ModelChanges.describe(from: previous, to: fresh, installed: version)
            } else {
                row.syncError = problem
                message += ": models could not be re-synced (\(problem ?? "no answer")); the previous list is kept"
            }
            notices.append(("updated", message))
            needsSync = false
        } else if let version, stored?.version == nil {
            row.version = version
        }
        if needsSync {
            let (fresh, problem) = await loadModels(tool, path: path)
            if let fresh {
                row.take(fresh, at: now)
            } else {
                row.syncError = problem
                let message = "\(tool.name): models could not be read (\(problem ?? "no answer"))"
                if try database.cliNotices(perTool: 1)[tool.name]?.first?.message != message { notices.append(("sync_failed", message)) }
            }
        }
        // Last, and said once, not on every scan while it lasts (it is then the newest notice).
        if let versionProblem, try database.cliNotices(perTool: 1)[tool.name]?.first?.message != versionProblem {
            notices.append(("version_unknown", versionProblem))
        }
        try database.saveCLITool(row, notices: notices, events: events, at: now)
        for account in try database.cliAccounts() where account.tool == tool.name {
            _ = try? await checkAuth(account, tool: tool, path: path)
        }
    }

    /// Reads the models again (`POST /api/cli/{name}/sync`) and clears the stale mark: the operator has seen the notice.
    public func sync(_ name: String, actor: String) async throws {
        // In line with scans: both write the CLI's row.
        let result = Locked<(any Error)?>(nil)
        await scanGate.run {
            do { try await self.syncNow(name, actor: actor) } catch { result.withLock { $0 = error } }
        }
        if let error = result.withLock({ $0 }) { throw error }
    }

    func syncNow(_ name: String, actor: String) async throws {
        let tool = try tool(name)
        guard let path = locate(tool) else { throw Failure.notInstalled(name) }
        let now = clock()
        if try database.cliTools().first(where: { $0.name == name }) == nil { try await scan(tool, actor: actor) }
        guard var row = try database.cliTools().first(where: { $0.name == name }) else { throw Failure.notInstalled(name) }
        let previous = row.models.flatMap(Self.decodeModels)
        let (fresh, problem) = await loadModels(tool, path: path)
        var notices: [(kind: String, message: String)] = []
        if let fresh {
            row.take(fresh, at: now)
            row.stale = false
            notices.append(("synced", "\(name) synced: " + ModelChanges.describe(from: previous, to: fresh, installed: row.version)))
        } else {
            row.syncError = problem
            notices.append(("sync_failed", "\(name): models could not be read (\(problem ?? "no answer"))"))
        }
        row.updatedAt = now
        try database.saveCLITool(row, notices: notices,
                                 events: [AuditEntry("cli.synced", actor: actor, target: name, detail: .object(["ok": .bool(fresh != nil)]))], at: now)
        if fresh == nil { throw Failure.invalid([FieldError(pointer: "", code: "sync_failed", message: problem ?? "no answer")]) }
    }

    /// Models from the CLI itself, or from the shipped data file.
    func loadModels(_ tool: ToolDefinition, path: String) async -> (ToolModelSet?, String?) {
        guard let arguments = tool.modelsArguments else {
            guard let set = ShippedModels.load(tool.name) else { return (nil, "the shipped data file for \(tool.name) is missing") }
            return (set, nil)
        }
        do {
            var c = command(tool, arguments, home: nil)
            c.outputLimit = 8 << 20
            c.executable = path
            let out = try await runner.run(c)
            guard out.succeeded else { return (nil, "\(tool.name) \(arguments.joined(separator: " ")) failed: \(String(out.combined.prefix(200)))") }
            guard let models = tool.parseModels(out.standardOutput), !models.isEmpty else {
                return (nil, "\(tool.name) \(arguments.joined(separator: " ")) printed no models Switchboard could read")
            }
            return (ToolModelSet(models: models, source: "cli", version: nil), nil)
        } catch {
            return (nil, "\(tool.name) \(arguments.joined(separator: " ")): \(error)")
        }
    }

    /// A command for `tool` with a minimal environment: the account's home when there is one, else a scratch
    /// home under the state directory (so a version check never reads the operator's own configuration).
    func command(_ tool: ToolDefinition, _ arguments: [String], home: String?) -> ProcessCommand {
        let h = home ?? scratchHome(tool)
        return ProcessCommand(executable: locate(tool) ?? tool.executable, arguments: arguments,
                              environment: ProcessEnvironment.allowListed(adding: tool.homeEnvironment(h), from: ["PATH": options.searchPath]),
                              workingDirectory: h, timeout: options.commandTimeout, outputLimit: 1 << 20)
    }

    func scratchHome(_ tool: ToolDefinition) -> String {
        let dir = stateDirectory.appendingPathComponent("cli/scratch/\(tool.name)").path
        // Made once: every version check and model list runs here, and the directories rarely go away.
        for d in tool.homeDirectories(dir) where !FileManager.default.fileExists(atPath: d) {
            try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        return dir
    }

    static func encodeModels(_ set: ToolModelSet) -> String {
        String(decoding: (try? JSONEncoder().encode(set)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decodeModels(_ text: String) -> ToolModelSet? {
        try? JSONDecoder().decode(ToolModelSet.self, from: Data(text.utf8))
    }

    /// The models of `name` as last synced.
    public func models(_ name: String) throws -> (ToolDefinition, CLIToolRow?, ToolModelSet?) {
        let tool = try tool(name)
        let row = try database.cliTools().first { $0.name == name }
        return (tool, row, row?.models.flatMap(Self.decodeModels))
    }

    // MARK: In the background

    /// Scans now and then every `interval` until `stop()`.
    public func start(every interval: Duration?) {
        periodic.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in
                try? await scan()
                guard let interval else { return }
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { break }
                    try? await scan()
                }
            }
        }
    }

    /// `stop()` from synchronous code (the end of `serve`), waiting at most `grace`.
    public func stopBlocking(grace: Duration) {
        let done = DispatchSemaphore(value: 0)
        Task { await stop(); done.signal() }
        _ = done.wait(timeout: .now() + grace.timeInterval)
    }

    public func stop() async {
        let task = periodic.withLock { t -> Task<Void, Never>? in defer { t = nil }; return t }
        task?.cancel()
        let sessions = logins.withLock { Array($0.values) }
        for s in sessions { await s.terminal.terminate() }
    }
}

extension CLIToolRow {
    /// The models a sync read, stored on the row.
    mutating func take(_ set: ToolModelSet, at now: Date) {
        models = LocalToolService.encodeModels(set)
        modelsSource = set.source
        modelsVersion = set.version
        syncedAt = now
        syncError = nil
    }
}

/// Runs one body at a time, in arrival order, without blocking a thread.
final class AsyncGate: Sendable {
    let tail = Mutex<Task<Void, Never>?>(nil)

    func run(_ body: @escaping @Sendable () async -> Void) async {
        let task = tail.withLock { t -> Task<Void, Never> in
            let previous = t
            let next = Task {
                await previous?.value
                await body()
            }
            t = next
            return next
        }
        await task.value
    }
}

/// The notice's summary of what changed between two model lists.
enum ModelChanges {
    static func describe(from old: ToolModelSet?, to new: ToolModelSet, installed: String?) -> String {
        var parts = ["models re-synced"]
        if let old {
            let before = Set(old.models.map(\.id)), after = Set(new.models.map(\.id))
            let added = after.subtracting(before).sorted(), removed = before.subtracting(after).sorted()
            if !added.isEmpty { parts.append("\(added.count) new model\(added.count == 1 ? "" : "s") (\(added.joined(separator: ", ")))") }
            if !removed.isEmpty { parts.append("\(removed.count) model\(removed.count == 1 ? "" : "s") gone (\(removed.joined(separator: ", ")))") }
            // New values an enum parameter takes, across the models both lists have.
            var gained: [String: (label: String, values: Set<String>)] = [:]
            for m in new.models {
                guard let previous = old.model(m.id) else { continue }
                for p in m.parameters where p.type == .enumeration {
                    let was = Set(previous.parameter(p.name)?.options?.map(\.value) ?? [])
                    let now = Set(p.options?.map(\.value) ?? [])
                    let extra = now.subtracting(was)
                    if !extra.isEmpty { gained[p.name, default: (p.label, [])].values.formUnion(extra) }
                }
            }
            for (_, g) in gained.sorted(by: { $0.key < $1.key }) {
                parts.append("\(g.label.lowercased()) now accepts \(g.values.sorted().joined(separator: ", "))")
            }
            if added.isEmpty && removed.isEmpty && gained.isEmpty { parts.append("no model changes") }
        } else {
            parts.append("\(new.models.count) model\(new.models.count == 1 ? "" : "s")")
        }
        if new.source == "data", let written = new.version, let installed, written != installed {
            parts.append("parameters come from data written for \(written): check them, then Sync")
        }
        return parts.joined(separator: "; ")
    }
}
