import Catalog
import Core
import Foundation
import Outbound
import Storage
import Telemetry
import Vault

/// Connection tests and model discovery for accounts (stored credentials) and drafts (a credential being
/// typed, never stored). The outbound rules live in `OutboundClient`; what each API family calls and how its
/// errors read live in the families. A stored credential goes to the provider's API only when the token use
/// policy (`DirectAPIUse`) allows it: the account test, the model refresh and a draft carrying a stored secret
/// all ask it first.
public final class ProviderTestService: Sendable {
    let accounts: AccountService
    public let client: OutboundClient
    /// Renews OAuth tokens before they expire and after a 401.
    let oauth: OAuthService
    /// Where each call's latency goes (`switchboard_provider_test_duration_seconds`).
    let telemetry: Telemetry

    public init(accounts: AccountService, client: OutboundClient, oauth: OAuthService, telemetry: Telemetry) {
        self.accounts = accounts
        self.client = client
        self.oauth = oauth
        self.telemetry = telemetry
    }

    public enum Failure: Error, Equatable {
        /// The account's base URL points at another origin than its credential was confirmed for.
        case needsConfirmation(String)
        case unsupported(String)
        /// A draft carries an account's stored secret that the token use policy keeps from the provider's API.
        case directApiNotAllowed(String)
    }

    func timeout(_ seconds: Int?) -> Duration {
        seconds.map { .seconds(min($0, 60)) } ?? client.policy.defaultTimeout
    }

    func probe(_ provider: CatalogProvider, _ credential: Credential, baseURL: String?, headers: [String: String], timeout: Duration) async throws -> ProbeOutcome {
        guard let family = ProviderFamilies.family(for: provider.type) else {
            throw Failure.unsupported("\(provider.name) is of type \(provider.type), which Switchboard cannot test yet")
        }
        let target = ProbeTarget(provider: provider, credential: credential,
                                 baseURL: baseURL ?? provider.apiEndpoint, headers: headers, timeout: timeout)
        // Every call to a provider's API goes through here (account tests, drafts, model refreshes, the retry
        // after a renewal): one observation each.
        let started = ContinuousClock.now
        let outcome = await family.probe(target, client)
        telemetry.providerTest(provider: provider.id, category: outcome.result.category.rawValue,
                               latency: started.duration(to: .now))
        return outcome
    }

    /// Tests the stored credential, stores the outcome (and the models it listed) on the account. When the
    /// token use policy keeps the credential from the provider's API, only its renewal is checked.
    public func test(_ id: String, always: Bool = false) async throws -> TestResult {
        let record = try accounts.record(id)
        guard let provider = accounts.provider(record.provider) else { throw AccountService.Failure.notFound(record.provider) }
        var credential = try accounts.credential(of: record)
        let origin = ProviderFamilies.origin(provider, credential, baseURL: record.baseURL)
        guard origin == record.credentialOrigin else {
            throw Failure.needsConfirmation("The credential would now go to \(origin ?? "no address") but was confirmed for \(record.credentialOrigin ?? "no address"); confirm it for the new address first (PUT …/credential with its placeholder).")
        }
        guard DirectAPIUse(credential, directApiAllowed: record.directApiAllowed).isAllowed else {
            return try await renewalOnly(record, provider, credential)
        }
        var refreshed = false
        if Self.expiresSoon(credential) {
            // Renewed before it is used; a refused renewal is the test's answer.
            switch await oauth.refresh(id) {
            case .success(let fresh): credential = fresh; refreshed = true
            case .failure(let failure): return try await refusedRenewal(failure, record, provider)
            }
        }
        var outcome = try await probe(provider, credential, baseURL: record.baseURL, headers: record.headerValues, timeout: timeout(record.timeoutSeconds))
        if !refreshed, outcome.result.category == .auth, credential.kind == .oauth, credential.fields["refreshToken"] != nil {
            // A 401 with a token that should still be good: renew once and try again.
            switch await oauth.refresh(id) {
            case .success(let fresh):
                refreshed = true
                outcome = try await probe(provider, fresh, baseURL: record.baseURL, headers: record.headerValues, timeout: timeout(record.timeoutSeconds))
            case .failure(let failure):
                return try await refusedRenewal(failure, record, provider)
            }
        }
        // A renewal stored a new credential (and version) since `record` was read: re-read it, and store this
        // outcome whatever the last one was.
        let current = refreshed ? (try? accounts.record(id)) ?? record : record
        try await accounts.recordTest(outcome, for: current, always: always || refreshed)
        return outcome.result
    }

