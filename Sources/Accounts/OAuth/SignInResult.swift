import Catalog
import Core
import Foundation
import Storage

/// How a sign-in ends, whatever its way (browser or device code): its tokens stored with the flow's outcome, or
/// the flow marked failed.
extension OAuthService {
    struct Finished { var status: String; var category: String?; var account: String? }

    /// Stores the token set in the vault (one transaction with the flow's outcome and the audit event). A
    /// failure leaves nothing behind and marks the flow `storage_failed`; starting again works.
    func store(_ tokens: TokenSet, flow: OAuthFlowRecord, client: OAuthClient, at now: Date) -> Finished {
        let name = name(flow.provider)
        let missing = client.scopes.filter { !(tokens.scopes ?? client.scopes).contains($0) }
        let method: AuthMethod = flow.mode == "device" ? .oauthDeviceCode : .oauthBrowser
        do {
            // Signing an account in again keeps a refresh token the new answer did not include.
            let previous = flow.account.flatMap { try? database.account($0) }.flatMap { try? accounts.credential(of: $0) }
            let credential = tokens.credential(kind: client.kind, requested: client.scopes, previous: previous)
            let category: String? = missing.isEmpty ? nil : "insufficient_scope"
            let message: String? = missing.isEmpty ? nil : "Signed in, but \(name) did not grant \(missing.joined(separator: ", ")); sign in again and allow \(missing.count == 1 ? "it" : "them")."
            let record = try accounts.storeObtained(credential, provider: flow.provider, account: flow.account, method: method,
                                                    event: "oauth.signed_in", by: .init(actor: flow.actor), at: now,
                                                    completing: .oauthFlow(id: flow.id, category: category, message: message, missingScopes: missing))
            if !missing.isEmpty {
                // The post-sign-in check: what is missing is the account's last test, so the page can offer
                // signing in again next to it.
                let result = TestResult(ok: false, category: .forbidden, httpStatus: nil, latencyMs: 0, summary: message ?? "", modelCount: nil, quota: nil, testedAt: now)
                try? database.recordTestNow(record.id, result)
            }
            return Finished(status: "completed", category: category, account: record.id)
        } catch {
            return fail(flow, "storage_failed", "The tokens could not be stored (\(error)); nothing was kept. Start the sign-in again.", at: now)
        }
    }

    @discardableResult
    func fail(_ flow: OAuthFlowRecord, _ category: String, _ message: String, at now: Date, audit: [String: JSONValue] = [:]) -> Finished {
        try? database.failOAuthFlow(flow.id, status: category == "expired_token" ? "expired" : "failed", category: category, message: message,
                                    event: AuditEntry("oauth.failed", actor: flow.actor, target: flow.account ?? flow.provider,
                                                      detail: .object(audit.merging(["flow": .string(flow.id), "category": .string(category)]) { a, _ in a })),
                                    at: now)
        return Finished(status: "failed", category: category, account: nil)
    }
}
