import Core
import Foundation
import Storage

/// A named model selection: a CLI model with parameter values and the accounts that serve it.
/// Faceted names (`claude-sonnet-4~high`) group the variants of one model: `claude-sonnet-4` is its group.
public struct CLISelection: Sendable, Encodable, Equatable {
    public var name: String
    public var group: String
    @EncodedAsNull public var facet: String?
    public var tool: String
    /// `tool/model`, as routing names it.
    public var model: String
    public var parameterValues: [String: JSONValue]
    /// The accounts it balances across; empty: every account of the CLI.
    public var accounts: [String]
    public var promptMode: String
    public var revision: Int
    public var createdAt: Date
    public var updatedAt: Date

    init(_ r: CLISelectionRow) {
        name = r.name
        let parts = r.name.split(separator: "~", maxSplits: 1).map(String.init)
        group = parts[0]
        facet = parts.count > 1 ? parts[1] : nil
        tool = r.tool
        model = r.tool + "/" + r.model
        parameterValues = JSONValue.parse(Array(r.parameterValues.utf8))?.objectValue ?? [:]
        accounts = (JSONValue.parse(Array(r.accounts.utf8))?.arrayValue ?? []).compactMap(\.stringValue)
        promptMode = r.promptMode
        revision = r.revision
        createdAt = r.createdAt
        updatedAt = r.updatedAt
    }

    /// The CLI's own model id.
    public var modelID: String { String(model.dropFirst(tool.count + 1)) }
}

extension LocalToolService {
    public func selections() throws -> [CLISelection] { try database.cliSelections().map(CLISelection.init) }

    public func selection(_ name: String) throws -> CLISelection {
        guard let s = try database.cliSelections().first(where: { $0.name == name }) else { throw Failure.unknownSelection(name) }
        return CLISelection(s)
    }

