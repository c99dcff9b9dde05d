import Catalog
import Core
import Foundation
import Storage
import Vault

/// An account as routing reads it: its status (the same one the accounts API shows), where a runtime calls
/// it, whether only CLI runtimes may use its tokens, and the models it offers.
public struct RoutableAccount: Sendable {
    public var id: String
    public var provider: String
    /// The catalog `type`: the API family.
    public var family: String
    public var status: AccountStatus
    public var statusDetail: String
    /// The base URL a runtime sends the call to.
    public var destination: String?
    /// `DirectAPIUse.providerCLIOnly`: tokens from a provider CLI's own client, without `allowDirectApi`.
    public var cliOnly: Bool
    public var maxConcurrent: Int?
    public var timeoutSeconds: Int?
    /// The provider's model ids this account offers: its provider's catalog models and the ones its last test
    /// discovered.
    public var models: [String]
    /// When its last connection test passed (an `auth` block recorded before it ends).
    public var lastPassedTest: Date?
}

extension AccountService {
    /// Every account, oldest first, as routing reads it. Opens each credential once (its status, destination and
    /// policy depend on it) and reads the discovered models in one query: called when something changed, never
    /// per decision.
    public func routable() throws -> [RoutableAccount] {
        let catalog = catalog.current
        let discovered = try database.discoveredModelIDs()
        return try database.accounts().map { record in
            let provider = catalog.entry(record.provider)
            let credential = record.credentialFile == nil ? nil : try? credential(of: record)
            let view = view(record, catalog, opened: credential)
            var destination = record.baseURL ?? provider?.apiEndpoint
            if let provider, let credential {
                let target = ProbeTarget(provider: provider, credential: credential, baseURL: record.baseURL ?? provider.apiEndpoint,
                                         headers: [:], timeout: .seconds(1))
                destination = ProviderFamilies.family(for: provider.type)?.destination(target) ?? target.base
            }
            var models = provider?.models.map(\.id) ?? []
            let known = Set(models)
            models += (discovered[record.id] ?? []).filter { !known.contains($0) }
            return RoutableAccount(id: record.id, provider: record.provider, family: provider?.type ?? "",
                                   status: view.status, statusDetail: view.statusDetail, destination: destination,
                                   cliOnly: view.oauth?.usableBy == DirectAPIUse.providerCLIOnly.rawValue,
                                   maxConcurrent: record.maxConcurrent, timeoutSeconds: record.timeoutSeconds, models: models,
                                   lastPassedTest: record.lastTestOK == true ? record.lastTestAt : nil)
        }
    }

    /// Records that a runtime's call with the account's credential was refused (`auth` outcome): the account
    /// shows `error` until a connection test passes, like a failed test would.
    public func recordRefusedByRuntime(_ id: String, httpStatus: Int?, at now: Date) throws {
        let status = httpStatus.map { " (HTTP \($0))" } ?? ""
        let result = TestResult(ok: false, category: .auth, httpStatus: httpStatus, latencyMs: 0,
                                summary: "A runtime's call with this credential was refused\(status); the account stays out of rotation until a connection test passes.",
                                modelCount: nil, quota: nil, testedAt: now)
        try database.recordTestNow(id, result)
    }
}
