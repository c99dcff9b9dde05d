import Auth
import Catalog
import Core
import Foundation
import Outbound
import Storage
import Vault

/// OAuth sign-in for provider accounts: authorization code + PKCE with a server callback or a pasted code,
/// device code (RFC 8628), and token refresh. Flows live in `oauth_flow`; tokens go to the vault through
/// `AccountService.storeObtained`, in the same transaction as the flow's outcome and the audit event.
///
/// The `state` sent to the provider is 256 random bits; only its SHA-256 is stored. It is bound to the admin
/// session that started the flow through a browser binding cookie (`sb_oauth`, SameSite=Lax, so it comes back
/// on the provider's cross-site redirect where the Strict session cookie does not), to the provider (its own
/// callback path) and, for pasted codes, to the caller. It is consumed by the first callback that names it.
public final class OAuthService: Sendable {
    public static let bindingCookie = "sb_oauth"
    public static let lifetime: TimeInterval = 600

    let accounts: AccountService
    public let clients: OAuthClients
    let http: OutboundClient
    var database: AppDatabase { accounts.database }
    let refreshing = Locked<[String: Task<Result<Credential, TokenFailure>, Never>]>([:])

    public init(accounts: AccountService, clients: OAuthClients, http: OutboundClient) {
        self.accounts = accounts
        self.clients = clients
        self.http = http
    }

    public enum Failure: Error, Equatable {
        /// No OAuth client is known for the provider, or it does not offer this way of signing in.
        case unavailable(String)
        case invalid([FieldError])
        /// The state (or flow) cannot be used: `category` is `state_mismatch` or `expired`.
        case state(category: String, detail: String)
        case flowNotFound
    }

    /// A flow as the API shows it.
    public struct Flow: Sendable, Encodable, Equatable {
        public let flowId: String
        public let provider: String
        public let mode: String
        public let status: String
        @EncodedAsNull public var account: String?
        @EncodedAsNull public var category: String?
        @EncodedAsNull public var message: String?
        public let missingScopes: [String]
        public let expiresAt: Date
        @EncodedAsNull public var redirectUri: String?
        @EncodedAsNull public var userCode: String?
        @EncodedAsNull public var verificationUri: String?
        @EncodedAsNull public var verificationUriComplete: String?
        @EncodedAsNull public var interval: Int?
    }

    public struct Started: Sendable, Encodable {
        public let flowId: String
        public let provider: String
        @EncodedAsNull public var account: String?
        public let authorizeUrl: String
        public let redirectUri: String
        public let redirectMode: String
        public let expiresAt: Date
        public let deviceCode: Bool
    }

    // MARK: Starting

    /// The provider's display name (its id when it left the catalog).
    func name(_ provider: String) -> String { accounts.provider(provider)?.name ?? provider }

    /// The token endpoint of `client`, with its secret when the operator stored one.
    func endpoint(_ client: OAuthClient) -> TokenEndpoint {
        TokenEndpoint(client: client, secret: try? clients.secret(of: client), http: http)
    }

    /// The client for `provider` (an id or alias), when the catalog offers `method` for it and a client id is set.
    func usableClient(_ provider: String, _ method: AuthMethod) throws -> (OAuthClient, CatalogProvider) {
        guard let entry = accounts.provider(provider) else { throw AccountService.Failure.notFound(provider) }
        guard entry.authMethods.contains(where: { $0.method == method || ($0.method == .oauthBrowser && method == .oauthDeviceCode) }) else {
            throw Failure.unavailable("\(entry.name) does not offer \(method == .oauthDeviceCode ? "device-code" : "browser") sign-in.")
        }
        guard let client = try clients.client(entry.id), !client.clientID.isEmpty else {
            throw Failure.unavailable("No OAuth client is set for \(entry.name); register one with PUT /api/oauth/clients/\(entry.id).")
        }
        if method == .oauthDeviceCode && client.deviceAuthorizationURL == nil {
            throw Failure.unavailable("The OAuth client for \(entry.name) has no device authorization endpoint.")
        }
        return (client, entry)
    }

    /// Checks a start body, an object with an optional `account`: an account id of this provider (existing or new).
    func targetAccount(_ body: JSONValue, provider: String) throws -> String? {
        guard body.objectValue != nil else {
            throw Failure.invalid([.init(pointer: "", code: "type", message: "must be a JSON object")])
        }
        guard let value = body["account"], value != .null else { return nil }
        guard let id = value.stringValue, AccountRules.isAccountID(id), id.hasPrefix(provider + ":") else {
            throw Failure.invalid([.init(pointer: "/account", code: "invalid_format", message: "must be an account id of \(provider) (\(provider):<name>)")])
        }
        return id
    }

    // MARK: Reading

    /// A flow of the caller's. A browser flow still waiting after its 10 minutes reads as `expired` with
    /// `callback_timeout`: the provider never sent the browser back (the server may not be reachable from it).
    public func flow(_ id: String, principal: Principal, at now: Date = Date()) throws -> Flow {
        guard let row = try database.oauthFlow(id), row.actor == principal.actor else { throw Failure.flowNotFound }
        var status = row.status
        var category = row.category
        var message = row.message
        let expires = row.expiresAt
        let mode = row.mode
        if status == "waiting" && expires <= now {
            status = "expired"
            category = mode == "device" ? "expired_token" : "callback_timeout"
            message = mode == "device" ? "The code expired — request a new code."
                : "The provider never sent the browser back here: this server may not be reachable from your browser. Pair from a machine with a browser, or paste the code."
        }
        let missing = row.missingScopes.flatMap { JSONValue.parse(Array($0.utf8))?.arrayValue?.compactMap(\.stringValue) } ?? []
        return Flow(flowId: id, provider: row.provider, mode: mode, status: status, account: row.resultAccount, category: category,
                    message: message, missingScopes: missing, expiresAt: expires, redirectUri: row.redirectURI, userCode: row.userCode,
                    verificationUri: row.verificationURI, verificationUriComplete: row.verificationURIComplete, interval: row.interval)
    }
}
