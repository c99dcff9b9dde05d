import Core

/// An agent's values after inheritance: its entry under `agents.entries`, else `agents.defaults`. Every value
/// carries the JSON pointer of the setting it came from, so routing's `explain` and the page can say which wins.
public struct EffectiveAgent: Sendable, Equatable, Encodable {
    /// The agent's `runtime`, else `agents.defaults.runtime`.
    public var runtime: String
    public var runtimeFrom: String
    public var model: EffectiveModelChoice
    public var imageModel: EffectiveModelChoice
    /// For the primary text model; routing asks `Settings.Evaluation.params(for:agent:maxOutputTokens:supportsTemperature:)`
    /// for the model it actually picks.
    public var params: EffectiveParams
}

/// A primary and its fallbacks, each resolved and with the pointer that named it.
public struct EffectiveModelChoice: Sendable, Equatable, Encodable {
    /// The agent's own primary, else the default one; nil when neither is set.
    public var primary: ChosenModel?
    /// The agent's list when it sets `fallbacks` (even an empty one), else the defaults'.
    public var fallbacks: [ChosenModel]
    /// The pointer of the list `fallbacks` is.
    public var fallbacksFrom: String

    /// The primary, then the fallbacks: the order to try them in.
    public var inOrder: [ChosenModel] { (primary.map { [$0] } ?? []) + fallbacks }
}

/// A model a setting chose, aliases resolved.
public struct ChosenModel: Sendable, Equatable, Encodable {
    public var provider: String
    /// The provider's own model id.
    public var model: String
    /// The catalog's facts; nil for a model it does not list (a manual entry).
    public var facts: ModelFacts?
    /// The pointer of the setting that named it (`/agents/entries/coder/model/fallbacks/0`).
    public var from: String

    public var reference: String { "\(provider)/\(model)" }

    init(_ resolved: ResolvedModel, from: String) {
        provider = resolved.provider
        model = resolved.model
        facts = resolved.facts
        self.from = from
    }

    enum CodingKeys: String, CodingKey { case reference, from }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reference, forKey: .reference)
        try c.encode(from, forKey: .from)
    }
}

/// The parameters a call to one model sends: `temperature`, `maxTokens` and provider-specific ones.
public struct EffectiveParams: Sendable, Equatable, Encodable {
    /// `provider/model`; nil when no model is chosen (then nothing is capped).
    public var model: String?
    /// `temperature` only when the model accepts one; `maxTokens` never above `maxTokensCap`.
    public var values: [String: JSONValue]
    /// The pointer each value came from (a capped `maxTokens` keeps the pointer of the value it was capped from).
    public var from: [String: String]
    /// The model's maximum output tokens, when known.
    public var maxTokensCap: Int?
}

/// How an agent's values inherit from `agents.defaults`: the one place that knows the precedence, for the
/// effective values `GET /api/config` shows and for what routing asks.
struct Inheritance {
    let document: JSONValue
    let resolved: [String: ResolvedModel]

    static let defaults = ["agents", "defaults"]

    private func entry(_ agent: String?) -> [String]? {
        agent.map { SettingsSchema.agentEntriesPath + [$0] }
    }

    func agent(_ id: String?) -> EffectiveAgent {
        let own = entry(id).map { $0 + ["runtime"] }
        let runtime = [own, Self.defaults + ["runtime"]].lazy.compactMap { $0 }
            .compactMap { path in document.value(at: path)?.stringValue.map { ($0, JSONPointer.make(path)) } }.first
            ?? (SettingsSchema.defaults.value(at: Self.defaults + ["runtime"])?.stringValue ?? "pi", "/agents/defaults/runtime")
        let model = choice("model", agent: id)
        let primary = model.primary
        return EffectiveAgent(runtime: runtime.0, runtimeFrom: runtime.1, model: model, imageModel: choice("imageModel", agent: id),
                              params: params(model: primary?.reference, agent: id, maxOutputTokens: primary?.facts?.maxOutputTokens,
                                             supportsTemperature: primary?.facts?.supportsTemperature ?? true))
    }

