import Core
import Foundation
import Routing
import Settings

/// What routing reads from the settings: aliases, manual models, the model chain of an agent (or the
/// defaults), its runtime and the parameters that apply to a model. The inheritance rules are the settings'
/// (`Settings.Evaluation`'s routing questions); this only puts the chain in the order a decision walks it.
struct RoutingSettings: Sendable {
    let revision: Int
    let evaluation: Settings.Evaluation
    /// `provider/model` entries marked manual (not in the catalog): every account of the provider offers them.
    let manual: [String]

    init(_ snapshot: ConfigService.Snapshot) {
        revision = snapshot.revision.revision
        evaluation = snapshot.evaluation
        manual = (evaluation.document.value(at: ["agents", "defaults", "models"])?.objectValue ?? [:])
            .filter { $0.value["manual"]?.boolValue == true }.keys.sorted()
    }

    func agentExists(_ id: String) -> Bool { evaluation.agentExists(id) }

    /// An alias's model, else the name as given (`provider/model`, an undated or a bare id).
    func resolve(_ name: String) -> String { evaluation.resolve(name) ?? name }

    /// The chain a decision walks: the requested model (else the agent's primary, else the defaults'), then the
    /// agent's fallbacks, then the defaults', each once. Nil when nothing names a model.
    func chain(model: String?, agent: String?) -> [ChainStep]? {
        let own = evaluation.modelChoice(agent: agent)
        let defaults = evaluation.modelChoice(agent: nil)
        var steps: [ChainStep] = []
        if let model {
            steps.append(ChainStep(reference: resolve(model), from: "request"))
        } else if let primary = own?.primary {
            steps.append(ChainStep(reference: primary.reference, from: primary.from))
        } else {
            return nil
        }
        for fallback in (own?.fallbacks ?? []) + (agent == nil ? [] : defaults?.fallbacks ?? []) {
            steps.append(ChainStep(reference: fallback.reference, from: fallback.from))
        }
        var seen: Set<String> = []
        return steps.filter { seen.insert($0.reference).inserted }
    }

    /// The runtime an agent runs on when the request names none, and the setting it came from.
    func runtime(agent: String?) -> (String, String) {
        guard let a = evaluation.agent(agent) else { return ("pi", "/agents/defaults/runtime") }
        return (a.runtime, a.runtimeFrom)
    }

    func params(_ reference: String, agent: String?, maxOutputTokens: Int?, supportsTemperature: Bool) -> (values: [String: JSONValue], from: [String: String]) {
        let p = evaluation.params(for: reference, agent: agent, maxOutputTokens: maxOutputTokens, supportsTemperature: supportsTemperature)
        return (p.values, p.from)
    }
}
