import Catalog
import Core
import Foundation
import Settings

/// The provider catalog: providers with model counts and price ranges, and one provider's models.
package struct CatalogController {
    let store: CatalogStore

    func catalog() -> Catalog { store.current }

    package func register(_ routes: Routes) {
        routes
            .get("/api/catalog", list)
            .get("/api/catalog/{provider}", provider)
            .put("/api/catalog/custom/{id}", putCustom)
            .delete("/api/catalog/custom/{id}", deleteCustom)
    }

    /// Adds or replaces a custom provider, in Catwalk's provider format (a Catwalk file can be sent as is).
    @Sendable func putCustom(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try Self.customID(context)
        // Malformed or too deeply nested text is a 400 here, like every other body, before the Catwalk reader.
        _ = try JSON.value(from: request, missing: "A Catwalk provider JSON body is required")
        let provider: CatalogProvider
        provider = try store.putCustom(id: id, body: request.bodyBytes)
        return try .json(ProviderSummary(provider))
    }

    @Sendable func deleteCustom(_ request: Request, _ context: RequestContext) async throws -> Response {
        let id = try Self.customID(context)
        try store.deleteCustom(id: id)
        return .noContent()
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

    struct PriceRange: Encodable {
        let inputMin: Double, inputMax: Double, outputMin: Double, outputMax: Double
    }

    struct ProviderSummary: Encodable {
        let id: String
        let name: String
        let type: String
        let source: String
        /// A URL or absent, never a `$VAR`.
        let apiEndpoint: String?
        /// The variable the file names for the endpoint, without `$`.
        let apiEndpointVariable: String?
        let apiKeyVariable: String?
        let defaultLargeModelId: String?
        let defaultSmallModelId: String?
        let authMethods: [AuthOption]
        /// Its place among the providers the page shows first (1 is first); absent for the rest.
        let featured: Int?
        let modelCount: Int
        /// USD per million tokens across the provider's models; absent when none has a price.
        let pricePer1M: PriceRange?
        /// What holds in the file but deserves attention (a default model it does not list, an unset `$VAR`).
        let warnings: [CatalogProvider.Warning]

        init(_ p: CatalogProvider) {
            id = p.id; name = p.name; type = p.type; source = p.source.rawValue
            apiEndpoint = p.apiEndpoint; apiEndpointVariable = p.apiEndpointVariable; apiKeyVariable = p.apiKeyVariable
            defaultLargeModelId = p.defaultLargeModelID; defaultSmallModelId = p.defaultSmallModelID
            authMethods = p.authMethods
            featured = p.descriptor.featured
            warnings = p.warnings
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

    /// A catalog model with the reference the settings document uses for it (`provider/model`).
    struct ModelView: Encodable {
        let reference: String
        let model: CatalogModel

        enum CodingKeys: String, CodingKey { case reference }

        func encode(to encoder: any Encoder) throws {
            try model.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(reference, forKey: .reference)
        }
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
        return try .json(ProviderDetail(provider: ProviderSummary(p),
                                        models: p.models.map { ModelView(reference: "\(p.id)/\($0.id)", model: $0) }))
    }

    package init(store: CatalogStore) {
        self.store = store
    }
}
