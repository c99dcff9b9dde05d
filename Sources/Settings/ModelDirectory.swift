/// What the settings document needs to know about providers and models: which exist, their output cap,
/// which knobs they accept, and what their keys look like. The catalog (Catwalk format, with the user's custom
/// providers) provides this; tests use a fixed table.
public protocol ModelDirectory: Sendable {
    func provider(_ id: String) -> ProviderFacts?
    func model(provider: String, id: String) -> ModelFacts?
    /// Changes whenever the directory's content changes, so cached answers computed from it can be dropped.
    var generation: Int { get }
    /// The prefixes API keys of the directory's providers start with (`sk-ant-`, `AIza`, `gsk_`): each provider's
    /// catalog entry declares its own, so a provider added to the catalog is known to the secret detector too.
    var keyPrefixes: [String] { get }
}

extension ModelDirectory {
    /// The one secret detector, knowing every provider's key prefixes.
    public var secretDetector: SecretDetector { SecretDetector(keyPrefixes: keyPrefixes) }
}

public struct ProviderFacts: Sendable, Equatable {
    public var id: String
    public var name: String
    /// The Claude Code SDK can run against this provider (Anthropic's API, Bedrock, Vertex, or compatible).
    public var runsClaudeCodeSDK: Bool

    public init(id: String, name: String, runsClaudeCodeSDK: Bool = false) {
        self.id = id
        self.name = name
        self.runsClaudeCodeSDK = runsClaudeCodeSDK
    }
}

public struct ModelFacts: Sendable, Equatable {
    public var provider: String
    public var id: String
    public var name: String
    /// The most tokens one reply may have (the model's max output); nil when unknown.
    public var maxOutputTokens: Int?
    public var supportsTemperature: Bool
    public var supportsImageInput: Bool
    public var supportsImageOutput: Bool

    public init(provider: String, id: String, name: String, maxOutputTokens: Int?, supportsTemperature: Bool = true,
                supportsImageInput: Bool = false, supportsImageOutput: Bool = false) {
        self.provider = provider
        self.id = id
        self.name = name
        self.maxOutputTokens = maxOutputTokens
        self.supportsTemperature = supportsTemperature
        self.supportsImageInput = supportsImageInput
        self.supportsImageOutput = supportsImageOutput
    }

    public var reference: String { "\(provider)/\(id)" }
}
