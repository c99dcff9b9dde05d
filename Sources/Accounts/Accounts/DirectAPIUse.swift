import Core
import Foundation
import Vault

/// The token use policy, decided here and nowhere else: may a stored credential be sent to its provider's API
/// directly (a connection test, a model list)?
///
/// Tokens obtained through a provider CLI's own OAuth client come with that provider's terms, which may not
/// allow direct API calls with them. Such an account is for runtimes that go through the provider's CLI until
/// the operator sets `allowDirectApi` on it; until then Switchboard only renews its tokens at the token
/// endpoint (what the CLI itself does) and never calls the API with them. API keys, cloud credentials and
/// tokens from the operator's own OAuth app are always usable directly.
public enum DirectAPIUse: String, Sendable, Equatable {
    /// The credential may go to the provider's API.
    case allowed = "direct_api"
    /// Only runtimes that go through the provider's CLI may use it; Switchboard only renews it.
    case providerCLIOnly = "provider_cli"

    /// The decision for `credential` held by an account whose operator chose `directApiAllowed`.
    public init(_ credential: Credential, directApiAllowed: Bool) {
        self = credential.isFromProviderCLIClient && !directApiAllowed ? .providerCLIOnly : .allowed
    }

    public var isAllowed: Bool { self == .allowed }

    /// Why a direct call was not made, as a clause for a summary or a problem's detail.
    static func reason(_ provider: String) -> String {
        "direct API calls are not allowed for this account, whose tokens came from \(provider)'s own CLI sign-in"
    }

    /// The connection test of an account kept from the API, when renewing its sign-in worked: that renewal is
    /// all that was checked, and the summary says so.
    static func renewalChecked(_ provider: String, latencyMs: Int, at now: Date = Date()) -> TestResult {
        TestResult(ok: true, category: .ok, httpStatus: nil, latencyMs: latencyMs,
                   summary: "\(provider) renewed the sign-in. Only the renewal was checked: \(reason(provider)). Allow them (allowDirectApi) to test the API itself.",
                   modelCount: nil, quota: nil, testedAt: now)
    }
}

extension Credential {
    /// An OAuth token set obtained through a provider CLI's own client (`clientKind` recorded at sign-in or
    /// pairing).
    var isFromProviderCLIClient: Bool {
        kind == .oauth && fields["clientKind"]?.stringValue == OAuthClientKind.providerCLI.rawValue
    }
}
