import Accounts
import Auth
import Core
import Cryptography
import Foundation
import Storage
import Vault

/// Pairing codes: the page asks for one, the operator types it into `switchboard auth pair` on a machine with
/// a browser, and what that machine obtained (an OAuth token set or a key) lands here, in the vault.
///
/// A code is 9 characters from an alphabet without look-alikes (31 symbols: 44.6 bits), shown as `ABC-DEF-GHJ`;
/// case, dashes and spaces do not matter. Only its SHA-256 is stored, and it is compared in constant time.
/// It lives 10 minutes, is used once and belongs to one provider. Five wrong tries, from anywhere and naming
/// any provider, burn every waiting code; an address with ten failed guesses a minute gets 429 before its
/// body is read. Codes never reach a log or the audit log.
public final class PairingService: Sendable {
    public static let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    public static let length = 9
    public static let lifetime: TimeInterval = 600
    public static let maxWrongTries = 5

    let accounts: AccountService
    let oauth: OAuthService
    let tests: ProviderTestService
    let throttle: SignInThrottle
    var database: AppDatabase { accounts.database }

    public init(accounts: AccountService, oauth: OAuthService, tests: ProviderTestService, throttle: SignInThrottle = SignInThrottle(limit: 10, window: 60)) {
        self.accounts = accounts
        self.oauth = oauth
        self.tests = tests
        self.throttle = throttle
    }

    public enum Failure: Error, Equatable {
        case invalid([FieldError])
        case notFound
        /// The code is not (or no longer) valid; `expired` when it matched one that ran out of time.
        case wrongCode(expired: Bool)
        /// A right code with another provider: answered without naming the code's provider.
        case wrongProvider
        case throttled(Int)
    }

    public struct Pairing: Sendable, Encodable {
        public let id: String
        public let provider: String
        @EncodedAsNull public var account: String?
        public let status: String
        @EncodedAsNull public var code: String?
        public let expiresAt: Date
        public let command: String
        @EncodedAsNull public var completedAt: Date?
    }

    // MARK: Codes

