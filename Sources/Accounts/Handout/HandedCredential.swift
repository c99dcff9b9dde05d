import Core
import Foundation

/// What an agent runtime needs to make a model call with an account: the headers to send, or the fields of a
/// cloud credential the runtime signs with itself. Only ever in memory for the length of a routing answer;
/// never logged, never stored.
public struct HandedCredential: Sendable, Equatable, Encodable {
    /// `api_key`, `oauth`, `service_account`, `azure`, `aws`, `none`.
    public var kind: String
    /// Headers the call carries (auth headers and the ones the API needs beside them).
    public var headers: [String: String]?
    /// When a token stops working (OAuth, a minted service-account token).
    public var expiresAt: Date?
    // Azure OpenAI
    public var endpoint: String?
    public var deployment: String?
    public var apiVersion: String?
    // AWS (Bedrock): the runtime signs with SigV4 itself.
    public var accessKeyId: String?
    public var secretAccessKey: String?
    public var sessionToken: String?
    public var region: String?
    /// Google Cloud: the project a service account belongs to (sent as `x-goog-user-project`).
    public var project: String?

    public init(kind: String, headers: [String: String]? = nil, expiresAt: Date? = nil) {
        self.kind = kind
        self.headers = headers
        self.expiresAt = expiresAt
    }

    /// Writes it as JSON (what `encode(to:)` writes, without an encoder).
    public func write(into w: inout JSONWriter) {
        w.object { w in
            w.member("accessKeyId", accessKeyId)
            w.member("apiVersion", apiVersion)
            w.member("deployment", deployment)
            w.member("endpoint", endpoint)
            w.member("expiresAt", expiresAt)
            w.member("headers", headers)
            w.key("kind")
            w.string(kind)
            w.member("project", project)
            w.member("region", region)
            w.member("secretAccessKey", secretAccessKey)
            w.member("sessionToken", sessionToken)
        }
    }

    /// Every secret value in it, for the tests' leak scan.
    public var secrets: [String] {
        Array(headers?.values ?? [:].values).filter { $0.count >= 12 } + [secretAccessKey, sessionToken].compactMap { $0 }
    }
}

/// Why a credential could not be handed out.
public enum HandoutFailure: Error, Equatable, CustomStringConvertible {
    case noCredential
    case unreadable(String)
    /// The account's base URL moved to another origin than its credential was confirmed for.
    case needsConfirmation(String)
    /// The provider refused to renew or mint a token: the account's credential no longer works.
    case refused(String)
    /// The token endpoint could not be reached; the credential may still be good.
    case unreachable(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .noCredential: "the account has no credential"
        case .unreadable(let why): "its credential cannot be opened (\(why))"
        case .needsConfirmation(let why): why
        case .refused(let why): why
        case .unreachable(let why): why
        case .unsupported(let why): why
        }
    }

    /// The provider said no: the account is treated as an `auth` failure.
    public var isRefusal: Bool { if case .refused = self { true } else { false } }
}
