import Core
import Foundation
import Outbound

/// OpenRouter: `GET {base}/key` (is the key valid, its credit limit and usage), then its OpenAI-style
/// `GET {base}/models`.
struct OpenRouterFamily: ProviderFamily {
    let type = "openrouter"

    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        guard let base = target.base else { return p.missingBase() }
        guard let key = target.apiKey else { return p.result(.auth, "No API key is stored for \(p.name).") }
        var quota = Quota()
        switch await p.send(.GET, base + "/key", headers: [("Authorization", "Bearer \(key)"), ("Accept", "application/json")]) {
        case .failure(let f): return p.failed(f)
        case .success(let r):
            guard r.status == 200 else { return OpenAICompatibleFamily.error(p, r, quota: nil) }
            guard let data = r.json?["data"], data.objectValue != nil else {
                return p.result(.badResponse, "\(p.name) answered 200, but not with its key information; check the base URL.", status: 200)
            }
            quota.creditLimit = data["limit"]?.numberValue
            quota.creditUsed = data["usage"]?.numberValue
            if let limit = quota.creditLimit, let used = quota.creditUsed, used >= limit {
                return p.result(.billing, "\(p.name) \(p.accepted), but its credit limit is used up.", status: 200, quota: quota)
            }
        }
        var listing = OpenAICompatibleFamily.listing(base + "/models", key: key, expected: "a model list", readsQuota: false)
        let credit = quota
        listing.error = { p, r, _ in OpenAICompatibleFamily.error(p, r, quota: credit) }
        switch await p.fetch(listing) {
        case .ended(let outcome): return outcome
        case .models(let models, _):
            return p.result(.ok, "\(p.name) \(p.accepted); \(models.count) models available.", status: 200, models: models, quota: quota)
        }
    }
}
