import Core
import Foundation

/// Finds names and values that look like credentials, so they are refused before they reach a place that is
/// not the vault: the settings document, custom catalog files, and the account fields that are not the
/// credential (all stored in plain text and kept in history or backups). Secrets belong to the credential API.
///
/// A value is key-shaped when it holds
/// - a provider's key prefix (`sk-ant-`, `sk-or-`, `AIza`, `gsk_`, …, from the catalog: each provider's
///   `switchboard.key_prefixes`) followed by at least 16 token characters of two or more classes (upper case,
///   lower case, digits), or a GitHub or Slack token prefix (no provider of ours, but pasted often);
/// - an AWS access key id (`AKIA`/`ASIA`/`ABIA`/`ACCA` and 16 upper-case letters or digits);
/// - a JWT (`eyJ…`, three dot-separated base64url parts) or a PEM block (`-----BEGIN …-----`);
/// - a long random token: a run of at least 32 letters, digits, `+`, `/`, `_` and `-` (dots split runs) with a
///   stretch of at least 16 letters and digits, two or more character classes, and a Shannon entropy of at least
///   2.8 bits per character when it is all hex digits, 3.5 otherwise. That covers the keys without a prefix:
///   Mistral (32 letters and digits), Azure OpenAI (32 hex digits), Z.AI (32 hex, a dot, 16 more), xAI, an AWS
///   secret access key. Of 20 000 random 32-character keys the lowest entropy was 2.87 (hex) and 3.89
///   (letters and digits), so the bounds keep every one.
///
/// Not key-shaped, on purpose: model ids and references (`openrouter/meta-llama/llama-4-maverick-17b-128e-instruct`:
/// words joined by dashes, slashes, dots or colons never make a 16-character stretch), UUIDs (ids: their longest
/// stretch is 12), numbers, words in one case, Catwalk's `$VAR` placeholders, and hex ids in the path of a URL
/// (a Cloudflare account id in an AI Gateway URL); in a URL only the user, password, query and fragment are
/// checked for random tokens. A 32-digit hex hash in free text is taken for an Azure key: shorten it.
public struct SecretDetector: Sendable {
    public static let credentialAPI = "PUT /api/accounts/{id}/credential"

    /// Credential prefixes of services that are not providers of the catalog.
    static let wellKnownPrefixes = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xoxb-", "xoxp-", "xoxa-", "xoxr-"]
    static let awsKeyIDPrefixes: [[UInt8]] = ["AKIA", "ASIA", "ABIA", "ACCA"].map { Array($0.utf8) }
    static let minimumTokenLength = 32
    static let minimumStretch = 16
    static let minimumCharactersAfterPrefix = 16

    /// Longest first; deterministic order.
    let keyPrefixes: [[UInt8]]

