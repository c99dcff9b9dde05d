import Core
import Foundation
import HTTPTypes
import LocalTools
import Storage

/// Provider CLIs (admin): what is installed, their models with typed parameters, their accounts and sign-ins
/// relayed from the CLI, and named model selections.
package struct CLIController {
    let service: LocalToolService

    package init(service: LocalToolService) { self.service = service }

    package func register(_ routes: Routes) {
        routes
            .get("/api/cli", list)
            .post("/api/cli/scan", consumes: [], scan)
            .get("/api/cli/selections", selections)
            .post("/api/cli/selections", consumes: ["application/json"], createSelection)
            .get("/api/cli/selections/{selection}", selection)
            .put("/api/cli/selections/{selection}", consumes: ["application/json"], replaceSelection)
            .delete("/api/cli/selections/{selection}", deleteSelection)
            .get("/api/cli/selections/{selection}/command", previewSelection)
            .get("/api/cli/{name}/models", models)
            .post("/api/cli/{name}/sync", consumes: [], sync)
            .post("/api/cli/{name}/accounts", consumes: ["application/json"], createAccount)
            .delete("/api/cli/{name}/accounts/{id}", deleteAccount)
            .post("/api/cli/{name}/accounts/{id}/check", consumes: [], checkAccount)
            .post("/api/cli/{name}/accounts/{id}/login", consumes: [], startLogin)
            .get("/api/cli/{name}/accounts/{id}/login", login)
            .post("/api/cli/{name}/accounts/{id}/login/input", consumes: ["application/json"], sendLogin)
            .delete("/api/cli/{name}/accounts/{id}/login", cancelLogin)
    }

    struct NoticeView: Encodable {
        let at: Date
        let kind: String
        let message: String
    }

    struct ToolView: Encodable {
        let name: String
        let displayName: String
        let vendor: String
        let installed: Bool
        @EncodedAsNull var path: String?
        @EncodedAsNull var version: String?
        @EncodedAsNull var versionText: String?
        @EncodedAsNull var firstSeen: Date?
        @EncodedAsNull var lastSeen: Date?
        let stale: Bool
        let modelCount: Int
        @EncodedAsNull var modelsSource: String?
        /// The CLI version the models were read from (cli) or the shipped data was written for (data).
        @EncodedAsNull var modelsVersion: String?
        @EncodedAsNull var syncedAt: Date?
        @EncodedAsNull var syncError: String?
        let notices: [NoticeView]
        let accounts: [CLIAccountView]
    }

    struct ListView: Encodable {
        let tools: [ToolView]
        let searchPaths: [String]
    }

    func overview() throws -> ListView {
        let rows = Dictionary(uniqueKeysWithValues: try service.database.cliTools().map { ($0.name, $0) })
        let notices = try service.database.cliNotices(perTool: 20)
        let accounts = try service.accounts()
        let tools = ToolDefinition.all.map { t -> ToolView in
            let r = rows[t.name]
            let models = r?.models.flatMap { try? JSONDecoder().decode(ToolModelSet.self, from: Data($0.utf8)) }
            return ToolView(name: t.name, displayName: t.displayName, vendor: t.vendor, installed: r?.path != nil, path: r?.path,
                            version: r?.version, versionText: r?.versionText, firstSeen: r?.firstSeen, lastSeen: r?.lastSeen, stale: r?.stale ?? false,
                            modelCount: models?.models.count ?? 0, modelsSource: r?.modelsSource, modelsVersion: r?.modelsVersion,
                            syncedAt: r?.syncedAt, syncError: r?.syncError,
                            notices: (notices[t.name] ?? []).map { NoticeView(at: $0.at, kind: $0.kind, message: $0.message) },
                            accounts: accounts.filter { $0.tool == t.name })
        }
        return ListView(tools: tools, searchPaths: service.options.extraPaths)
    }

    @Sendable func list(_ request: Request, _ context: RequestContext) async throws -> Response {
        try .json(overview())
    }

    @Sendable func scan(_ request: Request, _ context: RequestContext) async throws -> Response {
        try await service.scan(actor: try context.requirePrincipal().actor)
        return try .json(overview())
    }

    struct ModelsView: Encodable {
        struct ParameterView: Encodable {
            let name: String
            let label: String
            @EncodedAsNull var description: String?
            let type: String
            var options: [ToolParameter.Option]?
            var minimum: Double?
            var maximum: Double?
            var integer: Bool?
            var maxLength: Int?
            @EncodedAsNull var `default`: JSONValue?
        }
        struct ModelView: Encodable {
            let id: String
            /// `cli/model`, as routing and selections name it.
            let reference: String
            let name: String
            @EncodedAsNull var description: String?
            @EncodedAsNull var contextWindow: Int?
            @EncodedAsNull var maxOutputTokens: Int?
            let isDefault: Bool
            let parameters: [ParameterView]
        }
        let tool: String
        @EncodedAsNull var version: String?
        @EncodedAsNull var source: String?
        @EncodedAsNull var writtenFor: String?
        let stale: Bool
        let models: [ModelView]
    }

    @Sendable func models(_ request: Request, _ context: RequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        let (tool, row, set) = try service.models(name)
        // The mapping to flags, variables and settings stays out: it is how Switchboard builds the command.
        let models = (set?.models ?? []).map { m in
            ModelsView.ModelView(id: m.id, reference: "\(tool.name)/\(m.id)", name: m.name, description: m.description, contextWindow: m.contextWindow,
                                 maxOutputTokens: m.maxOutputTokens, isDefault: m.isDefault ?? false,
                                 parameters: m.parameters.map { p in
                                     ModelsView.ParameterView(name: p.name, label: p.label, description: p.description, type: p.type.rawValue,
                                                              options: p.options, minimum: p.minimum, maximum: p.maximum, integer: p.integer,
                                                              maxLength: p.maxLength, default: p.defaultValue)
                                 })
        }
        return try .json(ModelsView(tool: tool.name, version: row?.version, source: set?.source,
                                    writtenFor: set?.source == "data" ? set?.version : nil, stale: row?.stale ?? false, models: models))
    }

    @Sendable func sync(_ request: Request, _ context: RequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        try await service.sync(name, actor: try context.requirePrincipal().actor)
        guard let tool = try overview().tools.first(where: { $0.name == name }) else { throw LocalToolService.Failure.unknownTool(name) }
        return try .json(tool)
    }

    @Sendable func createAccount(_ request: Request, _ context: RequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        let account = try await service.createAccount(tool: name, try JSON.value(from: request), actor: try context.requirePrincipal().actor,
                                                      requestID: context.requestID)
        return try .json(account, status: .created, headers: [.location: "/api/cli/\(name)/accounts/\(account.id)"])
    }

    @Sendable func deleteAccount(_ request: Request, _ context: RequestContext) async throws -> Response {
        try await service.deleteAccount(tool: try context.parameters.require("name"), id: try context.parameters.require("id"),
                                        actor: try context.requirePrincipal().actor, requestID: context.requestID)
        return .noContent()
    }

    @Sendable func checkAccount(_ request: Request, _ context: RequestContext) async throws -> Response {
        try .json(await service.checkAccount(tool: try context.parameters.require("name"), id: try context.parameters.require("id")))
    }

    @Sendable func startLogin(_ request: Request, _ context: RequestContext) async throws -> Response {
        let login = try await service.startLogin(tool: try context.parameters.require("name"), account: try context.parameters.require("id"),
                                                 actor: try context.requirePrincipal().actor, requestID: context.requestID)
        return try .json(login, status: .accepted, headers: [.cacheControl: "no-store"])
    }

    @Sendable func login(_ request: Request, _ context: RequestContext) async throws -> Response {
        try .json(service.login(tool: try context.parameters.require("name"), account: try context.parameters.require("id")),
                  headers: [.cacheControl: "no-store"])
    }

    @Sendable func sendLogin(_ request: Request, _ context: RequestContext) async throws -> Response {
        try .json(await service.sendLogin(tool: try context.parameters.require("name"), account: try context.parameters.require("id"),
                                          try JSON.value(from: request)), headers: [.cacheControl: "no-store"])
    }

    @Sendable func cancelLogin(_ request: Request, _ context: RequestContext) async throws -> Response {
        try .json(await service.cancelLogin(tool: try context.parameters.require("name"), account: try context.parameters.require("id"),
                                            actor: try context.requirePrincipal().actor), headers: [.cacheControl: "no-store"])
    }

    // MARK: Selections

    struct SelectionsView: Encodable {
        let selections: [CLISelection]
        /// Selection names by group (`claude-sonnet-4` → `claude-sonnet-4~high`, `claude-sonnet-4~low`).
        let groups: [String: [String]]
    }

    @Sendable func selections(_ request: Request, _ context: RequestContext) async throws -> Response {
        let all = try service.selections()
        return try .json(SelectionsView(selections: all, groups: Dictionary(grouping: all, by: \.group).mapValues { $0.map(\.name) }))
    }

    static func tagged(_ s: CLISelection, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.eTag] = EntityTag.of(s.revision)
        if status == .created { headers[.location] = "/api/cli/selections/\(s.name)" }
        return try .json(s, status: status, headers: headers)
    }

    @Sendable func selection(_ request: Request, _ context: RequestContext) async throws -> Response {
        try Self.tagged(service.selection(try context.parameters.require("selection")))
    }

    @Sendable func createSelection(_ request: Request, _ context: RequestContext) async throws -> Response {
        try Self.tagged(service.putSelection(try JSON.value(from: request), name: nil, ifRevision: nil, actor: try context.requirePrincipal().actor,
                                             requestID: context.requestID), status: .created)
    }

    @Sendable func replaceSelection(_ request: Request, _ context: RequestContext) async throws -> Response {
        var expected: Int?
        if let value = request.headers[.ifMatch]?.trimmed, !value.isEmpty, value != "*" {
            expected = EntityTag.numbers(in: value)?.first ?? -1
        }
        return try Self.tagged(service.putSelection(try JSON.value(from: request), name: try context.parameters.require("selection"),
                                                    ifRevision: expected, actor: try context.requirePrincipal().actor, requestID: context.requestID))
    }

    struct PreviewView: Encodable {
        let selection: String
        let account: String
        let command: CLICommand
    }

    @Sendable func previewSelection(_ request: Request, _ context: RequestContext) async throws -> Response {
        let name = try context.parameters.require("selection")
        let account = request.queryItems["account"].flatMap { $0.isEmpty ? nil : String($0.prefix(200)) }
        let (id, command) = try service.preview(selection: name, account: account)
        return try .json(PreviewView(selection: name, account: id, command: command), headers: [.cacheControl: "no-store"])
    }

    @Sendable func deleteSelection(_ request: Request, _ context: RequestContext) async throws -> Response {
        try service.deleteSelection(try context.parameters.require("selection"), actor: try context.requirePrincipal().actor, requestID: context.requestID)
        return .noContent()
    }
}