    /// Creates (`name` in the body) or replaces (`name` from the path, `ifRevision` from `If-Match`) a selection,
    /// after checking every value against the model's typed parameters.
    public func putSelection(_ body: JSONValue, name pathName: String?, ifRevision: Int?, actor: String, requestID: String? = nil) throws -> CLISelection {
        guard let o = body.objectValue else { throw Failure.invalid([FieldError(pointer: "", code: "type", message: "must be a JSON object")]) }
        var errors: [FieldError] = []
        let known: Set<String> = ["name", "model", "parameterValues", "accounts", "promptMode"]
        for key in o.keys.sorted() where !known.contains(key) {
            errors.append(FieldError(pointer: "/" + JSONPointer.escape(key), code: "unknown_field",
                                     message: "is not a field of a model selection (\(known.sorted().joined(separator: ", ")))"))
        }
        var name = pathName
        if let pathName {
            if let n = o["name"], n.stringValue != pathName {
                errors.append(FieldError(pointer: "/name", code: "invalid_value", message: "must be \(pathName), the name in the path (or left out)"))
            }
            name = pathName
        } else {
            name = o["name"]?.stringValue
            if name == nil || !Self.isSelectionName(name!) {
                errors.append(FieldError(pointer: "/name", code: o["name"] == nil ? "required" : "invalid_format",
                                         message: "must be 1 to 100 letters, digits, '.', '-' and '_', with one optional '~facet' (claude-sonnet-4~high)"))
            }
        }
        // The model: `tool/model`.
        var tool: ToolDefinition?
        var model: ToolModel?
        let reference = o["model"]?.stringValue ?? ""
        let toolName = String(reference.prefix { $0 != "/" })
        let modelID = String(reference.dropFirst(toolName.count + 1))
        if o["model"] == nil {
            errors.append(FieldError(pointer: "/model", code: "required", message: "must name a CLI model as cli/model (codex/gpt-5.1-codex-max)"))
        } else if let t = ToolDefinition.named(toolName), !modelID.isEmpty {
            tool = t
            let set = try database.cliTools().first { $0.name == toolName }?.models.flatMap(Self.decodeModels)
            if let m = set?.model(modelID) { model = m } else {
                let list = set?.models.map(\.id) ?? []
                errors.append(FieldError(pointer: "/model", code: "unknown_model",
                                         message: list.isEmpty ? "\(toolName) has no models yet (is it installed? POST /api/cli/scan)"
                                                               : "\(toolName) has no model \(modelID) (\(list.joined(separator: ", ")))"))
            }
        } else {
            errors.append(FieldError(pointer: "/model", code: "invalid_format",
                                     message: "must be cli/model with a known CLI (\(ToolDefinition.all.map(\.name).joined(separator: ", ")))"))
        }
        var values: [String: JSONValue] = [:]
        if let v = o["parameterValues"], v != .null {
            if let obj = v.objectValue { values = obj.filter { $0.value != .null } } else {
                errors.append(FieldError(pointer: "/parameterValues", code: "type", message: "must be an object of parameter values"))
            }
        }
        if let model {
            if case .invalid(let bad) = ParameterValues.check(values, for: model) { errors += bad }
        }
        var accounts: [String] = []
        if let v = o["accounts"], v != .null {
            if let list = v.arrayValue, list.count <= 100 {
                let all = try database.cliAccounts()
                for (i, item) in list.enumerated() {
                    guard let id = item.stringValue else {
                        errors.append(FieldError(pointer: "/accounts/\(i)", code: "type", message: "must be an account id"))
                        continue
                    }
                    if let a = all.first(where: { $0.id == id }) {
                        if let tool, a.tool != tool.name {
                            errors.append(FieldError(pointer: "/accounts/\(i)", code: "invalid_value", message: "\(id) is an account of \(a.tool), not \(tool.name)"))
                        } else if accounts.contains(id) {
                            errors.append(FieldError(pointer: "/accounts/\(i)", code: "duplicate", message: "\(id) is listed twice"))
                        } else {
                            accounts.append(id)
                        }
                    } else {
                        errors.append(FieldError(pointer: "/accounts/\(i)", code: "unknown_account", message: "no CLI account \(id)"))
                    }
                }
            } else {
                errors.append(FieldError(pointer: "/accounts", code: "type", message: "must be an array of at most 100 account ids"))
            }
        }
        var promptMode = PromptMode.stdin
        if let v = o["promptMode"], v != .null {
            if let s = v.stringValue, let m = PromptMode(rawValue: s) { promptMode = m } else {
                errors.append(FieldError(pointer: "/promptMode", code: "invalid_value", message: "must be stdin or arg"))
            }
        }
        guard errors.isEmpty, let name, let tool, let model else { throw Failure.invalid(errors) }
        let now = clock()
        let row = CLISelectionRow(name: name, tool: tool.name, model: model.id,
                                  parameterValues: JSONValue.object(values).serialized,
                                  accounts: JSONValue.array(accounts.map { .string($0) }).serialized, promptMode: promptMode.rawValue,
                                  revision: 0, createdAt: now, updatedAt: now)
        do {
            let creating = pathName == nil
            if creating, try database.cliSelections().contains(where: { $0.name == name }) { throw Failure.selectionExists(name) }
            let saved = try database.putCLISelection(row, ifRevision: ifRevision, mustExist: !creating,
                                                     event: AuditEntry(creating ? "cli.selection.created" : "cli.selection.updated", actor: actor,
                                                                       target: name, requestID: requestID,
                                                                       detail: .object(["model": .string(tool.name + "/" + model.id)])))
            return CLISelection(saved)
        } catch let c as CLISelectionConflict {
            if c.current == nil { throw Failure.unknownSelection(name) }
            throw Failure.selectionConflict(name, current: c.current)
        }
    }

    public func deleteSelection(_ name: String, actor: String, requestID: String? = nil) throws {
        guard try database.deleteCLISelection(name, event: AuditEntry("cli.selection.deleted", actor: actor, target: name, requestID: requestID), at: clock())
        else { throw Failure.unknownSelection(name) }
    }

    static func isSelectionName(_ s: String) -> Bool {
        s.count <= 100 && s.wholeMatch(of: #/[A-Za-z0-9][A-Za-z0-9._-]*(~[A-Za-z0-9][A-Za-z0-9._-]*)?/#) != nil
    }
}
