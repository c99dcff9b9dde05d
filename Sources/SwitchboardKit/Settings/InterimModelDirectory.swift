extension StaticModelDirectory {
    /// The providers and a few current models of each MVP provider, until the catalog (Catwalk format,
    /// with custom providers) replaces this table. Facts from the providers' model pages, 2026.
    public static let interim = StaticModelDirectory(
        providers: [
            ProviderFacts(id: "openai", name: "OpenAI"),
            ProviderFacts(id: "anthropic", name: "Anthropic", runsClaudeCodeSDK: true),
            ProviderFacts(id: "google", name: "Google Gemini"),
            ProviderFacts(id: "openrouter", name: "OpenRouter"),
            ProviderFacts(id: "zai", name: "Z.AI", runsClaudeCodeSDK: true),
            ProviderFacts(id: "azureOpenai", name: "Azure OpenAI"),
            ProviderFacts(id: "bedrock", name: "Amazon Bedrock", runsClaudeCodeSDK: true),
            ProviderFacts(id: "vertex", name: "Google Vertex AI", runsClaudeCodeSDK: true),
        ],
        models: [
            ModelFacts(provider: "anthropic", id: "claude-opus-4-1-20250805", name: "Claude Opus 4.1", maxOutputTokens: 32_000, supportsImageInput: true),
            ModelFacts(provider: "anthropic", id: "claude-sonnet-4-5-20250929", name: "Claude Sonnet 4.5", maxOutputTokens: 64_000, supportsImageInput: true),
            ModelFacts(provider: "anthropic", id: "claude-sonnet-4-20250514", name: "Claude Sonnet 4", maxOutputTokens: 64_000, supportsImageInput: true),
            ModelFacts(provider: "anthropic", id: "claude-haiku-4-5-20251001", name: "Claude Haiku 4.5", maxOutputTokens: 64_000, supportsImageInput: true),
            ModelFacts(provider: "anthropic", id: "claude-3-5-haiku-20241022", name: "Claude 3.5 Haiku", maxOutputTokens: 8_192, supportsImageInput: true),
            ModelFacts(provider: "openai", id: "gpt-5", name: "GPT-5", maxOutputTokens: 128_000, supportsTemperature: false, supportsImageInput: true),
            ModelFacts(provider: "openai", id: "gpt-5-mini", name: "GPT-5 mini", maxOutputTokens: 128_000, supportsTemperature: false, supportsImageInput: true),
            ModelFacts(provider: "openai", id: "gpt-4.1", name: "GPT-4.1", maxOutputTokens: 32_768, supportsImageInput: true),
            ModelFacts(provider: "openai", id: "gpt-4o", name: "GPT-4o", maxOutputTokens: 16_384, supportsImageInput: true),
            ModelFacts(provider: "openai", id: "gpt-image-1", name: "GPT Image 1", maxOutputTokens: nil, supportsTemperature: false, supportsImageInput: true, supportsImageOutput: true),
            ModelFacts(provider: "google", id: "gemini-2.5-pro", name: "Gemini 2.5 Pro", maxOutputTokens: 65_536, supportsImageInput: true),
            ModelFacts(provider: "google", id: "gemini-2.5-flash", name: "Gemini 2.5 Flash", maxOutputTokens: 65_536, supportsImageInput: true),
            ModelFacts(provider: "google", id: "gemini-2.5-flash-image", name: "Gemini 2.5 Flash Image", maxOutputTokens: 32_768, supportsImageInput: true, supportsImageOutput: true),
            ModelFacts(provider: "openrouter", id: "anthropic/claude-sonnet-4.5", name: "Anthropic: Claude Sonnet 4.5", maxOutputTokens: 64_000, supportsImageInput: true),
            ModelFacts(provider: "openrouter", id: "openai/gpt-5", name: "OpenAI: GPT-5", maxOutputTokens: 128_000, supportsTemperature: false, supportsImageInput: true),
            ModelFacts(provider: "zai", id: "glm-4.6", name: "GLM-4.6", maxOutputTokens: 128_000),
            ModelFacts(provider: "zai", id: "glm-4.5-air", name: "GLM-4.5-Air", maxOutputTokens: 98_304),
            ModelFacts(provider: "azureOpenai", id: "gpt-4o", name: "GPT-4o (Azure)", maxOutputTokens: 16_384, supportsImageInput: true),
            ModelFacts(provider: "bedrock", id: "anthropic.claude-sonnet-4-5-20250929-v1:0", name: "Claude Sonnet 4.5 (Bedrock)", maxOutputTokens: 64_000, supportsImageInput: true),
            ModelFacts(provider: "vertex", id: "claude-sonnet-4-5@20250929", name: "Claude Sonnet 4.5 (Vertex)", maxOutputTokens: 64_000, supportsImageInput: true),
            ModelFacts(provider: "vertex", id: "gemini-2.5-pro", name: "Gemini 2.5 Pro (Vertex)", maxOutputTokens: 65_536, supportsImageInput: true),
        ])
}