    /// An OAuth credential whose access token expires within `seconds` (a minute for a test) and can be renewed.
    static func expiresSoon(_ c: Credential, within seconds: TimeInterval = 60, now: Date = Date()) -> Bool {
        guard c.kind == .oauth, c.fields["refreshToken"] != nil, let text = c.fields["expiresAt"]?.stringValue,
              let at = try? Date(text, strategy: .iso8601) else { return false }
        return at.timeIntervalSince(now) < seconds
    }

    /// A renewal that failed is the test's outcome, stored on the account (unless a newer credential took the
    /// renewed one's place meanwhile: the outcome is not that credential's).
    private func refusedRenewal(_ failure: TokenFailure, _ record: AccountRecord, _ provider: CatalogProvider,
                                latencyMs: Int = 0) async throws -> TestResult {
        var result = failure.renewalResult(provider.name)
        result.latencyMs = latencyMs
        if failure != .superseded { try accounts.database.recordTestNow(record.id, result) }
        return result
    }

    /// The test of an account whose tokens may not go to the provider's API (`DirectAPIUse.providerCLIOnly`):
    /// the sign-in is renewed at the token endpoint, one refresh at a time with the rotated refresh token
    /// committed first, which is all the provider's CLI would do with it too. The API is not called.
    private func renewalOnly(_ record: AccountRecord, _ provider: CatalogProvider, _ credential: Credential) async throws -> TestResult {
        let name = provider.name
        guard credential.fields["refreshToken"] != nil else {
            let result = TestResult(ok: false, category: .auth, httpStatus: nil, latencyMs: 0,
                                    summary: "Nothing was checked: \(DirectAPIUse.reason(name)), and it holds no refresh token whose renewal could be checked. Sign in again, or allow direct API calls (allowDirectApi).",
                                    modelCount: nil, quota: nil, testedAt: Date())
            try accounts.database.recordTestNow(record.id, result)
            return result
        }
        let started = ContinuousClock.now
        let renewal = await oauth.refresh(record.id)
        let latency = Probe.milliseconds(started.duration(to: .now))
        switch renewal {
        case .failure(let failure):
            return try await refusedRenewal(failure, record, provider, latencyMs: latency)
        case .success:
            let result = DirectAPIUse.renewalChecked(name, latencyMs: latency)
            // The renewal stored a new credential version since `record` was read.
            let current = (try? accounts.record(record.id)) ?? record
            try await accounts.recordTest(ProbeOutcome(result: result, models: nil), for: current, always: true)
            return result
        }
    }

    /// Tests a draft: `{credential, baseUrl?, authMethod?, account?}`. A redacted placeholder stands for the
    /// secret of `account` only when the draft goes to the origin that secret was confirmed for.
    public func testDraft(provider providerID: String, _ body: JSONValue) async throws -> TestResult {
        guard let provider = accounts.provider(providerID) else { throw AccountService.Failure.notFound(providerID) }
        guard let object = body.objectValue else { throw AccountService.Failure.invalid([.init(pointer: "", code: "type", message: "must be a JSON object")]) }
        var errors: [FieldError] = []
        var baseURL: String?
        if let text = object["baseUrl"]?.stringValue, !text.trimmed.isEmpty {
            if let problem = accounts.urlPolicy.baseURLProblem(text.trimmed) {
                errors.append(.init(pointer: "/baseUrl", code: "invalid_format", message: problem))
            } else {
                baseURL = text.trimmed
            }
        }
        let method = object["authMethod"]?.stringValue.flatMap(AuthMethod.init(rawValue:))
        guard let input = object["credential"] else {
            throw AccountService.Failure.invalid(errors + [.init(pointer: "/credential", code: "required", message: "is required")])
        }
        var stored: Credential?
        // The account's stored credential, and whether the token use policy lets it go to the API.
        var account: (record: AccountRecord, credential: Credential)?
        if let accountID = object["account"]?.stringValue {
            let record = try accounts.record(accountID)
            if record.provider == provider.id, let candidate = try? accounts.credential(of: record) {
                account = (record, candidate)
                // The placeholder stands for the stored secret only where the draft would send it to the origin
                // that secret was confirmed for, worked out from the draft as it would be sent (for Bedrock
                // its region, for Azure its endpoint).
                var merged = CredentialInput(base: "/credential", urlPolicy: accounts.urlPolicy)
                if let draft = merged.check(input, provider: provider, method: method, stored: candidate),
                   ProviderFamilies.origin(provider, draft, baseURL: baseURL) == record.credentialOrigin {
                    stored = candidate
                }
            }
        }
        var checker = CredentialInput(base: "/credential", urlPolicy: accounts.urlPolicy)
        let credential = checker.check(input, provider: provider, method: method, stored: stored)
        errors += checker.errors
        guard errors.isEmpty, let credential else { throw AccountService.Failure.invalid(errors) }
        if let account, Self.carriesStoredToken(credential, account.credential),
           !DirectAPIUse(account.credential, directApiAllowed: account.record.directApiAllowed).isAllowed {
            // Whatever client the draft claims: the stored token keeps the policy of the sign-in it came from.
            throw Failure.directApiNotAllowed("The draft carries the stored sign-in of \(account.record.id), and \(DirectAPIUse.reason(provider.name)). Test the account instead (it renews the sign-in), or allow direct API calls (allowDirectApi).")
        }
        return try await probe(provider, credential, baseURL: baseURL, headers: [:], timeout: client.policy.defaultTimeout).result
    }

