import Core
import Foundation

/// How an operator can connect a provider. Catwalk has no notion of this; it is ours.
public enum AuthMethod: String, Sendable, Codable, CaseIterable {
    case apiKey = "api_key"
    /// AWS access keys, Azure tokens: credentials of a cloud account.
    case cloudCredentials = "cloud_credentials"
    /// A Google service-account JSON key.
    case serviceAccount = "service_account"
    case oauthBrowser = "oauth_browser"
    case oauthDeviceCode = "oauth_device_code"
    /// A code shown here, completed with `switchboard auth pair` on a machine with a browser.
    case pairing
}

public struct AuthOption: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case supported, phased }
    public var method: AuthMethod
    public var status: Status
    /// The credential kind the vault stores for this method (`api_key`, `azure`, `aws`, `service_account`,
    /// `oauth`); nil for pairing, which delivers what the provider's other methods obtain.
    public var credentialKind: String?
}

/// What a model accepts, so the page shows only knobs that work.
public struct ModelCapabilities: Sendable, Codable, Equatable {
    public var temperature: Bool
    public var topP: Bool
    /// The reasoning-effort levels the model takes; empty when it has none.
    public var reasoningEffort: [String]
    public var attachments: Bool
    public var imageOutput: Bool
    public var maxOutputTokens: Int?
    /// The provider API's name for the max-tokens field (`max_tokens`, `max_completion_tokens`, `maxOutputTokens`).
    public var maxTokensField: String
}

/// One model of a provider, read from Catwalk's format. `raw` keeps the object as read, unknown fields included
/// (encoded as `catwalk`).
public struct CatalogModel: Sendable, Encodable {
    public var raw: JSONValue
    public var id: String
    public var name: String
    public var contextWindow: Int?
    public var costPer1MIn: Double?
    public var costPer1MOut: Double?
    public var costPer1MInCached: Double?
    public var costPer1MOutCached: Double?
    public var canReason: Bool
    public var defaultReasoningEffort: String?
    public var capabilities: ModelCapabilities

    enum CodingKeys: String, CodingKey {
        case raw = "catwalk"
        case id, name, contextWindow, costPer1MIn, costPer1MOut, costPer1MInCached, costPer1MOutCached, canReason,
             defaultReasoningEffort, capabilities
    }
}

/// One provider in Catwalk's provider format, plus how it can be connected.
public struct CatalogProvider: Sendable {
    public enum Source: String, Sendable, Codable { case shipped, custom }

    /// Something in the file that holds but deserves attention: the provider is listed anyway.
    public struct Warning: Sendable, Equatable, Codable {
        /// JSON pointer into the provider's file.
        public var pointer: String
        /// Stable: `default_model_not_in_models`, `endpoint_variable_unset`, `endpoint_variable_unusable`,
        /// `endpoint_not_expanded`.
        public var code: String
        public var message: String
    }

    public var raw: JSONValue
    public var id: String
    public var name: String
    /// The API family: openai, anthropic, gemini, azure, bedrock, vertexai, openrouter (and ollama for ours); for
    /// Catwalk's current files, whose `type` is the wire format, it follows from the id (`CatwalkFormat.family`).
    public var type: String
    /// Where the provider's API is: a URL, never a placeholder. A file's `$VAR` is resolved when the catalog is
    /// loaded, from the environment or the shipped entry with the same id; nil when neither has one.
    public var apiEndpoint: String?
    /// The variable the file names for the endpoint (`ANTHROPIC_API_ENDPOINT` for `"$ANTHROPIC_API_ENDPOINT"`).
    public var apiEndpointVariable: String?
    /// The environment variable Catwalk names for the key (`$OPENAI_API_KEY`), without the `$`.
    public var apiKeyVariable: String?
    public var defaultLargeModelID: String?
    public var defaultSmallModelID: String?
    public var models: [CatalogModel]
    /// Everything Switchboard knows about the provider beyond Catwalk's format (the file's `switchboard` block).
    public var descriptor: ProviderDescriptor
    public var authMethods: [AuthOption] { descriptor.authMethods }
    /// What the provider's API keys start with (`sk-ant-`), from our `switchboard.key_prefixes`; empty when its keys
    /// have no prefix (the secret detector's entropy rule finds those).
    public var keyPrefixes: [String] { descriptor.keyPrefixes }
    /// The credential kind `method` stores at this provider (`azure` for Azure's keys), nil when it stores none.
    public func credentialKind(for method: AuthMethod) -> String? {
        authMethods.first { $0.method == method }.map(\.credentialKind) ?? ProviderDescriptor.credentialKind(method, type: type)
    }
    public var warnings: [Warning]
    public var source: Source

    public func model(_ id: String) -> CatalogModel? { models.first { $0.id == id } }
}
