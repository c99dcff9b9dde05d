import Core
import Foundation
import Routing
import Settings

/// What routing reads from the settings document: aliases, manual models, the model chain of an agent (or
/// the defaults) and the parameters that apply to a model.
struct RoutingSettings: Sendable {
    let revision: Int
    let document: JSONValue
    let resolved: [String: ResolvedModel]
    /// Alias → `provider/model`.
    let aliases: [String: String]
    /// `provider/model` entries marked manual (not in the catalog): every account of the provider offers them.
    let manual: [String]
    let agents: Set<String>

    init(_ snapshot: ConfigService.Snapshot) {
        revision = snapshot.revision.revision
        document = snapshot.evaluation.document
        resolved = snapshot.evaluation.resolved
        var aliases: [String: String] = [:]
        var manual: [String] = []
        for (reference, entry) in document.value(at: ["agents", "defaults", "models"])?.objectValue ?? [:] {
            if let alias = entry["alias"]?.stringValue { aliases[alias] = reference }
            if entry["manual"]?.boolValue == true { manual.append(reference) }
        }
        self.aliases = aliases
        self.manual = manual.sorted()
        agents = Set((document.value(at: ["agents", "entries"])?.objectValue ?? [:]).keys)
    }

    /// An alias's model, else the name as given.
    func resolve(_ name: String) -> String { aliases[name] ?? name }

    private func reference(at pointer: String) -> String? {
        if let r = resolved[pointer]?.reference { return r }
        return JSONPointer.parse(pointer).flatMap { document.value(at: $0)?.stringValue }.map(resolve)
    }

    private func list(_ path: [String]) -> [ChainStep] {
        let count = document.value(at: path)?.arrayValue?.count ?? 0
        return (0..<count).compactMap { i in
            let pointer = JSONPointer.make(path + [String(i)])
            return reference(at: pointer).map { ChainStep(reference: $0, from: pointer) }
        }
    }

    /// The chain a decision walks: the requested model (else the agent's primary, else the defaults'), then the
    /// agent's fallbacks, then the defaults', each once. Nil model: nothing names one.
    func chain(model: String?, agent: String?) -> [ChainStep]? {
        var steps: [ChainStep] = []
        if let model {
            steps.append(ChainStep(reference: resolve(model), from: "request"))
        } else if let agent, let r = reference(at: "/agents/entries/\(JSONPointer.escape(agent))/model/primary") {
            steps.append(ChainStep(reference: r, from: "/agents/entries/\(JSONPointer.escape(agent))/model/primary"))
        } else if let r = reference(at: "/agents/defaults/model/primary") {
            steps.append(ChainStep(reference: r, from: "/agents/defaults/model/primary"))
        } else {
            return nil
        }
        if let agent { steps += list(["agents", "entries", agent, "model", "fallbacks"]) }
        steps += list(["agents", "defaults", "model", "fallbacks"])
        var seen: Set<String> = []
        return steps.filter { seen.insert($0.reference).inserted }
    }

    /// The runtime an agent runs on when the request names none, and where that came from.
    func runtime(agent: String?) -> (String, String) {
        if let agent, let r = document.value(at: ["agents", "entries", agent, "runtime"])?.stringValue {
            return (r, "/agents/entries/\(JSONPointer.escape(agent))/runtime")
        }
        return (document.value(at: ["agents", "defaults", "runtime"])?.stringValue ?? "pi", "/agents/defaults/runtime")
    }

    /// The parameters that apply to `reference` for `agent`: the agent's own, over the model's entry, over the
    /// global ones; `maxTokens` capped by the model's maximum output, `temperature` left out for a model that
    /// ignores it. Each with the pointer it came from.
    func params(_ reference: String, agent: String?, maxOutputTokens: Int?, supportsTemperature: Bool) -> (values: [String: JSONValue], from: [String: String]) {
        var values: [String: JSONValue] = [:]
        var from: [String: String] = [:]
        var layers: [[String]] = [["agents", "defaults", "params"], ["agents", "defaults", "models", reference, "params"]]
        if let agent { layers.append(["agents", "entries", agent, "params"]) }
        for path in layers {
            for (name, value) in document.value(at: path)?.objectValue ?? [:] where value != .null {
                values[name] = value
                from[name] = JSONPointer.make(path + [name])
            }
        }
        if !supportsTemperature {
            values["temperature"] = nil
            from["temperature"] = nil
        }
        if let cap = maxOutputTokens, let asked = values["maxTokens"]?.intValue, asked > cap {
            values["maxTokens"] = .number(Double(cap))
            from["maxTokens"] = (from["maxTokens"] ?? "") + " (capped at the model's maximum output, \(cap))"
        }
        return (values, from)
    }
}
