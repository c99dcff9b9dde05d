import Core
import Foundation
import Outbound

/// OpenAI's API and the many that copy it (Z.AI, Groq, Mistral, DeepSeek, Together, custom OpenAI-compatible):
/// `GET {base}/models` with `Authorization: Bearer`.
struct OpenAICompatibleFamily: ProviderFamily {
    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        guard let base = target.base else { return p.missingBase() }
        guard let key = target.apiKey else { return p.result(.auth, "No API key is stored for \(p.name).") }
        switch await p.send(.GET, base + "/models", headers: [("Authorization", "Bearer \(key)"), ("Accept", "application/json")]) {
        case .failure(let f): return p.failed(f)
        case .success(let r):
            let quota = Probe.openAIQuota(r)
            guard r.status == 200 else { return Self.error(p, r, quota: quota) }
            guard let data = r.json?["data"]?.arrayValue else {
                return p.result(.badResponse, "\(p.name) answered 200, but not with an OpenAI-style model list; check the base URL.", status: 200)
            }
            let models = data.compactMap { m -> DiscoveredModel? in
                guard let id = m["id"]?.stringValue else { return nil }
                return DiscoveredModel(id: id, name: m["name"]?.stringValue ?? id, contextWindow: m["context_window"]?.intValue ?? m["context_length"]?.intValue)
            }
            return p.result(.ok, "\(p.name) \(p.accepted); \(models.count) models available.", status: 200, models: models, quota: quota)
        }
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

/// Anthropic's Messages API family: `GET {base}/v1/models` with `x-api-key` and `anthropic-version`.
struct AnthropicFamily: ProviderFamily {
    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        guard let base = target.base else { return p.missingBase() }
        var headers = [("anthropic-version", "2023-06-01"), ("Accept", "application/json")]
        if target.credential.kind == .oauth, let token = target.apiKey {
            headers.append(("Authorization", "Bearer \(token)"))
        } else if let key = target.apiKey {
            headers.append(("x-api-key", key))
        } else {
            return p.result(.auth, "No API key is stored for \(p.name).")
        }
        switch await p.send(.GET, base + "/v1/models?limit=1000", headers: headers) {
        case .failure(let f): return p.failed(f)
        case .success(let r):
            let quota = Self.quota(r)
            guard r.status == 200 else {
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
            guard let data = r.json?["data"]?.arrayValue else {
                return p.result(.badResponse, "\(p.name) answered 200, but not with Anthropic's model list; check the base URL.", status: 200)
            }
            let models = data.compactMap { m -> DiscoveredModel? in
                guard let id = m["id"]?.stringValue else { return nil }
                return DiscoveredModel(id: id, name: m["display_name"]?.stringValue ?? id, contextWindow: nil)
            }
            return p.result(.ok, "\(p.name) \(p.accepted); \(models.count) models available.", status: 200, models: models, quota: quota)
        }
    }

    static func quota(_ r: OutboundResponse) -> Quota {
        var q = Quota()
        q.requestsLimit = r.header("anthropic-ratelimit-requests-limit").flatMap { Int($0) }
        q.requestsRemaining = r.header("anthropic-ratelimit-requests-remaining").flatMap { Int($0) }
        q.tokensLimit = r.header("anthropic-ratelimit-tokens-limit").flatMap { Int($0) }
        q.tokensRemaining = r.header("anthropic-ratelimit-tokens-remaining").flatMap { Int($0) }
        q.resetAt = r.header("anthropic-ratelimit-requests-reset").flatMap { try? Date($0, strategy: .iso8601) }
        return Probe.withRetryAfter(q, r)
    }
}

/// Gemini's API: `GET {base}/v1beta/models` with the key in `x-goog-api-key`, never in the URL.
struct GeminiFamily: ProviderFamily {
    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        guard let base = target.base else { return p.missingBase() }
        var headers = [("Accept", "application/json")]
        if target.credential.kind == .oauth, let token = target.apiKey {
            headers.append(("Authorization", "Bearer \(token)"))
        } else if let key = target.apiKey {
            headers.append(("x-goog-api-key", key))
        } else {
            return p.result(.auth, "No API key is stored for \(p.name).")
        }
        switch await p.send(.GET, base + "/v1beta/models?pageSize=1000", headers: headers) {
        case .failure(let f): return p.failed(f)
        case .success(let r):
            guard r.status == 200 else { return Self.error(p, r) }
            guard let list = r.json?["models"]?.arrayValue else {
                return p.result(.badResponse, "\(p.name) answered 200, but not with Gemini's model list; check the base URL.", status: 200)
            }
            let models = list.compactMap { m -> DiscoveredModel? in
                guard let name = m["name"]?.stringValue else { return nil }
                let id = name.hasPrefix("models/") ? String(name.dropFirst(7)) : name
                return DiscoveredModel(id: id, name: m["displayName"]?.stringValue ?? id, contextWindow: m["inputTokenLimit"]?.intValue)
            }
            return p.result(.ok, "\(p.name) \(p.accepted); \(models.count) models available.", status: 200, models: models)
        }
    }

