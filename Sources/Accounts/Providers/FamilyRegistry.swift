import Catalog
import Vault

/// Every API family, by the catalog `type` it serves. Adding a provider of a known family is a catalog file;
/// adding a family is its file in `Families/` and one line here.
enum ProviderFamilies {
    static let all: [any ProviderFamily] = [
        OpenAICompatibleFamily(),
        AnthropicFamily(),
        GeminiFamily(),
        OpenRouterFamily(),
        AzureOpenAIFamily(),
        BedrockFamily(),
        VertexFamily(),
        OllamaFamily(),
    ]

    static let byType: [String: any ProviderFamily] = Dictionary(uniqueKeysWithValues: all.map { ($0.type, $0) })

    static func family(for type: String) -> (any ProviderFamily)? { byType[type] }

    /// The origin (`scheme://host[:port]`) a credential of `provider` goes to with this base URL (nil: the
    /// catalog's endpoint), or nil when it can go nowhere. Every credential that can be sent has one.
    static func origin(_ provider: CatalogProvider, _ credential: Credential, baseURL: String?) -> String? {
        let target = ProbeTarget(provider: provider, credential: credential, baseURL: baseURL ?? provider.apiEndpoint,
                                 headers: [:], timeout: .seconds(1))
        let base = family(for: provider.type)?.destination(target) ?? target.base
        return base.flatMap(AccountRules.origin)
    }
}
