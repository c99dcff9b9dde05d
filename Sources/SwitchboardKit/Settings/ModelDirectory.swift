/// What the settings document needs to know about providers and models: which exist, their output cap,
/// and which knobs they accept. The catalog (Catwalk format, with the user's custom providers) provides
/// this; tests use a fixed table.
public protocol ModelDirectory: Sendable {
    func provider(_ id: String) -> ProviderFacts?
    func model(provider: String, id: String) -> ModelFacts?
    /// Changes whenever the directory's content changes, so cached answers computed from it can be dropped.
    var generation: Int { get }
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
