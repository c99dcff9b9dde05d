import Core
import Foundation
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