    /// A fresh code, grouped for reading (`ABC-DEF-GHJ`). Rejection sampling keeps every symbol equally likely.
    static func newCode() -> String {
        var symbols: [Character] = []
        while symbols.count < length {
            for byte in SecureRandom.bytes(16) where byte < 248 && symbols.count < length {   // 248 = 8 × 31
                symbols.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return stride(from: 0, to: length, by: 3).map { String(symbols[$0..<min($0 + 3, length)]) }.joined(separator: "-")
    }

    /// Upper-cased, without dashes, spaces or other separators.
    static func normalize(_ code: String) -> String {
        String(code.uppercased().filter { $0.isLetter || $0.isNumber })
    }

    static func hash(_ code: String) -> String { Digest.sha256Hex("switchboard-pairing:" + normalize(code)) }

    static func command(origin: String, provider: String, account: String?) -> String {
        "switchboard auth pair --server \(origin) --provider \(provider)" + (account.map { " --account \($0.split(separator: ":").last ?? "")" } ?? "")
    }

    // MARK: The page's side

    public func create(_ body: JSONValue, principal: Principal, origin: String, at now: Date = Date()) throws -> Pairing {
        guard let providerText = body["provider"]?.stringValue else {
            throw Failure.invalid([.init(pointer: "/provider", code: "required", message: "is required: the provider to pair")])
        }
        guard let provider = accounts.provider(providerText) else {
            throw Failure.invalid([.init(pointer: "/provider", code: "unknown_provider", message: "is not a provider in the catalog")])
        }
        guard provider.authMethods.contains(where: { $0.method == .pairing }) else {
            throw Failure.invalid([.init(pointer: "/provider", code: "not_allowed", message: "\(provider.name) cannot be paired")])
        }
        var account: String?
        if let value = body["account"], value != .null {
            guard let id = value.stringValue, AccountRules.isAccountID(id), id.hasPrefix(provider.id + ":") else {
                throw Failure.invalid([.init(pointer: "/account", code: "invalid_format", message: "must be an account id of \(provider.id) (\(provider.id):<name>)")])
            }
            account = id
        }
        let id = OAuthRandom.id("pair_")
        let code = Self.newCode()
        try database.createPairing(PairingRecord(id: id, provider: provider.id, account: account, actor: principal.actor, createdAt: now,
                                                 expiresAt: now.addingTimeInterval(Self.lifetime)),
                                   codeHash: Self.hash(code),
                                   event: AuditEntry("pairing.created", actor: principal.actor, target: account ?? provider.id,
                                                     detail: .object(["pairing": .string(id)])))
        var pairing = try get(id, origin: origin, at: now)
        pairing.code = code
        return pairing
    }

    public func get(_ id: String, origin: String, at now: Date = Date()) throws -> Pairing {
        guard let stored = try database.pairing(id) else { throw Failure.notFound }
        var status = stored.status
        let expires = stored.expiresAt
        if status == "waiting" && expires <= now { status = "expired" }
        let (provider, account) = (stored.provider, stored.account)
        return Pairing(id: id, provider: provider, account: stored.resultAccount ?? account, status: status, code: nil, expiresAt: expires,
                       command: Self.command(origin: origin, provider: provider, account: account), completedAt: stored.completedAt)
    }

    /// A new code for the same pairing; the old code stops working at once.
    public func refresh(_ id: String, principal: Principal, origin: String, at now: Date = Date()) throws -> Pairing {
        let code = Self.newCode()
        let updated = try database.replacePairingCode(id, codeHash: Self.hash(code), expiresAt: now.addingTimeInterval(Self.lifetime),
                                                      event: AuditEntry("pairing.refreshed", actor: principal.actor, target: id, detail: .object([:])),
                                                      at: now)
        guard updated else {
            _ = try get(id, origin: origin, at: now)   // 404 when unknown
            throw Failure.invalid([.init(pointer: "", code: "completed", message: "this pairing is completed; start a new one")])
        }
        var pairing = try get(id, origin: origin, at: now)
        pairing.code = code
        return pairing
    }

    // MARK: The paired machine's side (authenticated only by the code)

    struct Claimed { var id: String; var provider: String; var account: String? }

    /// Finds the waiting pairing `code` opens for `provider`, or counts a wrong try. `consume` uses it up.
    ///
    /// A wrong try counts against the guessing address (the shared throttle: 429 after ten a minute) and
    /// against every waiting code, whatever provider the request names: the fifth wrong try burns them all,
    /// so a guesser gets five tries at 44.6 bits however many addresses they use. A right code with the wrong
    /// provider is a wrong try too, and the answer never names the provider the code belongs to.
    func claim(_ body: JSONValue, client: String, consume: Bool, at now: Date) throws -> Claimed {
        if let seconds = throttle.retryAfter(for: client, now: now) { throw Failure.throttled(seconds) }
        guard let code = body["code"]?.stringValue, let providerText = body["provider"]?.stringValue else {
            throw Failure.invalid([.init(pointer: body["code"]?.stringValue == nil ? "/code" : "/provider", code: "required", message: "is required")])
        }
        let provider = accounts.provider(providerText)?.id ?? providerText
        let normalized = Self.normalize(code)
        let hash = Array((normalized.count == Self.length ? Self.hash(normalized) : String(repeating: "0", count: 64)).utf8)
        let outcome: Result<Claimed, Failure> = switch try database.claimPairing(codeHash: hash, provider: provider, consume: consume,
                                                                                maxWrongTries: Self.maxWrongTries, actor: "pairing:\(client)", at: now) {
        case .claimed(let pairing): .success(Claimed(id: pairing.id, provider: pairing.provider, account: pairing.account))
        case .expired: .failure(.wrongCode(expired: true))
        case .wrongProvider: .failure(.wrongProvider)
        case .wrongCode: .failure(.wrongCode(expired: false))
        }
        if case .failure(let failure) = outcome, failure != .wrongCode(expired: true) { throttle.recordFailure(for: client, now: now) }
        return try outcome.get()
    }

    /// What the CLI needs before it signs in: the provider, and the OAuth client to run locally if any.
    public func check(_ body: JSONValue, client: String, at now: Date = Date()) throws -> JSONValue {
        let claimed = try claim(body, client: client, consume: false, at: now)
        let provider = accounts.provider(claimed.provider)
        var answer: [String: JSONValue] = [
            "provider": .string(claimed.provider), "providerName": .string(provider?.name ?? claimed.provider),
            "account": claimed.account.map(JSONValue.string) ?? .null,
            "credentialKinds": .array(provider.map { CredentialInput.kinds(provider: $0, method: .pairing).map { .string($0.rawValue) } } ?? []),
            "oauth": .null,
        ]
        if provider?.authMethods.contains(where: { $0.method == .oauthBrowser }) == true,
           let c = try oauth.clients.client(claimed.provider), !c.clientID.isEmpty {
            // A public client the paired machine runs with a loopback redirect: no secret leaves this server.
            answer["oauth"] = .object([
                "authorizeUrl": .string(c.authorizeURL), "tokenUrl": .string(c.tokenURL), "clientId": .string(c.clientID),
                "scopes": .array(c.scopes.map(JSONValue.string)), "issuer": .string(c.expectedIssuer),
                "redirectUri": c.redirectMode == .loopback ? c.fixedRedirectURI.map(JSONValue.string) ?? .null : .null,
                "clientKind": .string(c.kind.rawValue),
            ])
        }
        return .object(answer)
    }

    /// Stores the credential the paired machine obtained, then tests it once.
    public func complete(_ body: JSONValue, client: String, at now: Date = Date()) async throws -> JSONValue {
        guard let provider = accounts.provider(body["provider"]?.stringValue ?? "") else {
            throw Failure.invalid([.init(pointer: "/provider", code: "unknown_provider", message: "is not a provider in the catalog")])
        }
        guard let input = body["credential"] else {
            throw Failure.invalid([.init(pointer: "/credential", code: "required", message: "is required: what the paired machine obtained")])
        }
        // Check the credential before the code is used, so a typo in a key does not cost the code.
        var checker = CredentialInput(base: "/credential", urlPolicy: accounts.urlPolicy)
        guard let credential = checker.check(input, provider: provider, method: .pairing, stored: nil) else { throw Failure.invalid(checker.errors) }
        let claimed = try claim(body, client: client, consume: true, at: now)
        let method = CredentialInput.method(for: credential.kind, provider: provider)
        let record = try accounts.storeObtained(credential, provider: provider.id, account: claimed.account, method: method,
                                                event: "pairing.completed", by: .init(actor: "pairing:\(claimed.id)"), at: now,
                                                completing: .pairing(id: claimed.id))
        let result = try? await tests.test(record.id, always: true)
        let view = try accounts.get(record.id)
        return .object([
            "account": .string(record.id), "status": .string(view.status.rawValue), "statusDetail": .string(view.statusDetail),
            "test": result.map { .object(["ok": .bool($0.ok), "category": .string($0.category.rawValue), "summary": .string($0.summary)]) } ?? .null,
        ])
    }
}
