import Foundation

/// The catalog in use, replaced whole when the custom providers change. The settings document resolves
/// model references through it; `generation` moves with every replacement so cached answers are rebuilt.
public final class CatalogStore: ModelDirectory {
    public let shippedDirectory: URL?
    public let customDirectory: URL?
    private let state: ReadMostly<Catalog>

    public init(shipped: URL? = Catalog.shippedDirectory, custom: URL? = nil) {
        shippedDirectory = shipped
        customDirectory = custom
        state = ReadMostly(Catalog.load(shipped: shipped, custom: custom))
    }

    public var current: Catalog { state.read { $0 } }

    /// Reads the files again (after a custom provider was written or removed).
    public func reload() {
        state.write { catalog in
            catalog = Catalog.load(shipped: shippedDirectory, custom: customDirectory, generation: catalog.generation + 1)
        }
    }

    public var generation: Int { state.read { $0.generation } }
    public func provider(_ id: String) -> ProviderFacts? { state.read { $0.provider(id) } }
    public func model(provider: String, id: String) -> ModelFacts? { state.read { $0.model(provider: provider, id: id) } }
}
