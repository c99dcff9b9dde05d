import Core
import Cryptography
import Foundation
import Outbound

/// Vertex AI: the service account's key signs a JWT (RS256), its `token_uri` exchanges it for an access token,
/// and the token lists Google's publisher models.
struct VertexFamily: ProviderFamily {
    let type = "vertexai"
    static let scope = "https://www.googleapis.com/auth/cloud-platform"

    func destination(_ target: ProbeTarget) -> String? { target.base ?? "https://us-central1-aiplatform.googleapis.com" }

    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        let token: String
        var project: String?
        switch target.credential.kind {
        case .oauth:
            guard let t = target.apiKey else { return p.result(.auth, "No access token is stored for Vertex AI.") }
            token = t
        case .serviceAccount:
            switch await Self.mint(target, client) {
            case .success(let minted):
                token = minted.token
                project = minted.project
            case .failure(.unusableKey(let why)): return p.result(.auth, why)
            case .failure(.transport(let f)): return p.failed(f)
            case .failure(.refused(let status, let code)):
                let category: TestCategory = status == 400 || status == 401 ? .auth : Probe.category(status: status)
                return p.result(category, "Google refused the service account's sign-in (\(Probe.describe(status, code))).", status: status)
            case .failure(.noToken):
                return p.result(.badResponse, "Google's token endpoint answered 200 without an access token.", status: 200)
            }
        default:
            return p.result(.auth, "Vertex AI needs a service-account key or an OAuth token.")
        }
        let base = destination(target)!
        var headers = [("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
        if let project { headers.append(("x-goog-user-project", project)) }
        let listing = ModelListing(
            url: base + "/v1beta1/publishers/google/models?pageSize=200", headers: headers, expected: "a model list",
            models: { json in
                json["publisherModels"]?.arrayValue?.compactMap { m -> DiscoveredModel? in
                    guard let name = m["name"]?.stringValue else { return nil }
                    let id = name.split(separator: "/").last.map(String.init) ?? name
                    return DiscoveredModel(id: id, name: id, contextWindow: nil)
                }
            },
            error: { p, r, _ in GeminiFamily.error(p, r) })
        return await p.list(listing, summary: { "Vertex AI accepted the service account; \($0) models available." })
    }

    struct Minted: Sendable {
        var token: String
        var expiresAt: Date
        var project: String?
    }

    enum MintFailure: Error {
        case unusableKey(String)
        case transport(OutboundFailure)
        case refused(status: Int, code: String?)
        case noToken
    }

    /// An access token for the service account: a signed JWT exchanged at its `token_uri`.
    static func mint(_ target: ProbeTarget, _ client: OutboundClient, at now: Date = Date()) async -> Result<Minted, MintFailure> {
        guard let sa = target.credential.fields["json"], let email = sa["client_email"]?.stringValue,
              let pem = sa["private_key"]?.stringValue else { return .failure(.unusableKey("The service-account key lacks client_email or private_key.")) }
        let tokenURI = sa["token_uri"]?.stringValue ?? "https://oauth2.googleapis.com/token"
        let assertion: String
        do {
            assertion = try Self.assertion(email: email, pem: pem, audience: tokenURI, at: now)
        } catch {
            return .failure(.unusableKey("The service account's private key cannot be used to sign (\(error))."))
        }
        let form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"
        let p = Probe(target: target, client: client)
        switch await p.send(.POST, tokenURI, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")], body: Array(form.utf8)) {
        case .failure(let f): return .failure(.transport(f))
        case .success(let r):
            guard r.status == 200 else { return .failure(.refused(status: r.status, code: Probe.code(r.json?["error"]?.stringValue))) }
            guard let t = r.json?["access_token"]?.stringValue else { return .failure(.noToken) }
            let lifetime = r.json?["expires_in"]?.intValue ?? 3600
            return .success(Minted(token: t, expiresAt: now.addingTimeInterval(TimeInterval(lifetime)), project: sa["project_id"]?.stringValue))
        }
    }

    /// A minted token (service account) or the sign-in's token, as a bearer header.
    func handout(_ target: ProbeTarget, _ client: OutboundClient) async -> Result<HandedCredential, HandoutFailure> {
        guard target.credential.kind == .serviceAccount else {
            guard let token = target.apiKey else { return .failure(.noCredential) }
            return .success(target.handed(["Authorization": "Bearer \(token)"]))
        }
        switch await Self.mint(target, client) {
        case .success(let minted):
            var handed = HandedCredential(kind: "service_account", headers: ["Authorization": "Bearer \(minted.token)"], expiresAt: minted.expiresAt)
            handed.project = minted.project
            if let project = minted.project { handed.headers?["x-goog-user-project"] = project }
            return .success(handed)
        case .failure(.unusableKey(let why)): return .failure(.refused(why))
        case .failure(.refused(let status, let code)):
            return .failure(status == 400 || status == 401 ? .refused("Google refused the service account's sign-in (\(Probe.describe(status, code))).")
                                                           : .unreachable("Google's token endpoint answered \(Probe.describe(status, code))."))
        case .failure(.transport(let f)): return .failure(.unreachable(f.summary))
        case .failure(.noToken): return .failure(.unreachable("Google's token endpoint answered 200 without an access token."))
        }
    }

    /// The signed JWT for Google's OAuth 2.0 service-account flow (RFC 7523).
    static func assertion(email: String, pem: String, audience: String, at now: Date) throws -> String {
        let iat = Int(now.timeIntervalSince1970)
        let header = JSONValue.object(["alg": .string("RS256"), "typ": .string("JWT")]).serialized
        let claims = JSONValue.object(["iss": .string(email), "scope": .string(scope), "aud": .string(audience),
                                       "iat": .number(Double(iat)), "exp": .number(Double(iat + 3600))]).serialized
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        return input + "." + Base64URL.encode(try Signing.rs256(pem: pem, Array(input.utf8)))
    }
}