    /// `keyPrefixes`: the catalog's (`ModelDirectory.keyPrefixes`); prefixes `isUsablePrefix` refuses are ignored.
    public init(keyPrefixes: some Sequence<String> = [String]()) {
        let all = Set(keyPrefixes.filter(Self.isUsablePrefix)).union(Self.wellKnownPrefixes)
        self.keyPrefixes = all.map { Array($0.utf8) }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1) }
    }

    /// 3 to 32 letters, digits, `-`, `_` or `.`, and either a separator or at least four characters: a custom catalog
    /// entry cannot make ordinary words key-shaped (`sk-`, `gsk_`, `ya29.`, `AIza` are fine; `sk` is not).
    public static func isUsablePrefix(_ prefix: String) -> Bool {
        let b = Array(prefix.utf8)
        guard (3...32).contains(b.count), b.allSatisfy({ isAlnum($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }) else { return false }
        return b.count >= 4 || b.contains { !isAlnum($0) }
    }

    // MARK: Names

    /// A member name that names a secret: `apiKey`, `api_key`, `token`, `accessToken`, `password`,
    /// `clientSecret`, `privateKey`, `secretAccessKey`, `authorization`, `subscriptionKey`, ...
    /// (`maxTokens` and `prompt_cache_key` are not).
    public static func isSecretName(_ name: String) -> Bool {
        // Bytes, not Characters or Foundation's `contains`: this runs for every member name of every body, and
        // the Foundation path cost ~10 µs a name (a body of 80 000 names took 1.5 s).
        var n: [UInt8] = []
        n.reserveCapacity(name.utf8.count)
        for c in name.utf8 where isAlnum(c) { n.append(isUpper(c) ? c | 0x20 : c) }
        if exactSecretNames.contains(where: { $0.elementsEqual(n) }) { return true }
        if secretNameParts.contains(where: { n.contains(subsequence: $0) }) { return true }
        return n.ends(with: token)
    }

    static let exactSecretNames: [[UInt8]] = ["key", "auth", "authorization", "credential", "credentials", "cookie", "bearer", "pass", "pwd"]
        .map { Array($0.utf8) }
    static let secretNameParts: [[UInt8]] = ["apikey", "authkey", "subscriptionkey", "secret", "password", "passwd", "passphrase",
                                             "privatekey", "accesskey", "signingkey", "encryptionkey", "serviceaccount"].map { Array($0.utf8) }
    static let token = Array("token".utf8)
    static let credentialHeaderParts: [[UInt8]] = ["key", "token", "secret", "auth", "password", "passwd", "credential", "signature", "cookie"]
        .map { Array($0.utf8) }

    /// A request header that carries credentials: `Authorization`, `Proxy-Authorization`, `X-Api-Key`, `Api-Key`,
    /// `X-Auth-Key`, `X-Auth-Token`, `Ocp-Apim-Subscription-Key`, `X-Goog-Api-Key`, `Cookie`, and anything else
    /// whose name contains key, token, secret, auth, password, credential, signature or cookie.
    public static func isCredentialHeader(_ name: String) -> Bool {
        let n = name.utf8.map { isUpper($0) ? $0 | 0x20 : $0 }
        return credentialHeaderParts.contains { n.contains(subsequence: $0) }
    }

    // MARK: Catwalk's placeholders

    /// The variable a Catwalk placeholder names: `$OPENAI_API_KEY` or `${OPENAI_API_KEY}` → `OPENAI_API_KEY`.
    public static func placeholderName(_ value: String) -> String? {
        var s = Substring(value.trimmed)
        guard s.hasPrefix("$") else { return nil }
        s = s.dropFirst()
        if s.hasPrefix("{") {
            guard s.hasSuffix("}") else { return nil }
            s = s.dropFirst().dropLast()
        }
        guard let first = s.utf8.first, isLetter(first) || first == 0x5F,
              s.utf8.allSatisfy({ isAlnum($0) || $0 == 0x5F }) else { return nil }
        return String(s)
    }

    /// Empty, a placeholder, or an auth scheme and a placeholder (`Bearer $TOKEN`): nothing literal to keep secret.
    public static func isVariableForm(_ value: String) -> Bool {
        // Without a `$` it is a variable form only when blank; checked on bytes first (values can be long).
        guard value.utf8.contains(0x24) else { return value.utf8.allSatisfy(isSpace) }
        let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        switch words.count {
        case 0: return true
        case 1: return placeholderName(String(words[0])) != nil
        case 2: return words[0].count <= 16 && words[0].allSatisfy(\.isLetter) && placeholderName(String(words[1])) != nil
        default: return false
        }
    }

    // MARK: Values

    /// A string that has the shape of a credential (see the type's documentation).
    /// Member names whose values are public identifiers however random they look.
    static let publicIdentifierNames: Set<String> = ["client_id", "clientId"]

    /// True when `value` starts with a provider's key prefix followed by a key's characters (`sk-ant-api03-…`).
    public func hasKeyPrefix(_ value: String) -> Bool {
        let bytes = Array(value.utf8)[...]
        return keyPrefixes.contains { prefix in
            guard bytes.starts(with: prefix) else { return false }
            let after = bytes.dropFirst(prefix.count).prefix { Self.isAlnum($0) || $0 == 0x2D || $0 == 0x5F }
            return after.count >= Self.minimumCharactersAfterPrefix && Self.classes(after) >= 2
        }
    }

    public func looksLikeSecret(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        // Byte by byte, never a Character: a 1 MiB string must cost a pass over its bytes, not a grapheme walk.
        let start = bytes.firstIndex { !Self.isSpace($0) } ?? bytes.endIndex
        let end = (bytes.lastIndex { !Self.isSpace($0) } ?? start - 1) + 1
        let trimmed = start < end ? bytes[start..<end] : []
        if Self.hasURLScheme(trimmed), !trimmed.contains(where: Self.isSpace),
           let url = URLComponents(string: String(decoding: trimmed, as: UTF8.self)) {
            // A URL: its path may hold long hex ids; its user, password, query and fragment never hold anything but secrets.
            if scan(trimmed, randomTokens: false) { return true }
            return [url.user, url.password, url.query, url.fragment].contains { $0.map { scan(Array($0.utf8)[...], randomTokens: true) } ?? false }
        }
        return scan(bytes[...], randomTokens: true)
    }

    /// `http://` or `https://`, in any case.
    static func hasURLScheme(_ b: ArraySlice<UInt8>) -> Bool {
        let lower = b.prefix(8).map { isUpper($0) ? $0 | 0x20 : $0 }
        return lower.starts(with: Array("https://".utf8)) || lower.starts(with: Array("http://".utf8))
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C }

    private func scan(_ b: ArraySlice<UInt8>, randomTokens: Bool) -> Bool {
        if Self.containsPEMBlock(b) { return true }
        var i = b.startIndex
        while i < b.endIndex {
            guard Self.isWord(b[i]) else { i += 1; continue }
            var end = i
            while end < b.endIndex && Self.isWord(b[end]) { end += 1 }
            if wordIsSecret(b[i..<end], randomTokens: randomTokens) { return true }
            i = end
        }
        return false
    }

    /// One run of letters, digits and `+ / _ - .`.
    private func wordIsSecret(_ word: ArraySlice<UInt8>, randomTokens: Bool) -> Bool {
        for start in word.indices where start == word.startIndex || !Self.isAlnum(word[start - 1]) {
            let rest = word[start...]
            for prefix in keyPrefixes where rest.starts(with: prefix) {
                let after = rest.dropFirst(prefix.count).prefix { Self.isAlnum($0) || $0 == 0x2D || $0 == 0x5F }
                if after.count >= Self.minimumCharactersAfterPrefix && Self.classes(after) >= 2 { return true }
            }
            if rest.starts(with: [0x65, 0x79, 0x4A]) {   // "eyJ": base64url of `{"`, a JWT's header
                let token = rest.prefix { Self.isAlnum($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
                let parts = token.split(separator: 0x2E, omittingEmptySubsequences: false)
                if token.count >= 40 && parts.count >= 3 && !parts[0].isEmpty && !parts[1].isEmpty { return true }
            }
        }
        // Runs of letters and digits, walked in place (no arrays of slices: a word can be a megabyte long).
        var runStart = word.startIndex
        while runStart < word.endIndex {
            guard Self.isAlnum(word[runStart]) else { runStart += 1; continue }
            var runEnd = runStart
            while runEnd < word.endIndex && Self.isAlnum(word[runEnd]) { runEnd += 1 }
            let run = word[runStart..<runEnd]
            if run.count == 20, Self.awsKeyIDPrefixes.contains(where: { run.starts(with: $0) }),
               run.allSatisfy({ Self.isUpper($0) || Self.isDigit($0) }) {
                return true
            }
            runStart = runEnd
        }
        guard randomTokens else { return false }
        for token in word.split(separator: 0x2E) where token.count >= Self.minimumTokenLength {
            var longestStretch = 0, stretch = 0
            for c in token {
                stretch = Self.isAlnum(c) ? stretch + 1 : 0
                longestStretch = max(longestStretch, stretch)
            }
            guard longestStretch >= Self.minimumStretch, Self.classes(token) >= 2 else { continue }
            let hex = token.allSatisfy(Self.isHexDigit)
            if Self.entropy(token) >= (hex ? 2.8 : 3.5) { return true }
        }
        return false
    }

    /// `-----BEGIN <LABEL>-----`: a private key, a certificate, any PEM block.
    static func containsPEMBlock(_ b: ArraySlice<UInt8>) -> Bool {
        let begin = Array("-----BEGIN ".utf8)
        var i = b.startIndex
        while i + begin.count <= b.endIndex {
            if b[i] == 0x2D, b[i..<(i + begin.count)].elementsEqual(begin) {
                let label = b[(i + begin.count)...].prefix { isUpper($0) || isDigit($0) || $0 == 0x20 }
                let after = i + begin.count + label.count
                if !label.isEmpty && b[after...].starts(with: Array("-----".utf8)) { return true }
            }
            i += 1
        }
        return false
    }

    /// Shannon entropy in bits per character.
    static func entropy(_ s: some Collection<UInt8>) -> Double {
        var counts = [Int](repeating: 0, count: 256)
        for c in s { counts[Int(c)] += 1 }
        let n = Double(s.count)
        return counts.reduce(0.0) { sum, count in
            guard count > 0 else { return sum }
            let p = Double(count) / n
            return sum - p * log2(p)
        }
    }

    static func classes(_ s: some Collection<UInt8>) -> Int {
        (s.contains(where: isUpper) ? 1 : 0) + (s.contains(where: isLower) ? 1 : 0) + (s.contains(where: isDigit) ? 1 : 0)
    }

    static func isUpper(_ c: UInt8) -> Bool { c >= 0x41 && c <= 0x5A }
    static func isLower(_ c: UInt8) -> Bool { c >= 0x61 && c <= 0x7A }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isLetter(_ c: UInt8) -> Bool { isUpper(c) || isLower(c) }
    static func isAlnum(_ c: UInt8) -> Bool { isLetter(c) || isDigit(c) }
    static func isHexDigit(_ c: UInt8) -> Bool { isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) }
    /// Letters, digits and `+ / _ - .`: the alphabets of keys, tokens and base64.
    static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == 0x2B || c == 0x2F || c == 0x5F || c == 0x2D || c == 0x2E }

    // MARK: Documents

    /// Pointers of every secret-named member and key-shaped string in `value`. Member names that are model
    /// references (`provider/model`) key per-model entries; they are not names of fields.
    ///
    /// With `variablesAllowed` (catalog files, where Catwalk names keys by variable), a secret-named member may hold
    /// a `$VAR` form (`isVariableForm`), null or a boolean, and a string in that form is never a secret. Without it
    /// (the settings document, which expands no variables), a secret-named member is refused whatever it holds.
    public func scan(_ value: JSONValue, variablesAllowed: Bool = false) -> [String] {
        var path: [String] = []
        var found: [String] = []
        scan(value, path: &path, variablesAllowed: variablesAllowed, into: &found)
        return found
    }

    /// One walk with one path stack: a pointer string is made only for what is found, so a deep document costs
    /// its size, not its size times its depth.
    private func scan(_ value: JSONValue, path: inout [String], variablesAllowed: Bool, into found: inout [String]) {
        switch value {
        case .object(let members):
            for name in members.keys.sorted() {
                let member = members[name]!
                path.append(name)
                defer { path.removeLast() }
                // An OAuth client id is public (RFC 6749 §2.2) and looks random: only a provider's key prefix makes
                // it a secret (a key pasted into the wrong field).
                if Self.publicIdentifierNames.contains(name), case .string(let s) = member {
                    if hasKeyPrefix(s) { found.append(JSONPointer.make(path)) }
                    continue
                }
                guard !name.contains("/") && Self.isSecretName(name) else {
                    scan(member, path: &path, variablesAllowed: variablesAllowed, into: &found)
                    continue
                }
                guard variablesAllowed else { found.append(JSONPointer.make(path)); continue }
                switch member {
                case .string(let s): if !Self.isVariableForm(s) { found.append(JSONPointer.make(path)) }
                case .null, .bool: break
                case .object, .array: scan(member, path: &path, variablesAllowed: true, into: &found)
                default: found.append(JSONPointer.make(path))
                }
            }
        case .array(let items):
            for (offset, item) in items.enumerated() {
                path.append(String(offset))
                scan(item, path: &path, variablesAllowed: variablesAllowed, into: &found)
                path.removeLast()
            }
        case .string(let s):
            if variablesAllowed && Self.isVariableForm(s) { return }
            if looksLikeSecret(s) { found.append(JSONPointer.make(path)) }
        default:
            return
        }
    }
}
