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

/// One provider in Catwalk's provider format (v2), plus how it can be connected.
public struct CatalogProvider: Sendable {
    public enum Source: String, Sendable, Codable { case shipped, custom }

    public var raw: JSONValue
    public var id: String
    public var name: String
    /// Catwalk's type: openai, anthropic, gemini, azure, bedrock, vertexai, openrouter (and ollama for ours).
    public var type: String
    public var apiEndpoint: String?
    /// The environment variable Catwalk names for the key (`$OPENAI_API_KEY`), without the `$`.
    public var apiKeyVariable: String?
    public var defaultLargeModelID: String?
    public var defaultSmallModelID: String?
    public var models: [CatalogModel]
    public var authMethods: [AuthOption]
    /// What the provider's API keys start with (`sk-ant-`), from our `switchboard.key_prefixes`; empty when its keys
    /// have no prefix (the secret detector's entropy rule finds those).
    public var keyPrefixes: [String]
    public var source: Source

    public func model(_ id: String) -> CatalogModel? { models.first { $0.id == id } }
}
