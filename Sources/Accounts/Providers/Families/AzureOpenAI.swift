import Core
import Foundation
import Outbound

/// Azure OpenAI: `{endpoint}/openai/models?api-version=…` with `api-key`; with a deployment named, a one-token
/// call to it, so a missing deployment is told apart from a bad key.
struct AzureOpenAIFamily: ProviderFamily {
    let type = "azure"

    func destination(_ target: ProbeTarget) -> String? {
        var endpoint = target.base ?? target.credential.fields["endpoint"]?.stringValue
        while endpoint?.hasSuffix("/") == true { endpoint?.removeLast() }
        return endpoint
    }

    func handout(_ target: ProbeTarget, _ client: OutboundClient) async -> Result<HandedCredential, HandoutFailure> {
        let fields = target.credential.fields
        guard let endpoint = destination(target), let key = fields["apiKey"]?.stringValue else { return .failure(.noCredential) }
        var handed = HandedCredential(kind: "azure", headers: ["api-key": key])
        handed.endpoint = endpoint
        handed.deployment = fields["deployment"]?.stringValue
        handed.apiVersion = fields["apiVersion"]?.stringValue ?? "2024-10-21"
        return .success(handed)
    }

    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        let fields = target.credential.fields
        let endpoint = destination(target)
        guard let endpoint, let key = fields["apiKey"]?.stringValue else { return p.result(.auth, "The Azure OpenAI credential has no endpoint or key.") }
        let version = fields["apiVersion"]?.stringValue ?? "2024-10-21"
        let auth = [("api-key", key), ("Accept", "application/json")]
        let listing = ModelListing(
            url: "\(endpoint)/openai/models?api-version=\(version)", headers: auth, expected: "a model list; check the endpoint",
            models: { json in json["data"]?.arrayValue?.compactMap { m in m["id"]?.stringValue.map { DiscoveredModel(id: $0, name: $0, contextWindow: nil) } } },
            error: { p, r, _ in Self.error(p, r, deployment: nil) })
        let listed: [DiscoveredModel]
        switch await p.fetch(listing) {
        case .ended(let outcome): return outcome
        case .models(let models, _): listed = models
        }
        guard let deployment = fields["deployment"]?.stringValue else {
            return p.result(.ok, "Azure OpenAI \(p.accepted); \(listed.count) models available to this resource.", status: 200, models: listed)
        }
        let body = Array(#"{"messages":[{"role":"user","content":"ping"}],"max_tokens":1}"#.utf8)
        switch await p.send(.POST, "\(endpoint)/openai/deployments/\(deployment)/chat/completions?api-version=\(version)",
                            headers: auth + [("Content-Type", "application/json")], body: body) {
        case .failure(let f): return p.failed(f)
        case .success(let r):
            // Any answer but a 404 or an auth error means the deployment exists (a model that refuses
            // max_tokens answers 400, and that is still a deployment).
            if r.status == 200 || (r.status == 400 && r.json?["error"] != nil) {
                return p.result(.ok, "Azure OpenAI \(p.accepted) and deployment '\(deployment)' answers.", status: r.status, models: listed,
                                quota: Quota(r))
            }
            return Self.error(p, r, deployment: deployment)
        }
    }

    static func error(_ p: Probe, _ r: OutboundResponse, deployment: String?) -> ProbeOutcome {
        let error = r.json?["error"]
        let code = Probe.code(error?["code"]?.stringValue, error?["type"]?.stringValue)
        if code == "DeploymentNotFound" || (r.status == 404 && deployment != nil) {
            return p.result(.notFound, "Azure deployment '\(deployment ?? "?")' not found (\(Probe.describe(r.status, code))).", status: r.status)
        }
        var category = Probe.category(status: r.status)
        if code == "insufficient_quota" { category = .billing }
        if r.status == 404 {
            return p.result(.notFound, "Azure OpenAI has nothing at this endpoint (404); check the resource endpoint and API version.", status: 404)
        }
        return p.result(category, "Azure OpenAI \(Probe.verb(category)) (\(Probe.describe(r.status, code))).", status: r.status)
    }
}
