import Core
import Foundation
import Outbound

/// Anthropic's Messages API family: `GET {base}/v1/models` with `x-api-key` (or a sign-in's bearer token) and
/// `anthropic-version`.
struct AnthropicFamily: ProviderFamily {
    let type = "anthropic"

    /// `anthropic-version` and the key (`x-api-key`) or a sign-in's bearer token (with the OAuth beta flag).
    static func auth(_ target: ProbeTarget) -> [(String, String)]? {
        guard let secret = target.apiKey else { return nil }
        if target.credential.kind == .oauth {
            return [("anthropic-version", "2023-06-01"), ("Authorization", "Bearer \(secret)"), ("anthropic-beta", "oauth-2025-04-20")]
        }
        return [("anthropic-version", "2023-06-01"), ("x-api-key", secret)]
    }

    func handout(_ target: ProbeTarget, _ client: OutboundClient) async -> Result<HandedCredential, HandoutFailure> {
        guard let auth = Self.auth(target) else { return .failure(.noCredential) }
        return .success(target.handed(Dictionary(auth, uniquingKeysWith: { a, _ in a })))
    }

    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        guard let base = target.base else { return p.missingBase() }
        guard let auth = Self.auth(target) else { return p.result(.auth, "No API key is stored for \(p.name).") }
        let headers = auth + [("Accept", "application/json")]
        return await p.list(ModelListing(
            url: base + "/v1/models?limit=1000", headers: headers, expected: "Anthropic's model list; check the base URL",
            readsQuota: true,
            models: { json in
                json["data"]?.arrayValue?.compactMap { m -> DiscoveredModel? in
                    guard let id = m["id"]?.stringValue else { return nil }
                    return DiscoveredModel(id: id, name: m["display_name"]?.stringValue ?? id, contextWindow: nil)
                }
            },
            error: Self.error))
    }

    /// `{"error": {"type": "authentication_error", "message": …}}`.
    static func error(_ p: Probe, _ r: OutboundResponse, _ quota: Quota?) -> ProbeOutcome {
        let error = r.json?["error"]
        let type = Probe.code(error?["type"]?.stringValue)
        var category = Probe.category(status: r.status)
        switch type {
        case "authentication_error": category = .auth
        case "permission_error": category = .forbidden
        case "not_found_error": category = .notFound
        case "rate_limit_error": category = .rateLimit
        case "billing_error": category = .billing
        case "overloaded_error": category = .rateLimit
        default: break
        }
        // Anthropic reports an empty balance as a 400 invalid_request_error; the message says so.
        if let message = error?["message"]?.stringValue, message.lowercased().contains("credit balance") { category = .billing }
        return p.result(category, "\(p.name) \(Probe.verb(category)) (\(Probe.describe(r.status, type))).", status: r.status, quota: quota)
    }
}
