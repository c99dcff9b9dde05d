import Core
import Foundation
import Outbound

/// Gemini's API: `GET {base}/v1beta/models` with the key in `x-goog-api-key`, never in the URL.
struct GeminiFamily: ProviderFamily {
    let type = "gemini"

    /// The key in `x-goog-api-key` (never in the URL), or a sign-in's bearer token.
    static func auth(_ target: ProbeTarget) -> (String, String)? {
        guard let secret = target.apiKey else { return nil }
        return target.credential.kind == .oauth ? ("Authorization", "Bearer \(secret)") : ("x-goog-api-key", secret)
    }

    func handout(_ target: ProbeTarget, _ client: OutboundClient) async -> Result<HandedCredential, HandoutFailure> {
        guard let (name, value) = Self.auth(target) else { return .failure(.noCredential) }
        return .success(target.handed([name: value]))
    }

    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        guard let base = target.base else { return p.missingBase() }
        guard let auth = Self.auth(target) else { return p.result(.auth, "No API key is stored for \(p.name).") }
        let headers = [("Accept", "application/json"), auth]
        return await p.list(ModelListing(
            url: base + "/v1beta/models?pageSize=1000", headers: headers, expected: "Gemini's model list; check the base URL",
            models: { json in
                json["models"]?.arrayValue?.compactMap { m -> DiscoveredModel? in
                    guard let name = m["name"]?.stringValue else { return nil }
                    let id = name.hasPrefix("models/") ? String(name.dropFirst(7)) : name
                    return DiscoveredModel(id: id, name: m["displayName"]?.stringValue ?? id, contextWindow: m["inputTokenLimit"]?.intValue)
                }
            },
            error: { p, r, _ in Self.error(p, r) }))
    }

    /// Google's errors: `{"error": {"code", "status", "details": [{"reason": "API_KEY_INVALID"}]}}`. A bad
    /// key is a 400 INVALID_ARGUMENT there, so the reason decides. Vertex AI answers the same way.
    static func error(_ p: Probe, _ r: OutboundResponse) -> ProbeOutcome {
        let error = r.json?["error"]
        let reason = error?["details"]?.arrayValue?.compactMap { $0["reason"]?.stringValue }.first
        let code = Probe.code(reason, error?["status"]?.stringValue)
        var category = Probe.category(status: r.status)
        switch reason {
        case "API_KEY_INVALID", "API_KEY_EXPIRED", "ACCESS_TOKEN_EXPIRED", "CREDENTIALS_MISSING": category = .auth
        case "API_KEY_SERVICE_BLOCKED", "SERVICE_DISABLED", "API_KEY_HTTP_REFERRER_BLOCKED", "API_KEY_IP_ADDRESS_BLOCKED": category = .forbidden
        case "BILLING_DISABLED": category = .billing
        case "RATE_LIMIT_EXCEEDED": category = .rateLimit
        default:
            if error?["status"]?.stringValue == "RESOURCE_EXHAUSTED" { category = .rateLimit }
            if error?["status"]?.stringValue == "UNAUTHENTICATED" { category = .auth }
            if error?["status"]?.stringValue == "PERMISSION_DENIED" { category = .forbidden }
        }
        return p.result(category, "\(p.name) \(Probe.verb(category)) (\(Probe.describe(r.status, code))).", status: r.status)
    }
}
