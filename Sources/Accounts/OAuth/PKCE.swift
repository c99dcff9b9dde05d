import Cryptography
import Foundation

/// Proof Key for Code Exchange (RFC 7636), always S256.
public enum PKCE {
    /// A code verifier: 32 random bytes as base64url (43 characters, within RFC 7636's 43–128).
    public static func verifier() -> String { Base64URL.encode(SecureRandom.bytes(32)) }

    /// `BASE64URL(SHA256(ASCII(verifier)))`.
    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(Digest.sha256(Array(verifier.utf8)))
    }
}

/// Random values the sign-in flows hand out.
package enum OAuthRandom {
    /// A `state`: 256 random bits, base64url.
    static func state() -> String { Base64URL.encode(SecureRandom.bytes(32)) }
    /// A public id for a flow or pairing (`oaf_…`, `pair_…`): 128 random bits, hex.
    package static func id(_ prefix: String) -> String { prefix + Hex.encode(SecureRandom.bytes(16)) }
}
