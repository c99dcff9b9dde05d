import Core
import Cryptography
import Foundation
import Outbound

/// Amazon Bedrock: `GET https://bedrock.{region}.amazonaws.com/foundation-models`, signed with SigV4.
struct BedrockFamily: ProviderFamily {
    let type = "bedrock"

    static func region(_ target: ProbeTarget) -> String { target.credential.fields["region"]?.stringValue ?? "us-east-1" }

    func destination(_ target: ProbeTarget) -> String? {
        target.base ?? "https://bedrock.\(Self.region(target)).amazonaws.com"
    }

    /// The AWS credential itself: the runtime signs each call with SigV4 (a signature covers one request).
    func handout(_ target: ProbeTarget, _ client: OutboundClient) async -> Result<HandedCredential, HandoutFailure> {
        let f = target.credential.fields
        guard let keyID = f["accessKeyId"]?.stringValue, let secret = f["secretAccessKey"]?.stringValue else { return .failure(.noCredential) }
        var handed = HandedCredential(kind: "aws")
        handed.accessKeyId = keyID
        handed.secretAccessKey = secret
        handed.sessionToken = f["sessionToken"]?.stringValue
        handed.region = Self.region(target)
        return .success(handed)
    }

    func probe(_ target: ProbeTarget, _ client: OutboundClient) async -> ProbeOutcome {
        let p = Probe(target: target, client: client)
        let f = target.credential.fields
        guard let keyID = f["accessKeyId"]?.stringValue, let secret = f["secretAccessKey"]?.stringValue else {
            return p.result(.auth, "The AWS credential has no access key id or secret.")
        }
        let region = Self.region(target)
        let base = destination(target)!
        guard let components = URLComponents(string: base + "/foundation-models"), let host = components.host else {
            return p.result(.network, "The Bedrock endpoint \(base) is not a URL.")
        }
        let hostHeader = components.port.map { "\(host):\($0)" } ?? host
        let signer = SigV4(accessKeyID: keyID, secretAccessKey: secret, sessionToken: f["sessionToken"]?.stringValue, region: region, service: "bedrock")
        let signed = signer.sign(method: "GET", host: hostHeader, path: components.path, query: [], at: Date())
        let listing = ModelListing(
            url: base + "/foundation-models", headers: [("Accept", "application/json")] + signed, expected: "a model list",
            models: { json in
                json["modelSummaries"]?.arrayValue?.compactMap { m in
                    m["modelId"]?.stringValue.map { DiscoveredModel(id: $0, name: m["modelName"]?.stringValue ?? $0, contextWindow: nil) }
                }
            },
            error: { p, r, _ in Self.error(p, r, region: region) })
        return await p.list(listing, summary: { "Amazon Bedrock accepted the AWS credentials; \($0) foundation models in \(region)." })
    }

    /// AWS names the error in `x-amzn-ErrorType` (`UnrecognizedClientException:…`) and in the body.
    static func error(_ p: Probe, _ r: OutboundResponse, region: String) -> ProbeOutcome {
        let type = (r.header("x-amzn-ErrorType") ?? r.json?["__type"]?.stringValue)?.split(separator: ":").first.map(String.init)
        let code = Probe.code(type.map { $0.split(separator: "#").last.map(String.init) ?? $0 })
        var category = Probe.category(status: r.status)
        switch code {
        case "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "IncompleteSignatureException": category = .auth
        case "AccessDeniedException": category = .forbidden
        case "ThrottlingException": category = .rateLimit
        case "ResourceNotFoundException": category = .notFound
        default: break
        }
        return p.result(category, "Amazon Bedrock \(Probe.verb(category)) (\(Probe.describe(r.status, code))) in \(region).", status: r.status)
    }
}
