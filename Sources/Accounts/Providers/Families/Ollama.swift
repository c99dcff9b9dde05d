import Core
import Foundation
import Outbound

/// A local Ollama: `GET {base}/api/tags`, no credential.
struct OllamaFamily: ProviderFamily {
    let type = "ollama"

    /// A local Ollama takes no credential; a key put in front of it (a proxy) goes as a bearer token.
    func handout(_ target: ProbeTarget, _ client: OutboundClient) async -> Result<HandedCredential, HandoutFailure> {
        guard let key = target.apiKey else { return .success(HandedCredential(kind: "none", headers: [:])) }
        return .success(target.handed(["Authorization": "Bearer \(key)"]))
    }

    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        guard var base = target.base else { return p.missingBase() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        return await p.list(ModelListing(
            url: base + "/api/tags", headers: [("Accept", "application/json")], expected: "Ollama's model list",
            models: { json in json["models"]?.arrayValue?.compactMap { m in m["name"]?.stringValue.map { DiscoveredModel(id: $0, name: $0, contextWindow: nil) } } },
            error: Probe.plainError),
            summary: { "\(p.name) answers; \($0) models pulled." })
    }
}