    public struct ModelList: Sendable, Encodable {
        public struct Entry: Sendable, Encodable {
            public let id: String
            public let name: String
            public let source: String
            @EncodedAsNull public var contextWindow: Int?

        }
        public struct Refresh: Sendable, Encodable {
            public let ok: Bool
            public let category: TestCategory
            public let summary: String
        }
        public let account: String
        public let models: [Entry]
        @EncodedAsNull public var fetchedAt: Date?
        @EncodedAsNull public var refresh: Refresh?

    }

    /// Whether `draft` holds one of the OAuth tokens of `stored` (by its placeholder or pasted as it is).
    static func carriesStoredToken(_ draft: Credential, _ stored: Credential) -> Bool {
        guard draft.kind == .oauth, stored.kind == .oauth else { return false }
        return ["accessToken", "refreshToken"].contains { field in
            stored.fields[field] != nil && draft.fields[field] == stored.fields[field]
        }
    }

    /// The catalog's models of the account's provider together with those last discovered, flagged. An
    /// account whose tokens may not go to the provider's API (`DirectAPIUse`) lists the catalog's alone.
    public func models(_ id: String, refresh: ModelList.Refresh? = nil) throws -> ModelList {
        let record = try accounts.record(id)
        let catalogModels = accounts.provider(record.provider)?.models ?? []
        guard accounts.directUse(of: record).isAllowed else {
            let entries = catalogModels.map { ModelList.Entry(id: $0.id, name: $0.name, source: "catalog", contextWindow: $0.contextWindow) }
            return ModelList(account: id, models: entries, fetchedAt: nil, refresh: refresh)
        }
        let discovered = try accounts.database.discoveredModels(id)
        let found = Set(discovered.map(\.id))
        var entries = catalogModels.map { m in
            ModelList.Entry(id: m.id, name: m.name, source: found.contains(m.id) ? "both" : "catalog", contextWindow: m.contextWindow)
        }
        let known = Set(catalogModels.map(\.id))
        entries += discovered.filter { !known.contains($0.id) }.map { ModelList.Entry(id: $0.id, name: $0.name, source: "discovered", contextWindow: $0.contextWindow) }
        return ModelList(account: id, models: entries, fetchedAt: record.modelsFetchedAt, refresh: refresh)
    }

    /// Fetches the provider's list now (a connection test that keeps its models); on failure the answer keeps
    /// what was known and says why. An account whose tokens may not go to the provider's API asks no one.
    public func refreshModels(_ id: String) async throws -> ModelList {
        let record = try accounts.record(id)
        guard accounts.directUse(of: record).isAllowed else {
            let name = accounts.provider(record.provider)?.name ?? record.provider
            // The page puts it after "The models could not be fetched from <provider>:".
            let why = DirectAPIUse.reason(name)
            let summary = "\(why.prefix(1).uppercased())\(why.dropFirst()); the models shown are the catalog's. Allow them (allowDirectApi) to fetch \(name)'s own list."
            return try models(id, refresh: .init(ok: false, category: .forbidden, summary: summary))
        }
        let result = try await test(id, always: true)
        return try models(id, refresh: .init(ok: result.ok, category: result.category, summary: result.summary))
    }
}
