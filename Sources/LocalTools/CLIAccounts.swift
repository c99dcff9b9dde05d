import Accounts
import Core
import Foundation
import Processes
import Storage

/// An account of a CLI as the API shows it.
public struct CLIAccountView: Sendable, Encodable, Equatable {
    public struct Auth: Sendable, Encodable, Equatable {
        public var status: String
        @EncodedAsNull public var detail: String?
        @EncodedAsNull public var email: String?
        @EncodedAsNull public var plan: String?
        @EncodedAsNull public var checkedAt: Date?
    }
    public var id: String
    public var tool: String
    public var displayName: String
    public var home: String
    /// Made by Switchboard under the state directory (removed with the account), or the operator's own.
    public var managed: Bool
    public var auth: Auth
    @EncodedAsNull public var maxConcurrent: Int?
    public var createdAt: Date

    init(_ r: CLIAccountRow) {
        id = r.id; tool = r.tool; displayName = r.displayName; home = r.home; managed = r.managed
        auth = Auth(status: r.authStatus, detail: r.authDetail, email: r.authEmail, plan: r.authPlan, checkedAt: r.authCheckedAt)
        maxConcurrent = r.maxConcurrent; createdAt = r.createdAt
    }
}

extension LocalToolService {
    /// `POST /api/cli/{name}/accounts`: `{id, displayName?, home?, maxConcurrent?}`. Without `home`, a new home
    /// is made under the state directory (0700); with one, it must be an existing directory the operator owns.
    public func createAccount(tool name: String, _ body: JSONValue, actor: String, requestID: String? = nil) async throws -> CLIAccountView {
        let tool = try tool(name)
        guard let o = body.objectValue else { throw Failure.invalid([FieldError(pointer: "", code: "type", message: "must be a JSON object")]) }
        var errors: [FieldError] = []
        let known: Set<String> = ["id", "displayName", "home", "maxConcurrent"]
        for key in o.keys.sorted() where !known.contains(key) {
            errors.append(FieldError(pointer: "/" + JSONPointer.escape(key), code: "unknown_field",
                                     message: "is not a field of a CLI account (\(known.sorted().joined(separator: ", ")))"))
        }
        let id = o["id"]?.stringValue ?? ""
        if !AccountRules.isAccountID(id) || !id.hasPrefix(tool.name + ":") {
            errors.append(FieldError(pointer: "/id", code: o["id"] == nil ? "required" : "invalid_format",
                                     message: "must be \(tool.name):<name>, the name 1 to 64 lower-case letters, digits, - and _ (\(tool.name):work)"))
        }
        var displayName = id
        if let v = o["displayName"] {
            if let s = v.stringValue?.trimmed, !s.isEmpty, s.count <= 100, !s.contains(where: \.isNewline) { displayName = s } else {
                errors.append(FieldError(pointer: "/displayName", code: "invalid_format", message: "must be 1 to 100 characters on one line"))
            }
        }
        var existingHome: String?
        if let v = o["home"], v != .null {
            if let s = v.stringValue, s.hasPrefix("/"), !s.contains("\0"), s.count <= 1024 {
                let standardized = (s as NSString).standardizingPath
                var isDir: ObjCBool = false
                if !FileManager.default.fileExists(atPath: standardized, isDirectory: &isDir) || !isDir.boolValue {
                    errors.append(FieldError(pointer: "/home", code: "not_found", message: "\(standardized) is not an existing directory"))
                } else if standardized.hasPrefix(stateDirectory.standardizedFileURL.path + "/") {
                    errors.append(FieldError(pointer: "/home", code: "invalid_value", message: "must not be inside Switchboard's state directory; leave it out for a new home there"))
                } else {
                    existingHome = standardized
                }
            } else {
                errors.append(FieldError(pointer: "/home", code: "invalid_format", message: "must be an absolute path to an existing directory"))
            }
        }
        var maxConcurrent: Int?
        if let v = o["maxConcurrent"], v != .null {
            if let n = v.intValue, (1...1000).contains(n) { maxConcurrent = n } else {
                errors.append(FieldError(pointer: "/maxConcurrent", code: "out_of_range", message: "must be a whole number from 1 to 1000"))
            }
        }
        guard errors.isEmpty else { throw Failure.invalid(errors) }

        let now = clock()
        // `codex:work` → `codex.work`: no colon in a path that ends up in environment variables.
        let home = existingHome ?? homesDirectory.appendingPathComponent(id.replacingOccurrences(of: ":", with: ".")).path
        let row = CLIAccountRow(id: id, tool: tool.name, displayName: displayName, home: home, managed: existingHome == nil,
                                maxConcurrent: maxConcurrent, createdAt: now, updatedAt: now)
        if existingHome == nil {
            if FileManager.default.fileExists(atPath: home) {
                // Left from an account of the same id that was removed while its home could not be: start clean.
                try? FileManager.default.removeItem(atPath: home)
            }
            try makeHome(tool, home)
        }
        do {
            try database.createCLIAccount(row, event: AuditEntry("cli.account.created", actor: actor, target: id, requestID: requestID,
                                                                  detail: .object(["tool": .string(tool.name), "managed": .bool(existingHome == nil)])))
        } catch is AccountExists {
            if existingHome == nil, try database.cliAccount(id) == nil { try? FileManager.default.removeItem(atPath: home) }
            throw Failure.accountExists(id)
        }
        if let path = locate(tool) {
            return try await checkAuth(row, tool: tool, path: path)
        }
        return CLIAccountView(row)
    }

