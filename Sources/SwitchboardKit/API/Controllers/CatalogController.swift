import Foundation

/// The provider catalog: providers with model counts and price ranges, and one provider's models.
struct CatalogController {
    let store: CatalogStore

    func catalog() -> Catalog { store.current }

    func register(_ routes: Routes) {
        routes
            .get("/api/catalog", list)
            .get("/api/catalog/{provider}", provider)
            .put("/api/catalog/custom/{id}", putCustom)
            .delete("/api/catalog/custom/{id}", deleteCustom)
    }

    /// Adds or replaces a custom provider, in Catwalk's provider format (a Catwalk file can be sent as is).
    @Sendable func putCustom(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try Self.customID(context)
        guard !request.bodyBytes.isEmpty else { throw Problem(.badRequest, type: "body-required", title: "A Catwalk provider JSON body is required") }
        let provider: CatalogProvider
        do { provider = try store.putCustom(id: id, body: request.bodyBytes) } catch { throw Self.problem(error) }
        return try .json(ProviderSummary(provider))
    }

    @Sendable func deleteCustom(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try Self.customID(context)
        do {
            try store.deleteCustom(id: id)
            return .noContent()
        } catch {
            throw Self.problem(error)
        }
    }

    /// A custom provider's id, which also names its file: checked before it touches a path.
    static func customID(_ context: RequestContext) throws -> String {
        let raw = try context.parameters.require("id")
        let id = CatwalkFormat.aliases[raw] ?? raw
        guard SettingsValidator.isProviderID(id) else {
            throw Problem(.badRequest, type: "invalid-id", title: "Invalid provider id",
                          detail: "A provider id starts with a lower-case letter and uses only letters, digits, - and _ (at most 64).")
        }
        return id
    }

    static func problem(_ failure: CatalogStore.CustomFailure) -> Problem {
        switch failure {
        case .invalid(let p):
            return Problem(.unprocessableContent, type: "invalid-catalog-entry", title: "Not a valid Catwalk provider",
                           detail: "\(p.pointer.isEmpty ? "The body" : p.pointer) \(p.message).",
                           errors: [.init(pointer: p.pointer, code: "invalid", message: p.message)])
        case .idMismatch(let body, let path):
            return Problem(.unprocessableContent, type: "invalid-catalog-entry", title: "Not a valid Catwalk provider",
                           detail: "The body's id is \(body) but the path names \(path).",
                           errors: [.init(pointer: "/id", code: "id_mismatch", message: "must be \(path), as in the path")])
        case .existingFileUnreadable:
            return Problem(.conflict, type: "catalog-file-unreadable", title: "The existing catalog file cannot be read",
                           detail: "Switchboard never overwrites an unreadable catalog file. Fix it, or DELETE this custom provider first; GET /api/catalog lists what is wrong with it.")
        case .notFound:
            return Problem(.notFound, type: "not-found", title: "Not found", detail: "There is no custom provider with this id.")
        case .noCustomDirectory:
            return .internalError
        }
    }

    struct PriceRange: Encodable {
        let inputMin: Double, inputMax: Double, outputMin: Double, outputMax: Double
    }

    struct ProviderSummary: Encodable {
        let id: String
        let name: String
        let type: String
        let source: String
        let apiEndpoint: String?
        let apiKeyVariable: String?
        let defaultLargeModelId: String?
        let defaultSmallModelId: String?
        let authMethods: [AuthOption]
        let modelCount: Int
        /// USD per million tokens across the provider's models; absent when none has a price.
        let pricePer1M: PriceRange?

        init(_ p: CatalogProvider) {
            id = p.id; name = p.name; type = p.type; source = p.source.rawValue
            apiEndpoint = p.apiEndpoint; apiKeyVariable = p.apiKeyVariable
            defaultLargeModelId = p.defaultLargeModelID; defaultSmallModelId = p.defaultSmallModelID
            authMethods = p.authMethods
            modelCount = p.models.count
            let inputs = p.models.compactMap(\.costPer1MIn)
            let outputs = p.models.compactMap(\.costPer1MOut)
            if let a = inputs.min(), let b = inputs.max(), let c = outputs.min(), let d = outputs.max() {
                pricePer1M = PriceRange(inputMin: a, inputMax: b, outputMin: c, outputMax: d)
            } else {
                pricePer1M = nil
            }
        }
    }

    struct ModelView: Encodable {
        let id: String
        let reference: String
        let name: String
        let contextWindow: Int?
        let costPer1MIn: Double?
        let costPer1MOut: Double?
        let costPer1MInCached: Double?
        let costPer1MOutCached: Double?
        let canReason: Bool
        let defaultReasoningEffort: String?
        let capabilities: ModelCapabilities
        /// The model as the catalog file has it, fields Switchboard does not use included.
        let catwalk: JSONValue
    }

    struct ProviderDetail: Encodable {
        let provider: ProviderSummary
        let models: [ModelView]
    }

    struct ListView: Encodable {
        let providers: [ProviderSummary]
        /// Catalog files that could not be read: which file, where, what is wrong. They are left untouched.
        let problems: [Catalog.FileProblem]
    }

    @Sendable func list(_ request: Request, _ context: RequestContext) async throws -> Response {
        let current = catalog()
        return try .json(ListView(providers: current.providers.map(ProviderSummary.init), problems: current.problems))
    }

    @Sendable func provider(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try context.parameters.require("provider")
        guard let p = catalog().entry(id) else {
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "No provider \(id.prefix(64)) in the catalog.")
        }
        return try .json(ProviderDetail(provider: ProviderSummary(p), models: p.models.map {
            ModelView(id: $0.id, reference: "\(p.id)/\($0.id)", name: $0.name, contextWindow: $0.contextWindow,
                      costPer1MIn: $0.costPer1MIn, costPer1MOut: $0.costPer1MOut, costPer1MInCached: $0.costPer1MInCached,
                      costPer1MOutCached: $0.costPer1MOutCached, canReason: $0.canReason,
                      defaultReasoningEffort: $0.defaultReasoningEffort, capabilities: $0.capabilities, catwalk: $0.raw)
        }))
    }
}
