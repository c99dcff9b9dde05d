import Catalog
import Core
import Foundation
import Outbound
import Storage
import Vault

/// Hands out an account's credential to an agent runtime (`POST /api/route` with `withCredential`), in the
/// form its API family needs. The same checks as a connection test: the credential goes only to the origin it
/// was confirmed for. An OAuth token that expires within five minutes is renewed first (one renewal at a time
/// per account: `OAuthService.refresh`); a Vertex AI service account's token is minted once and reused until
/// five minutes before it expires (one mint at a time per account).
public final class CredentialHandouts: Sendable {
    let accounts: AccountService
    let oauth: OAuthService
    let client: OutboundClient
    /// A handed-out token is renewed when it has less than this left, so the runtime's call does not race it.
    static let margin: TimeInterval = 300

    private struct MintedEntry: Sendable {
        var file: String
        var credential: HandedCredential
    }
    /// Minted service-account tokens by account (only in memory; short-lived by nature).
    private let minted = Locked<[String: MintedEntry]>([:])
    private let minting = Locked<[String: Task<Result<HandedCredential, HandoutFailure>, Never>]>([:])

    public init(accounts: AccountService, oauth: OAuthService, client: OutboundClient) {
        self.accounts = accounts
        self.oauth = oauth
        self.client = client
    }

    public func handout(_ accountID: String, now: Date = Date()) async -> Result<HandedCredential, HandoutFailure> {
        guard let record = try? accounts.record(accountID) else { return .failure(.noCredential) }
        guard let provider = accounts.provider(record.provider) else { return .failure(.unsupported("\(record.provider) is no longer in the catalog")) }
        guard let family = ProviderFamilies.family(for: provider.type) else {
            return .failure(.unsupported("\(provider.name) is of type \(provider.type), which Switchboard cannot hand out credentials for"))
        }
        guard let file = record.credentialFile else { return .failure(.noCredential) }
        var credential: Credential
        do { credential = try accounts.credential(of: record) } catch { return .failure(.unreadable("\(error)")) }
        let origin = ProviderFamilies.origin(provider, credential, baseURL: record.baseURL)
        guard origin == record.credentialOrigin else {
            return .failure(.needsConfirmation("its credential would go to \(origin ?? "no address") but was confirmed for \(record.credentialOrigin ?? "no address")"))
        }
        if ProviderTestService.expiresSoon(credential, within: Self.margin, now: now) {
            switch await oauth.refresh(accountID) {
            case .success(let fresh): credential = fresh
            case .failure(let failure):
                return .failure(failure.testCategory == .auth ? .refused("\(provider.name) refused to renew the sign-in") : .unreachable("the sign-in could not be renewed: \(failure)"))
            }
        }
        let target = ProbeTarget(provider: provider, credential: credential, baseURL: record.baseURL ?? provider.apiEndpoint,
                                 headers: record.headerValues, timeout: client.policy.defaultTimeout)
        guard credential.kind == .serviceAccount else { return await family.handout(target, client) }
        return await mint(accountID, file: file, now: now) { await family.handout(target, self.client) }
    }

    /// The cached minted token while it has more than `margin` left, else one mint at a time.
    private func mint(_ accountID: String, file: String, now: Date,
                      _ make: @escaping @Sendable () async -> Result<HandedCredential, HandoutFailure>) async -> Result<HandedCredential, HandoutFailure> {
        if let entry = minted.withLock({ $0[accountID] }), entry.file == file,
           let expires = entry.credential.expiresAt, expires.timeIntervalSince(now) > Self.margin {
            return .success(entry.credential)
        }
        let (task, owner) = minting.withLock { running -> (Task<Result<HandedCredential, HandoutFailure>, Never>, Bool) in
            if let task = running[accountID] { return (task, false) }
            let task = Task { await make() }
            running[accountID] = task
            return (task, true)
        }
        let result = await task.value
        if owner {
            _ = minting.withLock { $0.removeValue(forKey: accountID) }
            if case .success(let credential) = result { minted.withLock { $0[accountID] = MintedEntry(file: file, credential: credential) } }
        }
        return result
    }
}
