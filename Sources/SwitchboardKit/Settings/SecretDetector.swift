/// Finds keys and values that look like credentials, so they are refused before they reach the settings
/// document (stored in plain SQLite and shown in history). Secrets belong to the credential API.
public enum SecretDetector {
    public static let credentialAPI = "PUT /api/accounts/{id}/credential"

    /// A member name that names a secret: `apiKey`, `api_key`, `token`, `accessToken`, `password`,
    /// `clientSecret`, `privateKey`, `secretAccessKey`, `authorization`, ... (`maxTokens` is not one).
    public static func isSecretName(_ name: String) -> Bool {
        let n = String(name.lowercased().filter { $0.isLetter || $0.isNumber })
        if ["key", "auth", "authorization", "credential", "credentials", "cookie", "bearer", "pass", "pwd"].contains(n) { return true }
        for part in ["apikey", "secret", "password", "passwd", "passphrase", "privatekey", "accesskey", "serviceaccount"] where n.contains(part) {
            return true
        }
        return n.hasSuffix("token")
    }

    /// A string that has the shape of a well-known credential format.
    public static func looksLikeSecret(_ value: String) -> Bool {
        let v = value
        if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") { return true }
        for prefix in ["sk-ant-", "sk-proj-", "sk-or-", "sk-svcacct-", "ya29.", "ghp_", "github_pat_", "xoxb-", "xoxp-", "AIza"] {
            if let range = v.range(of: prefix), tokenLength(v[range.lowerBound...]) >= prefix.count + 16 { return true }
        }
        // OpenAI-style `sk-` keys and AWS access key ids (AKIA/ASIA + 16 upper-case letters or digits).
        for word in v.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\"" || $0 == "'" || $0 == "=" || $0 == ":" }) {
            if word.hasPrefix("sk-") && word.count >= 32 && word.dropFirst(3).allSatisfy(isTokenCharacter) { return true }
            if (word.hasPrefix("AKIA") || word.hasPrefix("ASIA")) && word.count == 20
                && word.allSatisfy({ ($0.isUppercase && $0.isASCII) || $0.isNumber }) { return true }
            // A JWT (OAuth access or id token): three base64url parts, the first a JSON header.
            if word.hasPrefix("eyJ") && word.count >= 40 && word.split(separator: ".").count == 3 { return true }
        }
        return false
    }

    private static func isTokenCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_")
    }

    private static func tokenLength(_ s: Substring) -> Int {
        s.prefix(while: { isTokenCharacter($0) || $0 == "." }).count
    }

    /// Pointers of every secret-looking member name or string value in `value`.
    public static func scan(_ value: JSONValue, at path: [String] = []) -> [String] {
        switch value {
        case .object(let members):
            return members.keys.sorted().flatMap { name -> [String] in
                // Model references (`provider/model`) key the per-model entries; they are not names of fields.
                if !name.contains("/") && isSecretName(name) { return [JSONPointer.make(path + [name])] }
                return scan(members[name]!, at: path + [name])
            }
        case .array(let items):
            return items.enumerated().flatMap { scan($0.element, at: path + [String($0.offset)]) }
        case .string(let s):
            return looksLikeSecret(s) ? [JSONPointer.make(path)] : []
        default:
            return []
        }
    }
}