    /// `model` or `imageModel`: the agent's primary when it resolves, else the default one; the agent's list
    /// when it sets one, else the defaults'.
    func choice(_ key: String, agent: String?) -> EffectiveModelChoice {
        let own = entry(agent).map { $0 + [key] }
        let defaults = Self.defaults + [key]
        let primary = [own, defaults].lazy.compactMap { $0 }.compactMap { path -> ChosenModel? in
            let pointer = JSONPointer.make(path + ["primary"])
            return resolved[pointer].map { ChosenModel($0, from: pointer) }
        }.first
        let list = (own.flatMap { document.value(at: $0 + ["fallbacks"]) != nil ? $0 : nil } ?? defaults) + ["fallbacks"]
        let count = document.value(at: list)?.arrayValue?.count ?? 0
        let fallbacks = (0..<count).compactMap { index -> ChosenModel? in
            let pointer = JSONPointer.make(list + [String(index)])
            return resolved[pointer].map { ChosenModel($0, from: pointer) }
        }
        return EffectiveModelChoice(primary: primary, fallbacks: fallbacks, fallbacksFrom: JSONPointer.make(list))
    }

    /// Each parameter from the first place that sets it: the agent's `params`, the model's entry
    /// (`agents.defaults.models.<model>.params`), the global `agents.defaults.params` (temperature and maxTokens
    /// only), the schema's defaults. Nothing is capped or dropped yet.
    func layered(model: String?, agent: String?) -> (values: [String: JSONValue], from: [String: String]) {
        var values: [String: JSONValue] = [:]
        var from: [String: String] = [:]
        let global = Self.defaults + ["params"]
        let layers = [entry(agent).map { $0 + ["params"] }, model.map { Self.defaults + ["models", $0, "params"] }, global]
        for path in layers.compactMap({ $0 }) {
            for (name, value) in document.value(at: path)?.objectValue ?? [:] where values[name] == nil {
                values[name] = value
                from[name] = JSONPointer.make(path + [name])
            }
        }
        for name in ["temperature", "maxTokens"] where values[name] == nil {
            values[name] = SettingsSchema.defaults.value(at: global + [name])
            from[name] = JSONPointer.make(global + [name])
        }
        return (values, from)
    }

    /// `layered`, then as the model takes them: no temperature for a model that refuses one, maxTokens at most its cap.
    func params(model: String?, agent: String?, maxOutputTokens cap: Int?, supportsTemperature: Bool) -> EffectiveParams {
        var (values, from) = layered(model: model, agent: agent)
        if !supportsTemperature {
            values["temperature"] = nil
            from["temperature"] = nil
        }
        if let cap, let maxTokens = values["maxTokens"]?.intValue, maxTokens > cap {
            values["maxTokens"] = .number(Double(cap))
        }
        return EffectiveParams(model: model, values: values, from: from, maxTokensCap: cap)
    }
}

// MARK: What routing asks

extension Settings.Evaluation {
    /// Whether `agents.entries` has an entry for `id` (an empty entry is an agent that inherits everything).
    public func agentExists(_ id: String) -> Bool {
        effective.agents[id] != nil
    }

    /// An agent's effective values; for nil, those of an agent without an entry (the defaults). Nil when `id`
    /// names no agent.
    public func agent(_ id: String?) -> EffectiveAgent? {
        guard let id else { return effective.defaultAgent }
        return effective.agents[id]
    }

    /// The text model and its fallbacks for an agent (nil: the defaults'); nil when `agent` names no agent.
    public func modelChoice(agent: String?) -> EffectiveModelChoice? {
        self.agent(agent)?.model
    }

    /// The image model and its fallbacks for an agent (nil: the defaults'); nil when `agent` names no agent.
    public func imageModelChoice(agent: String?) -> EffectiveModelChoice? {
        self.agent(agent)?.imageModel
    }

    /// `provider/model` for a model reference or an alias set under `agents.defaults.models` (case-insensitive);
    /// nil when it is neither. Whether the model exists is the catalog's question, not this one's.
    public func resolve(_ reference: String) -> String? {
        if SettingsValidator.splitReference(reference) != nil { return reference }
        return aliases[reference.lowercased()]
    }

    /// The parameters for a call to `model` (a reference or an alias) on behalf of `agent` (nil, or one with no
    /// entry: the defaults'), as that model takes them: without temperature when `supportsTemperature` is false,
    /// maxTokens at most `maxOutputTokens`. Each value says the pointer it came from.
    public func params(for model: String, agent: String?, maxOutputTokens: Int?, supportsTemperature: Bool) -> EffectiveParams {
        Inheritance(document: document, resolved: resolved)
            .params(model: resolve(model) ?? model, agent: agent.flatMap { agentExists($0) ? $0 : nil },
                    maxOutputTokens: maxOutputTokens, supportsTemperature: supportsTemperature)
    }
}
