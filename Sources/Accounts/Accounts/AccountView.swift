import Catalog
import Core
import Foundation
import Storage
import Vault

public enum AccountStatus: String, Sendable, Encodable {
    case notConfigured = "not_configured"
    case missingCredential = "missing_credential"
    case untested
    case connected
    case error
    case credentialUnreadable = "credential_unreadable"
}

/// An account as the API shows it: settings, status and credential metadata, never a secret.
public struct AccountView: Sendable, Encodable {
    public struct LastTest: Sendable, Encodable {
        public let at: Date
        public let ok: Bool
        public let category: String?
        public let summary: String?
    }
    /// The OAuth token use policy: tokens from a provider's own CLI sign-in may break its terms when used for
    /// direct API calls, so without the operator's explicit consent such an account is offered only to runtimes
    /// that go through the provider's CLI.
    public struct OAuthUse: Sendable, Encodable {
        public let directApiAllowed: Bool
        public let usableBy: String
        public let scopes: [String]
        @EncodedAsNull public var expiresAt: String?
        public let providerCliClient: Bool

        init(_ c: Credential, directApiAllowed: Bool) {
            self.directApiAllowed = directApiAllowed
            self.usableBy = DirectAPIUse(c, directApiAllowed: directApiAllowed).rawValue
            self.scopes = c.fields["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? []
            self.expiresAt = c.fields["expiresAt"]?.stringValue
            self.providerCliClient = c.isFromProviderCLIClient
        }
    }
    public struct CredentialMetadata: Sendable, Encodable {
        public let kind: String
        public let hint: String
        public let updatedAt: Date
        public let origin: String?
        public let needsConfirmation: Bool
        public let readable: Bool
    }
    public let id: String
    public let provider: String
    public let providerName: String
    public let displayName: String
    @EncodedAsNull public var authMethod: String?
    @EncodedAsNull public var baseUrl: String?
    public let headers: [String: String]
    @EncodedAsNull public var maxConcurrent: Int?
    @EncodedAsNull public var timeoutSeconds: Int?
    @EncodedAsNull public var defaultModel: String?
    public let status: AccountStatus
    public let statusDetail: String
    @EncodedAsNull public var lastTest: LastTest?
    @EncodedAsNull public var credential: CredentialMetadata?
    /// OAuth accounts: what the tokens may be used for.
    @EncodedAsNull public var oauth: OAuthUse?
    public let createdAt: Date
    public let updatedAt: Date
    public let version: Int

}

extension AccountService {
    /// An account as the API shows it: its status follows from the catalog, the stored credential (readable, of
    /// the chosen method's kind, confirmed for where it would go) and the last test; the newest repeated test
    /// outcome kept in memory (`repeatedTests`) counts too.
    /// `opened`: the credential already read by the caller (routing reads it for more than the view), so it is
    /// not read from the vault a second time.
    func view(_ stored: AccountRecord, _ catalog: Catalog, opened: Credential? = nil) -> AccountView {
        var r = stored
        if let newer = repeatedTests.withLock({ $0[r.id] }), let at = r.lastTestAt, newer > at { r.lastTestAt = newer }
        let provider = catalog.entry(r.provider)
        var readable = false
        var unreadableReason: String?
        var kindMatches = true
        var oauth: AccountView.OAuthUse?
        var needsConfirmation = false
        var origin: String?
        if r.credentialFile != nil {
            do {
                let c = try opened ?? credential(of: r)
                readable = true
                if let provider {
                    origin = ProviderFamilies.origin(provider, c, baseURL: r.baseURL)
                    needsConfirmation = origin != r.credentialOrigin
                }
                if c.kind == .oauth { oauth = AccountView.OAuthUse(c, directApiAllowed: r.directApiAllowed) }
                if let method = r.authMethod.flatMap(AuthMethod.init(rawValue:)), let provider {
                    kindMatches = CredentialInput.kinds(provider: provider, method: method).contains(c.kind)
                }
            } catch Failure.unreadable(let why) {
                unreadableReason = why
            } catch {
                unreadableReason = "\(error)"
            }
        }

        let status: AccountStatus
        let detail: String
        if provider == nil {
            status = .error
            detail = "The provider \(r.provider) is no longer in the catalog; add it back as a custom provider or disconnect this account."
        } else if r.authMethod == nil {
            status = .notConfigured
            detail = "Choose how this account signs in."
        } else if r.credentialFile == nil {
            status = .missingCredential
            detail = "No credential is stored; add one to connect."
        } else if let unreadableReason {
            status = .credentialUnreadable
            detail = "The stored credential cannot be opened: \(unreadableReason)."
        } else if !kindMatches {
            status = .missingCredential
            detail = "The stored \(r.credentialKind ?? "") credential does not fit the chosen sign-in method; store one that does."
        } else if needsConfirmation {
            status = .missingCredential
            detail = "The credential would now go to \(origin ?? "no address") but was confirmed for \(r.credentialOrigin ?? "no address"); confirm it for the new address before it is sent there."
        } else if let at = r.lastTestAt, let ok = r.lastTestOK, at >= (r.credentialUpdatedAt ?? .distantPast) {
            status = ok ? .connected : .error
            detail = r.lastTestSummary ?? (ok ? "The last test succeeded." : "The last test failed.")
        } else {
            status = .untested
            detail = "The credential is stored and has not been tested yet."
        }
        return AccountView(
            id: r.id, provider: r.provider, providerName: provider?.name ?? r.provider, displayName: r.displayName,
            authMethod: r.authMethod, baseUrl: r.baseURL, headers: r.headerValues, maxConcurrent: r.maxConcurrent,
            timeoutSeconds: r.timeoutSeconds, defaultModel: r.defaultModel, status: status, statusDetail: detail,
            lastTest: r.lastTestAt.map { AccountView.LastTest(at: $0, ok: r.lastTestOK ?? false, category: r.lastTestCategory, summary: r.lastTestSummary) },
            credential: r.credentialFile.map { _ in
                AccountView.CredentialMetadata(kind: r.credentialKind ?? "", hint: r.credentialHint ?? Credential.redactionMark,
                                               updatedAt: r.credentialUpdatedAt ?? r.updatedAt, origin: r.credentialOrigin,
                                               needsConfirmation: needsConfirmation, readable: readable)
            },
            oauth: oauth, createdAt: r.createdAt, updatedAt: r.updatedAt, version: r.version)
    }
}