    var homesDirectory: URL { stateDirectory.appendingPathComponent("cli/homes") }

    func makeHome(_ tool: ToolDefinition, _ home: String) throws {
        try FileManager.default.createDirectory(atPath: homesDirectory.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for dir in tool.homeDirectories(home) {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    public func accounts() throws -> [CLIAccountView] { try database.cliAccounts().map(CLIAccountView.init) }

    func account(_ id: String, of tool: String) throws -> CLIAccountRow {
        guard let row = try database.cliAccount(id), row.tool == tool else { throw Failure.unknownAccount(id) }
        return row
    }

    /// Removes the account; a home Switchboard made goes with it (the CLI's sign-in in it too). An operator's
    /// own home is left as it is.
    public func deleteAccount(tool: String, id: String, actor: String, requestID: String? = nil) async throws {
        _ = try self.tool(tool)
        let row = try account(id, of: tool)
        await cancelLogin(tool: tool, account: id, actor: actor, quietly: true)
        _ = try database.deleteCLIAccount(id, event: AuditEntry("cli.account.deleted", actor: actor, target: id, requestID: requestID,
                                                                  detail: .object(["tool": .string(tool), "managed": .bool(row.managed)])), at: clock())
        if row.managed, row.home.hasPrefix(homesDirectory.path + "/") {
            try? FileManager.default.removeItem(atPath: row.home)
        }
    }

    /// Asks the CLI whether the account is signed in (`POST /api/cli/{name}/accounts/{id}/check`).
    public func checkAccount(tool name: String, id: String) async throws -> CLIAccountView {
        let tool = try tool(name)
        let row = try account(id, of: name)
        guard let path = locate(tool) else { throw Failure.notInstalled(name) }
        return try await checkAuth(row, tool: tool, path: path)
    }

    @discardableResult
    func checkAuth(_ row: CLIAccountRow, tool: ToolDefinition, path: String) async throws -> CLIAccountView {
        var report: AuthReport
        if let arguments = tool.authArguments {
            var c = command(tool, arguments, home: row.home)
            c.executable = path
            do {
                report = tool.readAuth(try await runner.run(c), row.home)
            } catch {
                report = AuthReport(status: .unknown, detail: "\(tool.name) \(arguments.joined(separator: " ")): \(error)")
            }
        } else {
            report = tool.readAuth(nil, row.home)
        }
        let now = clock()
        let updated = try database.setCLIAccountAuth(row.id, status: report.status.rawValue, detail: report.detail, email: report.email,
                                                     plan: report.plan, at: now) { before in
            AuditEntry("cli.account.auth", actor: "system", target: row.id,
                       detail: .object(["tool": .string(tool.name), "from": .string(before), "to": .string(report.status.rawValue)]))
        }
        return CLIAccountView(updated ?? row)
    }
}
