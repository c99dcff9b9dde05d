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
        let project: String?
        switch target.credential.kind {
        case .oauth:
            guard let t = target.apiKey else { return p.result(.auth, "No access token is stored for Vertex AI.") }
            token = t
            project = nil
        case .serviceAccount:
            guard let sa = target.credential.fields["json"], let email = sa["client_email"]?.stringValue,
                  let pem = sa["private_key"]?.stringValue else { return p.result(.auth, "The service-account key lacks client_email or private_key.") }
            let tokenURI = sa["token_uri"]?.stringValue ?? "https://oauth2.googleapis.com/token"
            project = sa["project_id"]?.stringValue
            let assertion: String
            do {
                assertion = try Self.assertion(email: email, pem: pem, audience: tokenURI, at: Date())
            } catch {
                return p.result(.auth, "The service account's private key cannot be used to sign (\(error)).")
            }
            let form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"
            switch await p.send(.POST, tokenURI, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")], body: Array(form.utf8)) {
            case .failure(let f): return p.failed(f)
            case .success(let r):
                guard r.status == 200 else {
                    let code = Probe.code(r.json?["error"]?.stringValue)
                    let category: TestCategory = r.status == 400 || r.status == 401 ? .auth : Probe.category(status: r.status)
                    return p.result(category, "Google refused the service account's sign-in (\(Probe.describe(r.status, code))).", status: r.status)
                }
                guard let t = r.json?["access_token"]?.stringValue else {
                    return p.result(.badResponse, "Google's token endpoint answered 200 without an access token.", status: 200)
                }
                token = t
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
