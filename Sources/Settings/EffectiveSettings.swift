import Core

/// The values that actually apply after precedence, with the pointer each came from, so the page can say
/// "Use system default (Pi)" and show which setting wins.
public struct EffectiveSettings: Sendable, Equatable, Encodable {
    public var systemBrain: SystemBrain
    public var heartbeat: Heartbeat
    public var model: ModelChoice
    public var imageModel: ModelChoice
    /// Creativity and Response length for the default text model (its own `params` entry over the global ones).
    public var params: Params
    /// Streaming replies on or off (`agents.defaults.blockStreamingDefault` = "on").
    public var streaming: Bool
    /// Each agent of `agents.entries`, by id: its entry over `agents.defaults`.
    public var agents: [String: EffectiveAgent]
    /// What an agent without an entry gets: the defaults in an agent's shape. Not part of the answer, which shows
    /// the defaults as `model`, `imageModel` and `params`.
    public var defaultAgent: EffectiveAgent

    enum CodingKeys: String, CodingKey {
        case systemBrain, heartbeat, model, imageModel, params, streaming, agents
    }

    public struct SystemBrain: Sendable, Equatable, Encodable {
        /// `agents.main.runtime`, else `agents.defaults.mainRuntime`, else `agents.defaults.runtime`.
        public var runtime: String
        public var runtimeFrom: String
        /// `agents.main.model`, else the default text model.
        public var model: String?
        public var modelFrom: String?
        /// Only when the runtime is the Claude Code SDK: `agents.main.sdk.model`, else the System Brain model.
        public var sdkModel: String?
        public var sdkModelFrom: String?
        /// Only with the SDK runtime: `agents.defaults.mainCcsdkProvider`, else the SDK model's provider.
        public var ccsdkProvider: String?
        public var ccsdkProviderFrom: String?
        public var thinkingBudget: Int?
    }

    public struct Heartbeat: Sendable, Equatable, Encodable {
        public var enabled: Bool
        /// `agents.defaults.heartbeat.model`, else the default text model.
        public var model: String?
        public var modelFrom: String?
    }

    public struct ModelChoice: Sendable, Equatable, Encodable {
        /// Aliases resolved to `provider/model`.
        public var primary: String?
        public var fallbacks: [String]
    }

    public struct Params: Sendable, Equatable, Encodable {
        public var model: String?
        public var temperature: Double
        public var temperatureFrom: String
        /// False when the model ignores temperature.
        public var temperatureApplies: Bool
        public var maxTokens: Int
        public var maxTokensFrom: String
        /// The default text model's maximum output tokens from the catalog; nil when unknown.
        public var maxTokensCap: Int?
    }
}

extension EffectiveSettings {
    /// Computes the effective values of a document that has its defaults and resolved references.
    static func compute(_ document: JSONValue, resolved: [String: ResolvedModel]) -> EffectiveSettings {
        func string(_ pointer: String) -> String? { JSONPointer.parse(pointer).flatMap { document.value(at: $0)?.stringValue } }
        func first(_ pointers: [String], _ value: (String) -> String?) -> (String, String)? {
            for p in pointers { if let v = value(p) { return (v, p) } }
            return nil
        }
        let primaryPointer = "/agents/defaults/model/primary"

        let runtime = first(["/agents/main/runtime", "/agents/defaults/mainRuntime", "/agents/defaults/runtime"], string)
            ?? ("pi", "/agents/defaults/runtime")
        let brainModel = first(["/agents/main/model", primaryPointer]) { resolved[$0]?.reference }
        var brain = SystemBrain(runtime: runtime.0, runtimeFrom: runtime.1, model: brainModel?.0, modelFrom: brainModel?.1)
        if runtime.0 == "claude-code-sdk" {
            let sdk = first(["/agents/main/sdk/model", "/agents/main/model", primaryPointer]) { resolved[$0]?.reference }
            brain.sdkModel = sdk?.0
            brain.sdkModelFrom = sdk?.1
            if let provider = string("/agents/defaults/mainCcsdkProvider") {
                brain.ccsdkProvider = provider
                brain.ccsdkProviderFrom = "/agents/defaults/mainCcsdkProvider"
            } else if let sdk, let model = resolved[sdk.1] {
                brain.ccsdkProvider = model.provider
                brain.ccsdkProviderFrom = sdk.1
            }
            brain.thinkingBudget = document.value(at: ["agents", "main", "sdk", "thinkingBudget"])?.intValue
        }

        let heartbeatModel = first(["/agents/defaults/heartbeat/model", primaryPointer]) { resolved[$0]?.reference }
        let heartbeat = Heartbeat(enabled: string("/agents/defaults/heartbeat/every") != "0m",
                                  model: heartbeatModel?.0, modelFrom: heartbeatModel?.1)

        let inheritance = Inheritance(document: document, resolved: resolved)
        let defaultAgent = inheritance.agent(nil)
        func choice(_ c: EffectiveModelChoice) -> ModelChoice {
            ModelChoice(primary: c.primary?.reference, fallbacks: c.fallbacks.map(\.reference))
        }

        // The defaults' Creativity shows even for a model that ignores it (with temperatureApplies false).
        let primary = defaultAgent.model.primary
        let layered = inheritance.layered(model: primary?.reference, agent: nil)
        let cap = primary?.facts?.maxOutputTokens
        let params = Params(model: primary?.reference, temperature: layered.values["temperature"]?.numberValue ?? 0.7,
                            temperatureFrom: layered.from["temperature"] ?? "/agents/defaults/params/temperature",
                            temperatureApplies: primary?.facts?.supportsTemperature ?? true,
                            maxTokens: defaultAgent.params.values["maxTokens"]?.intValue ?? 4096,
                            maxTokensFrom: layered.from["maxTokens"] ?? "/agents/defaults/params/maxTokens", maxTokensCap: cap)

        let entries = document.value(at: SettingsSchema.agentEntriesPath)?.objectValue ?? [:]
        var agents: [String: EffectiveAgent] = [:]
        for id in entries.keys where SettingsValidator.isAgentID(id) && entries[id]?.objectValue != nil {
            agents[id] = inheritance.agent(id)
        }

        return EffectiveSettings(systemBrain: brain, heartbeat: heartbeat, model: choice(defaultAgent.model),
                                 imageModel: choice(defaultAgent.imageModel), params: params,
                                 streaming: string("/agents/defaults/blockStreamingDefault") != "off",
                                 agents: agents, defaultAgent: defaultAgent)
    }
}
