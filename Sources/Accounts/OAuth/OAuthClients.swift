import Catalog
import Core
import Foundation
import Outbound
import Storage
import Vault

/// Where the provider sends the browser back after sign-in.
public enum RedirectMode: String, Sendable, Codable, CaseIterable {
    /// To this server: `<origin>/api/oauth/<provider>/callback`, registered with the operator's OAuth app.
    case serverCallback = "server_callback"
    /// To `http://127.0.0.1:<port>/…` on the machine that signs in: the only redirect public CLI clients accept.
    /// The server can still use it by having the operator paste the address the browser could not open;
    /// `switchboard auth pair` runs it for real.
    case loopback
    /// To the provider's own page that shows a code to paste (`code#state`).
    case pasteCode = "paste_code"
}

/// Whose OAuth client this is: tokens from a provider's own CLI client come with that provider's terms (see
/// `AccountView.OAuthUse`).
public enum OAuthClientKind: String, Sendable {
    case providerCLI = "provider_cli"
    case operatorApp = "operator_app"
}

/// One provider's OAuth client: endpoints, client id, scopes and redirect mode. The secret, when there is one,
/// stays in the vault and only `hasClientSecret` is shown.
public struct OAuthClient: Sendable, Equatable {
    public var provider: String
    public var authorizeURL: String
    public var tokenURL: String
    public var deviceAuthorizationURL: String?
    public var clientID: String
    public var scopes: [String]
    public var redirectMode: RedirectMode
    /// The authorization server's issuer identifier (RFC 9207 `iss`); when nil, the authorize URL's origin.
    public var issuer: String?
    /// The fixed redirect URI of `paste_code` (the provider's code page) or `loopback` (`http://localhost:1455/…`).
    public var fixedRedirectURI: String?
    public var kind: OAuthClientKind
    /// True for the built-in default, false for the operator's own settings.
    public var isDefault: Bool
    package var secretFile: String?

    /// The redirect URI this client uses when the server is reached at `origin`.
    public func redirectURI(origin: String) -> String {
        switch redirectMode {
        case .serverCallback: "\(origin)/api/oauth/\(provider)/callback"
        case .loopback, .pasteCode: fixedRedirectURI ?? "http://127.0.0.1/callback"
        }
    }

    /// The `iss` a callback must carry when it carries one.
    package var expectedIssuer: String { issuer ?? AccountRules.origin(authorizeURL) ?? authorizeURL }
}

extension OAuthClient {
    /// The built-in client a catalog entry names (`switchboard.oauth_client`): the provider's public CLI client
    /// (its endpoints and id are public in the CLI's sources). An operator with an OAuth app of their own
    /// replaces it with `PUT /api/oauth/clients/{provider}`.
    init(provider: String, _ d: ProviderDescriptor.DefaultOAuthClient) {
        self.init(provider: provider, authorizeURL: d.authorizeURL, tokenURL: d.tokenURL, deviceAuthorizationURL: d.deviceAuthorizationURL,
                  clientID: d.clientID, scopes: d.scopes, redirectMode: RedirectMode(rawValue: d.redirectMode) ?? .serverCallback,
                  issuer: d.issuer, fixedRedirectURI: d.redirectURI, kind: OAuthClientKind(rawValue: d.kind) ?? .providerCLI, isDefault: true)
    }
}

/// The OAuth clients: built-in defaults, replaced per provider by the operator's own (stored in `oauth_client`,
/// the secret in the vault).
public final class OAuthClients: Sendable {
    let database: AppDatabase
    let vault: Vault
    let urlPolicy: OutboundPolicy
    let catalog: CatalogStore

    public init(database: AppDatabase, vault: Vault, urlPolicy: OutboundPolicy, catalog: CatalogStore) {
        self.database = database
        self.vault = vault
        self.urlPolicy = urlPolicy
        self.catalog = catalog
    }

    /// The built-in client of one provider, from its catalog entry (a lookup, not the whole catalog per sign-in).
    func defaultClient(_ provider: String) -> OAuthClient? {
        catalog.current.entry(provider).flatMap { entry in entry.id != provider ? nil : entry.descriptor.oauthClient.map { OAuthClient(provider: entry.id, $0) } }
    }

