import Catalog
import Core
import Foundation
import Outbound
import Vault

/// The outcome of one probe: the test result and, when the call listed them, the models.
public struct ProbeOutcome: Sendable {
    public var result: TestResult
    public var models: [DiscoveredModel]?
}

/// What a probe needs: the provider, the credential (in memory for this call only), where to send it.
public struct ProbeTarget: Sendable {
    public var provider: CatalogProvider
    public var credential: Credential
    /// The account's base URL, else the catalog's endpoint (Azure: the credential's endpoint).
    public var baseURL: String?
    /// The account's extra headers (never auth headers: those are the adapter's).
    public var headers: [String: String]
    public var timeout: Duration

    var base: String? {
        guard var b = baseURL?.trimmed, !b.isEmpty, !b.hasPrefix("$") else { return nil }
        while b.hasSuffix("/") { b.removeLast() }
        return b
    }

    var apiKey: String? { credential.fields["apiKey"]?.stringValue ?? credential.fields["accessToken"]?.stringValue }
}

/// One adapter per API family: the cheapest real authenticated call, its errors read the family's way.
protocol ProviderFamily: Sendable {
    /// The catalog `type` this family serves (`openai`, `anthropic`, ...): its key in `ProviderFamilies`.
    var type: String { get }
    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome
    /// The base URL the credential is sent to for this target: the account's base URL or the catalog's
    /// endpoint, else what the family derives from the credential (Azure's endpoint, Bedrock's region, Vertex
    /// AI's default location). `probe` calls exactly this, and the account's credential is confirmed for its
    /// origin: a change of it needs the credential confirmed again.
    func destination(_ target: ProbeTarget) -> String?
    /// What a runtime needs to call this family's API with the target's credential (`POST /api/route`): the
    /// same auth headers `probe` sends, or the cloud credential's fields. Calls out only to mint a token
    /// (Vertex AI's service accounts).
    func handout(_ target: ProbeTarget, _ client: OutboundClient) async -> Result<HandedCredential, HandoutFailure>
}

extension ProviderFamily {
    func destination(_ target: ProbeTarget) -> String? { target.base }

    /// A bearer token: an API key or a sign-in's access token (OpenAI and the APIs that copy it, OpenRouter).
    func handout(_ target: ProbeTarget, _ client: OutboundClient) async -> Result<HandedCredential, HandoutFailure> {
        guard let key = target.apiKey else { return .failure(.noCredential) }
        return .success(target.handed(["Authorization": "Bearer \(key)"]))
    }
}

extension ProbeTarget {
    /// A credential handed out as headers, with an OAuth token's expiry.
    func handed(_ headers: [String: String]) -> HandedCredential {
        HandedCredential(kind: credential.kind.rawValue, headers: headers,
                         expiresAt: credential.fields["expiresAt"]?.stringValue.flatMap { try? Date($0, strategy: .iso8601) })
    }
}

/// Shared steps of every family: send, turn transport failures into results, read errors by status.
struct Probe {
    let target: ProbeTarget
    let client: OutboundClient
    let started = ContinuousClock.now
    var name: String { target.provider.name }
    /// What the provider accepted: an OAuth sign-in's token, or a key.
    var accepted: String { "accepted the " + (target.credential.kind == .oauth ? "sign-in" : "key") }

    func send(_ method: OutboundRequest.Method = .GET, _ url: String, headers: [(String, String)], body: [UInt8]? = nil) async -> Result<OutboundResponse, OutboundFailure> {
        // The account's own headers first; the adapter's auth headers are added last and cannot be overridden.
        let extra = target.headers.sorted { $0.key < $1.key }.filter { h in !headers.contains { $0.0.caseInsensitiveCompare(h.key) == .orderedSame } }
        return await client.send(OutboundRequest(method, url, headers: extra.map { ($0.key, $0.value) } + headers, body: body, timeout: target.timeout))
    }

    var latencyMs: Int { Self.milliseconds(started.duration(to: .now)) }

    /// Whole milliseconds of `d`.
    static func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }

    func result(_ category: TestCategory, _ summary: String, status: Int? = nil, models: [DiscoveredModel]? = nil, quota: Quota? = nil) -> ProbeOutcome {
        ProbeOutcome(result: TestResult(ok: category == .ok, category: category, httpStatus: status, latencyMs: latencyMs,
                                        summary: summary, modelCount: models?.count, quota: quota?.isEmpty == true ? nil : quota,
                                        testedAt: Date()),
                     models: models)
    }

    func failed(_ failure: OutboundFailure) -> ProbeOutcome {
        result(failure.category, failure.summary)
    }

    func missingBase() -> ProbeOutcome {
        result(.network, "\(name) has no API endpoint configured; set the account's base URL.")
    }

    /// The category an HTTP error status means when the body says nothing more specific.
    static func category(status: Int) -> TestCategory {
        switch status {
        case 401: .auth
        case 402: .billing
        case 403: .forbidden
        case 404: .notFound
        case 408, 504: .timeout
        case 429: .rateLimit
        default: .unknown
        }
    }

    static func verb(_ category: TestCategory) -> String {
        switch category {
        case .auth: "rejected the credential"
        case .forbidden: "refused access"
        case .rateLimit: "is rate-limiting this key"
        case .billing: "refused for billing or quota reasons"
        case .notFound: "did not find"
        case .timeout: "timed out"
        default: "answered with an error"
        }
    }

    /// A short code from an error body, only if it looks like an identifier: upstream messages may quote
    /// part of the key, so they are never repeated.
    static func code(_ candidates: String?...) -> String? {
        for c in candidates {
            guard let c, !c.isEmpty, c.count <= 64,
                  c.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) else { continue }
            return c
        }
        return nil
    }

    static func describe(_ status: Int, _ code: String?) -> String {
        code.map { "\(status) \($0)" } ?? "\(status)"
    }

}
