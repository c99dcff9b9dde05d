import Foundation
import Vault

/// Renewing an OAuth account's tokens with its refresh token.
extension OAuthService {
    /// A fresh access token for an OAuth account: one refresh at a time per account (callers arriving during
    /// one wait for it). The new token set (with a rotated refresh token) is committed before it is returned,
    /// so a crash cannot lose the only valid refresh token. The caller records a refusal on the account
    /// (`ProviderTestService`: `error`, category `auth` when the provider refused).
    public func refresh(_ accountID: String) async -> Result<Credential, TokenFailure> {
        let (task, owner) = refreshing.withLock { running -> (Task<Result<Credential, TokenFailure>, Never>, Bool) in
            if let task = running[accountID] { return (task, false) }
            let task = Task { await self.refreshOnce(accountID) }
            running[accountID] = task
            return (task, true)
        }
        let result = await task.value
        if owner { _ = refreshing.withLock { $0.removeValue(forKey: accountID) } }
        return result
    }

    private func refreshOnce(_ accountID: String) async -> Result<Credential, TokenFailure> {
        guard let record = try? database.account(accountID), let file = record.credentialFile,
              let credential = try? accounts.credential(of: record), credential.kind == .oauth,
              let refreshToken = credential.fields["refreshToken"]?.stringValue else {
            return .failure(.badResponse("the account has no refresh token"))
        }
        let name = name(record.provider)
        guard let client = try? clients.client(record.provider) else { return .failure(.badResponse("no OAuth client for \(name)")) }
        let server = endpoint(client)
        let now = Date()
        switch await server.refresh(refreshToken) {
        case .success(let tokens):
            let fresh = tokens.credential(kind: OAuthClientKind(rawValue: credential.fields["clientKind"]?.stringValue ?? "") ?? client.kind,
                                          requested: client.scopes, previous: credential)
            do {
                guard try accounts.storeRenewed(fresh, account: accountID, replacing: file, at: now) else { return .failure(.superseded) }
            } catch {
                return .failure(.badResponse("the refreshed tokens could not be stored"))
            }
            return .success(fresh)
        case .failure(let failure):
            return .failure(failure)
        }
    }
}
