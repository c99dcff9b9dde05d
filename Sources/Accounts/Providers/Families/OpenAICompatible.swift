import Core
import Foundation
import Outbound

/// OpenAI's API and the many that copy it (Z.AI, xAI, Groq, Mistral, DeepSeek, Together, Cerebras, Fireworks,
/// Moonshot, custom OpenAI-compatible): `GET {base}/models` with `Authorization: Bearer`.
struct OpenAICompatibleFamily: ProviderFamily {
    let type = "openai"

    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        guard let base = target.base else { return p.missingBase() }
        guard let key = target.apiKey else { return p.result(.auth, "No API key is stored for \(p.name).") }
        return await p.list(Self.listing(base + "/models", key: key, expected: "an OpenAI-style model list; check the base URL"))
    }

    /// `{"data": [{"id", "name"?, "context_window"? | "context_length"?}]}` with a bearer key; OpenRouter lists the same way.
    static func listing(_ url: String, key: String, expected: String, readsQuota: Bool = true) -> ModelListing {
        ModelListing(url: url, headers: [("Authorization", "Bearer \(key)"), ("Accept", "application/json")], expected: expected, readsQuota: readsQuota,
                     models: { json in
                         json["data"]?.arrayValue?.compactMap { m -> DiscoveredModel? in
                             guard let id = m["id"]?.stringValue else { return nil }
                             return DiscoveredModel(id: id, name: m["name"]?.stringValue ?? id,
                                                    contextWindow: m["context_window"]?.intValue ?? m["context_length"]?.intValue)
                         }
                     },
                     error: { p, r, quota in error(p, r, quota: quota) })
    }

    /// `{"error": {"type": …, "code": …}}`; OpenAI's 429 `insufficient_quota` is a billing matter, not a rate limit.
    static func error(_ p: Probe, _ r: OutboundResponse, quota: Quota?) -> ProbeOutcome {
        let error = r.json?["error"]
        let codeText = error?["code"]?.stringValue ?? error?["code"]?.intValue.map(String.init)
        let code = Probe.code(codeText, error?["type"]?.stringValue)
        var category = Probe.category(status: r.status)
        if code == "insufficient_quota" || code == "billing_not_active" { category = .billing }
        if code == "invalid_api_key" { category = .auth }
        if r.status == 404 {
            return p.result(.notFound, "\(p.name) has no model list at this address (404); check the base URL.", status: 404, quota: quota)
        }
        return p.result(category, "\(p.name) \(Probe.verb(category)) (\(Probe.describe(r.status, code))).", status: r.status, quota: quota)
    }
}