    /// Google's errors: `{"error": {"code", "status", "details": [{"reason": "API_KEY_INVALID"}]}}`. A bad
    /// key is a 400 INVALID_ARGUMENT there, so the reason decides.
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

/// OpenRouter: `GET {base}/key` (is the key valid, its credit limit and usage), then `GET {base}/models`.
struct OpenRouterFamily: ProviderFamily {
    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        guard let base = target.base else { return p.missingBase() }
        guard let key = target.apiKey else { return p.result(.auth, "No API key is stored for \(p.name).") }
        let auth = [("Authorization", "Bearer \(key)"), ("Accept", "application/json")]
        var quota = Quota()
        switch await p.send(.GET, base + "/key", headers: auth) {
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
        switch await p.send(.GET, base + "/models", headers: auth) {
        case .failure(let f): return p.failed(f)
        case .success(let r):
            guard r.status == 200, let data = r.json?["data"]?.arrayValue else {
                return r.status == 200 ? p.result(.badResponse, "\(p.name) answered 200, but not with a model list.", status: 200)
                                       : OpenAICompatibleFamily.error(p, r, quota: quota)
            }
            let models = data.compactMap { m -> DiscoveredModel? in
                guard let id = m["id"]?.stringValue else { return nil }
                return DiscoveredModel(id: id, name: m["name"]?.stringValue ?? id, contextWindow: m["context_length"]?.intValue)
            }
            return p.result(.ok, "\(p.name) \(p.accepted); \(models.count) models available.", status: 200, models: models, quota: quota)
        }
    }
}

/// Azure OpenAI: `{endpoint}/openai/models?api-version=…` with `api-key`; with a deployment named, a one-token
/// call to it, so a missing deployment is told apart from a bad key.
struct AzureOpenAIFamily: ProviderFamily {
    func destination(_ target: ProbeTarget) -> String? {
        var endpoint = target.base ?? target.credential.fields["endpoint"]?.stringValue
        while endpoint?.hasSuffix("/") == true { endpoint?.removeLast() }
        return endpoint
    }

    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        let fields = target.credential.fields
        let endpoint = destination(target)
        guard let endpoint, let key = fields["apiKey"]?.stringValue else { return p.result(.auth, "The Azure OpenAI credential has no endpoint or key.") }
        let version = fields["apiVersion"]?.stringValue ?? "2024-10-21"
        let auth = [("api-key", key), ("Accept", "application/json")]
        let listed: [DiscoveredModel]
        switch await p.send(.GET, "\(endpoint)/openai/models?api-version=\(version)", headers: auth) {
        case .failure(let f): return p.failed(f)
        case .success(let r):
            guard r.status == 200 else { return Self.error(p, r, deployment: nil) }
            guard let data = r.json?["data"]?.arrayValue else {
                return p.result(.badResponse, "Azure OpenAI answered 200, but not with a model list; check the endpoint.", status: 200)
            }
            listed = data.compactMap { m in m["id"]?.stringValue.map { DiscoveredModel(id: $0, name: $0, contextWindow: nil) } }
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
                return p.result(.ok, "Azure OpenAI \(p.accepted) and deployment '\(deployment)' answers.", status: r.status, models: listed, quota: Probe.openAIQuota(r))
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

/// A local Ollama: `GET {base}/api/tags`, no credential.
struct OllamaFamily: ProviderFamily {
    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        guard var base = target.base else { return p.missingBase() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        switch await p.send(.GET, base + "/api/tags", headers: [("Accept", "application/json")]) {
        case .failure(let f): return p.failed(f)
        case .success(let r):
            guard r.status == 200, let list = r.json?["models"]?.arrayValue else {
                return r.status == 200 ? p.result(.badResponse, "\(p.name) answered 200, but not with Ollama's model list.", status: 200)
                                       : p.result(Probe.category(status: r.status), "\(p.name) answered \(r.status).", status: r.status)
            }
            let models = list.compactMap { m in m["name"]?.stringValue.map { DiscoveredModel(id: $0, name: $0, contextWindow: nil) } }
            return p.result(.ok, "\(p.name) answers; \(models.count) models pulled.", status: 200, models: models)
        }
    }
}
