import Core
import Foundation
import Outbound
import Settings

/// Checks on the non-secret parts of an account, shared by create, patch and the credential checks.
package enum AccountRules {
    /// `<provider>:<name>`: the provider id as the catalog spells it, a name of `[a-z0-9][a-z0-9_-]{0,63}`.
    /// Neither part can hold `.`, `/` or `%`, so an id is safe in a file name and a path.
    package static func isAccountID(_ s: String) -> Bool {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, SettingsValidator.isProviderID(String(parts[0])) else { return false }
        return isAccountName(String(parts[1]))
    }

    static func isAccountName(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard (1...64).contains(b.count) else { return false }
        let ok: (UInt8) -> Bool = { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F }
        return ok(b[0]) && b[0] != 0x2D && b[0] != 0x5F && b.allSatisfy(ok) && s != reservedName
    }

    /// The vault files of a provider's OAuth client secret use this name in place of an account's.
    static let reservedName = "oauth-client"

    /// `scheme://host[:port]` with the host in the form connections use (`OutboundPolicy.canonicalHost`), so
    /// two spellings of one address are one origin; nil when `text` is not a URL.
    package static func origin(_ text: String) -> String? {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
              let canonical = OutboundPolicy.canonicalHost(url) else { return nil }
        let host = canonical.contains(":") ? "[\(canonical)]" : canonical
        let port = url.port.map { ":\($0)" } ?? ""
        let defaultPort = (scheme == "https" && port == ":443") || (scheme == "http" && port == ":80")
        return "\(scheme)://\(host)\(defaultPort ? "" : port)"
    }

    /// Header names the HTTP client owns. Those that carry credentials are `SecretDetector.isCredentialHeader`'s.
    static let reservedHeaders: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "forwarded", "x-forwarded-for",
    ]

    static func isTokenName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 100 && s.unicodeScalars.allSatisfy { c in
            c.isASCII && (CharacterSet.alphanumerics.contains(c) || "!#$%&'*+-.^_`|~".unicodeScalars.contains(c))
        }
    }

    static func headerProblems(_ value: JSONValue, pointer: String, detector: SecretDetector) -> [FieldError] {
        guard let members = value.objectValue else {
            return [.init(pointer: pointer, code: "type", message: "must be an object of header names and values")]
        }
        if members.count > 20 { return [.init(pointer: pointer, code: "too_many", message: "may have at most 20 headers")] }
        var out: [FieldError] = []
        for name in members.keys.sorted() {
            let p = pointer + "/" + name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            guard isTokenName(name) else {
                out.append(.init(pointer: p, code: "invalid_name", message: "is not a valid header name")); continue
            }
            if SecretDetector.isCredentialHeader(name) {
                out.append(.init(pointer: p, code: "secret_not_allowed", message: "carries credentials; store them with \(SecretDetector.credentialAPI)"))
                continue
            }
            if reservedHeaders.contains(name.lowercased()) {
                out.append(.init(pointer: p, code: "reserved", message: "belongs to the HTTP client"))
                continue
            }
            guard let v = members[name]?.stringValue else {
                out.append(.init(pointer: p, code: "type", message: "must be a string")); continue
            }
            if v.utf8.count > 1024 || v.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                out.append(.init(pointer: p, code: "invalid_format", message: "must be at most 1024 characters with no line breaks or control characters"))
            } else if detector.looksLikeSecret(v) {
                out.append(.init(pointer: p, code: "secret_not_allowed", message: "looks like a secret; store it with \(SecretDetector.credentialAPI)"))
            }
        }
        return out
    }
}