    /// The built-in clients, from the catalog entries that name one.
    var defaults: [String: OAuthClient] {
        var clients: [String: OAuthClient] = [:]
        for provider in catalog.current.providers {
            if let client = provider.descriptor.oauthClient { clients[provider.id] = OAuthClient(provider: provider.id, client) }
        }
        return clients
    }

    public enum Failure: Error, Equatable {
        case invalid([FieldError])
    }

    /// The client for `provider`: the operator's, else the default, else nil.
    public func client(_ provider: String) throws -> OAuthClient? {
        try database.oauthClient(provider).map(Self.decode) ?? defaultClient(provider)
    }

    /// Every provider with a client (default or operator's), in one read.
    public func all() throws -> [OAuthClient] {
        var clients = defaults
        for stored in try database.oauthClients() { clients[stored.provider] = Self.decode(stored) }
        return clients.keys.sorted().compactMap { clients[$0] }
    }

    /// The client secret, when the operator stored one.
    func secret(of client: OAuthClient) throws -> String? {
        guard let file = client.secretFile else { return nil }
        let bytes = try vault.open(file: file, account: "\(client.provider):\(AccountRules.reservedName)")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Stores the operator's client for `provider` (a known catalog provider). `clientSecret`: a string sets
    /// it, the redacted placeholder or absence keeps the stored one, null removes it.
    public func put(_ provider: String, _ body: JSONValue, by caller: AccountService.Caller, at now: Date = Date()) throws -> OAuthClient {
        guard let object = body.objectValue else { throw Failure.invalid([.init(pointer: "", code: "type", message: "must be a JSON object")]) }
        var errors: [FieldError] = []
        func fail(_ f: String, _ code: String, _ m: String) { errors.append(.init(pointer: "/" + f, code: code, message: m)) }
        let known: Set<String> = ["authorizeUrl", "tokenUrl", "deviceAuthorizationUrl", "clientId", "clientSecret", "scopes",
                                  "redirectMode", "issuer", "redirectUri"]
        errors += FieldError.unknownMembers(of: object, allowed: known) { _ in "is not a field of an OAuth client" }
        func url(_ f: String, required: Bool) -> String? {
            guard let v = object[f], v != .null else { if required { fail(f, "required", "is required") }; return nil }
            guard let s = v.stringValue?.trimmed, !s.isEmpty else { fail(f, "type", "must be a URL"); return nil }
            if let why = urlPolicy.urlProblem(URLComponents(string: s) ?? URLComponents()) { fail(f, "invalid_format", why); return nil }
            return s
        }
        /// An optional string member: absent or null is nil; any other type is refused, never ignored.
        func text(_ f: String) -> String? {
            guard let v = object[f], v != .null else { return nil }
            guard let s = v.stringValue else { fail(f, "type", "must be a string or null"); return nil }
            return s
        }
        let authorize = url("authorizeUrl", required: true)
        let token = url("tokenUrl", required: true)
        let device = url("deviceAuthorizationUrl", required: false)
        let issuer = text("issuer")?.trimmed
        var clientID = ""
        if let id = object["clientId"]?.stringValue?.trimmed, !id.isEmpty, id.count <= 512, !id.contains(where: \.isWhitespace) {
            clientID = id
        } else {
            fail("clientId", "required", "is required: the client id of your OAuth app at the provider")
        }
        var scopes: [String] = []
        if let items = object["scopes"]?.arrayValue {
            scopes = items.compactMap { $0.stringValue?.trimmed }.filter { !$0.isEmpty }
            if scopes.count != items.count || scopes.contains(where: { $0.contains(where: \.isWhitespace) }) {
                fail("scopes", "invalid_format", "must be a list of scope names without spaces")
            }
        } else if object["scopes"] != nil {
            fail("scopes", "type", "must be a list of scope names")
        }
        var mode = RedirectMode.serverCallback
        if let m = text("redirectMode") {
            if let parsed = RedirectMode(rawValue: m) { mode = parsed } else {
                fail("redirectMode", "not_allowed", "must be one of \(RedirectMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        var fixed: String?
        if let r = text("redirectUri")?.trimmed, !r.isEmpty {
            if URLComponents(string: r)?.scheme == nil { fail("redirectUri", "invalid_format", "must be an absolute URL") } else { fixed = r }
        }
        if mode != .serverCallback && fixed == nil {
            fail("redirectUri", "required", "is required for \(mode.rawValue): the exact redirect URI registered for the client")
        }
        var newSecret: String??   // nil: keep; .some(nil): remove; .some(s): set
        switch object["clientSecret"] {
        case .none: newSecret = nil
        case .some(.null): newSecret = .some(nil)
        case .some(let v):
            if let s = v.stringValue?.trimmed, !s.isEmpty {
                newSecret = s.hasPrefix(Credential.redactionMark) ? nil : .some(s)
            } else {
                fail("clientSecret", "type", "must be the client secret as a string, or null to remove it")
            }
        }
        guard errors.isEmpty, let authorize, let token else { throw Failure.invalid(errors) }

        let settings: JSONValue = .object([
            "authorizeUrl": .string(authorize), "tokenUrl": .string(token),
            "deviceAuthorizationUrl": device.map(JSONValue.string) ?? .null, "clientId": .string(clientID),
            "scopes": .array(scopes.map(JSONValue.string)), "redirectMode": .string(mode.rawValue),
            "issuer": issuer.map(JSONValue.string) ?? .null, "redirectUri": fixed.map(JSONValue.string) ?? .null,
        ])
        let pseudoAccount = "\(provider):\(AccountRules.reservedName)"
        var written: String?
        var replaced: String?
        do {
            try database.saveOAuthClient(provider: provider, settings: settings.serialized, at: now) { old in
                var file = old
                switch newSecret {
                case .none: break
                case .some(.none): replaced = old; file = nil
                case .some(.some(let secret)):
                    let version = Int(now.timeIntervalSince1970 * 1000)
                    written = try vault.store(Array(secret.utf8), account: pseudoAccount, version: version)
                    replaced = old
                    file = written
                }
                return (file, AuditEntry("oauth_client.set", actor: caller.actor, target: provider, requestID: caller.requestID,
                                         detail: .object(["clientId": .string(clientID), "redirectMode": .string(mode.rawValue),
                                                          "hasClientSecret": .bool(file != nil)])))
            }
        } catch {
            if let written { vault.remove(file: written) }
            throw error
        }
        if let replaced { vault.remove(file: replaced) }
        return try client(provider)!
    }

    /// Goes back to the built-in default (or to none).
    public func delete(_ provider: String, by caller: AccountService.Caller, at now: Date = Date()) throws {
        let file = try database.removeOAuthClient(provider: provider, at: now,
                                                  event: AuditEntry("oauth_client.removed", actor: caller.actor, target: provider,
                                                                    requestID: caller.requestID, detail: .object([:])))
        if let file { vault.remove(file: file) }
    }

    /// Vault files the clients refer to (kept by the startup sweep).
    public func secretFiles() throws -> [String] {
        try database.oauthClientSecretFiles()
    }

    /// A stored client; nil (no client) when its settings cannot be read.
    static func decode(_ stored: StoredOAuthClient) -> OAuthClient? {
        let (provider, settings, secretFile) = (stored.provider, stored.settings, stored.secretFile)
        guard let v = JSONValue.parse(Array(settings.utf8)) else { return nil }
        guard let authorize = v["authorizeUrl"]?.stringValue, let token = v["tokenUrl"]?.stringValue,
              let id = v["clientId"]?.stringValue else { return nil }
        return OAuthClient(provider: provider, authorizeURL: authorize, tokenURL: token,
                           deviceAuthorizationURL: v["deviceAuthorizationUrl"]?.stringValue, clientID: id,
                           scopes: v["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                           redirectMode: v["redirectMode"]?.stringValue.flatMap(RedirectMode.init(rawValue:)) ?? .serverCallback,
                           issuer: v["issuer"]?.stringValue, fixedRedirectURI: v["redirectUri"]?.stringValue,
                           kind: .operatorApp, isDefault: false, secretFile: secretFile)
    }
}
