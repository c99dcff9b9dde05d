import Catalog
import Core
import Foundation
import Outbound

/// The kinds of secret the vault stores.
public enum CredentialKind: String, Sendable, Codable, CaseIterable {
    case apiKey = "api_key"
    /// AWS access key id + secret (+ session token, region).
    case aws
    /// Azure OpenAI endpoint + key + API version (+ deployment).
    case azure
    /// A Google service-account JSON key.
    case serviceAccount = "service_account"
    /// An OAuth token set: access, refresh, expiry, scopes.
    case oauth

    /// The fields of this kind; `secret` ones never leave the vault except through audited reveal/copy, and
    /// the redacted placeholder stands for them.
    package var fields: [(name: String, required: Bool, secret: Bool)] {
        switch self {
        case .apiKey: [("apiKey", true, true)]
        case .aws: [("accessKeyId", true, false), ("secretAccessKey", true, true), ("sessionToken", false, true), ("region", false, false)]
        case .azure: [("endpoint", true, false), ("apiKey", true, true), ("apiVersion", true, false), ("deployment", false, false)]
        case .serviceAccount: [("json", true, true)]
        case .oauth: [("accessToken", true, true), ("refreshToken", false, true), ("expiresAt", false, false), ("scopes", false, false),
                      ("tokenType", false, false), ("clientKind", false, false)]
        }
    }

    /// The field a copy button puts on the clipboard.
    package var primaryField: String {
        switch self {
        case .apiKey, .azure: "apiKey"
        case .aws: "secretAccessKey"
        case .serviceAccount: "json"
        case .oauth: "accessToken"
        }
    }
}

/// One credential: its kind and fields, already checked. Only ever in memory for the length of a request.
public struct Credential: Sendable, Equatable {
    public var kind: CredentialKind
    public var fields: [String: JSONValue]

    /// What is encrypted: `{"kind": …, "fields": {…}}` with sorted keys.
    package var plaintext: [UInt8] {
        Array(JSONValue.object(["kind": .string(kind.rawValue), "fields": .object(fields)]).serialized.utf8)
    }

    package init(kind: CredentialKind, fields: [String: JSONValue]) {
        self.kind = kind
        self.fields = fields
    }

    package init?(plaintext: [UInt8]) {
        guard let value = JSONValue.parse(plaintext), let k = value["kind"]?.stringValue, let kind = CredentialKind(rawValue: k),
              let fields = value["fields"]?.objectValue else { return nil }
        self.init(kind: kind, fields: fields)
    }

    /// The marker that starts a redacted secret as the API shows it (`••••a1B2`).
    public static let redactionMark = "••••"

    /// A value the page can show: the redaction mark and the last four characters.
    static func redacted(_ secret: String) -> String {
        redactionMark + (secret.count >= 12 ? String(secret.suffix(4)) : "")
    }

    /// Non-secret words that say which credential this is.
    public var hint: String {
        switch kind {
        case .apiKey, .azure: Self.redacted(fields["apiKey"]?.stringValue ?? "")
        case .aws: Self.redacted(fields["accessKeyId"]?.stringValue ?? "")
        case .serviceAccount: fields["json"]?["client_email"]?.stringValue ?? Self.redactionMark
        case .oauth: Self.redacted(fields["accessToken"]?.stringValue ?? "")
        }
    }
}

/// Checks a credential as sent to the API and turns it into a `Credential`. Every problem is reported with
/// its JSON pointer (under `base`); a field sent as the redacted placeholder takes the stored value.
package struct CredentialInput {
    package var errors: [FieldError] = []
    let base: String
    /// The rule an endpoint in the credential (Azure's) is held to.
    let urlPolicy: OutboundPolicy

    init(base: String, urlPolicy: OutboundPolicy) {
        self.base = base
        self.urlPolicy = urlPolicy
    }

    mutating func fail(_ field: String, _ code: String, _ message: String) {
        errors.append(.init(pointer: base + (field.isEmpty ? "" : "/" + field), code: code, message: message))
    }

    /// The kinds an account of `provider` may hold with `method` (nil: any of its methods).
    package static func kinds(provider: CatalogProvider, method: AuthMethod?) -> [CredentialKind] {
        let methods = method.map { [$0] } ?? provider.authMethods.map(\.method)
        var seen = Set<CredentialKind>()
        return methods.flatMap { kinds($0, provider) }.filter { seen.insert($0).inserted }
    }

    /// The catalog entry says which kind each method stores (`ProviderDescriptor`).
    private static func kinds(_ method: AuthMethod, _ provider: CatalogProvider) -> [CredentialKind] {
        // Pairing delivers whatever the paired machine obtained with the provider's other methods.
        if method == .pairing { return provider.authMethods.map(\.method).filter { $0 != .pairing }.flatMap { kinds($0, provider) } }
        return provider.credentialKind(for: method).flatMap(CredentialKind.init(rawValue:)).map { [$0] } ?? []
    }

    /// The auth method a credential kind implies, for an account that has none chosen yet.
    package static func method(for kind: CredentialKind, provider: CatalogProvider) -> AuthMethod? {
        provider.authMethods.first { $0.method != .pairing && provider.credentialKind(for: $0.method) == kind.rawValue }?.method
    }

    package mutating func check(_ input: JSONValue, provider: CatalogProvider, method: AuthMethod?, stored: Credential?) -> Credential? {
        guard let object = input.objectValue else {
            fail("", "type", "must be an object with a kind and its fields")
            return nil
        }
        guard let kindName = object["kind"]?.stringValue else {
            fail("kind", "required", "is required: one of \(CredentialKind.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        guard let kind = CredentialKind(rawValue: kindName) else {
            fail("kind", "not_allowed", "must be one of \(CredentialKind.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        let allowed = Self.kinds(provider: provider, method: method)
        guard allowed.contains(kind) else {
            fail("kind", "not_allowed", "\(provider.name)\(method.map { " with \($0.rawValue)" } ?? "") takes \(allowed.isEmpty ? "no stored credential" : allowed.map(\.rawValue).joined(separator: " or ")), not \(kind.rawValue)")
            return nil
        }
        let known = Set(kind.fields.map(\.name) + ["kind"])
        errors += FieldError.unknownMembers(of: object, allowed: known, under: base) { _ in
            "is not a field of a \(kind.rawValue) credential (\(kind.fields.map(\.name).joined(separator: ", ")))"
        }
        // A placeholder means "keep what is stored": then a field left out keeps its stored value too, so the
        // page can confirm an AWS or Azure credential for a new base URL without typing every field again.
        let keepsStored = kind.fields.contains { f in f.secret && object[f.name]?.stringValue?.hasPrefix(Credential.redactionMark) == true }
        var fields: [String: JSONValue] = [:]
        for field in kind.fields {
            var value = object[field.name]
            if value == .null { value = nil }
            if value == nil, keepsStored, let stored, stored.kind == kind, let kept = stored.fields[field.name] {
                fields[field.name] = kept
                continue
            }
            if field.secret, let s = value?.stringValue, s.hasPrefix(Credential.redactionMark) {
                // The placeholder the API showed: keep what is stored, never store the placeholder itself.
                guard let stored, stored.kind == kind, let kept = stored.fields[field.name] else {
                    fail(field.name, "redacted_placeholder", "is the redacted placeholder of a stored secret, and none is stored here; paste the real value")
                    continue
                }
                value = kept
            }
            guard let value else {
                if field.required { fail(field.name, "required", "is required for a \(kind.rawValue) credential") }
                continue
            }
            if let checked = checkField(kind, field.name, value) { fields[field.name] = checked }
        }
        return errors.isEmpty ? Credential(kind: kind, fields: fields) : nil
    }

    private mutating func checkField(_ kind: CredentialKind, _ name: String, _ value: JSONValue) -> JSONValue? {
        if kind == .serviceAccount && name == "json" { return checkServiceAccount(value) }
        if kind == .oauth && name == "scopes" {
            guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                fail(name, "type", "must be an array of strings"); return nil
            }
            return value
        }
        guard let s = value.stringValue else { fail(name, "type", "must be a string"); return nil }
        let text = s.trimmed
        guard !text.isEmpty else { fail(name, "required", "must not be empty"); return nil }
        guard text.count <= 8192 else { fail(name, "too_long", "must be at most 8192 characters"); return nil }
        switch (kind, name) {
        case (_, "apiKey"), (_, "secretAccessKey"), (_, "sessionToken"), (_, "accessToken"), (_, "refreshToken"):
            guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                fail(name, "invalid_format", "must be one word of printable ASCII (no spaces or line breaks); check for a stray character from copying")
                return nil
            }
        case (.aws, "accessKeyId"):
            guard (16...128).contains(text.count), text.unicodeScalars.allSatisfy({ ($0.value >= 0x41 && $0.value <= 0x5A) || ($0.value >= 0x30 && $0.value <= 0x39) }) else {
                fail(name, "invalid_format", "must be an AWS access key id: 16 to 128 upper-case letters and digits (AKIA…)"); return nil
            }
        case (.aws, "region"):
            guard text.count <= 32, text.unicodeScalars.allSatisfy({ ($0.value >= 0x61 && $0.value <= 0x7A) || ($0.value >= 0x30 && $0.value <= 0x39) || $0 == "-" }), text.contains("-") else {
                fail(name, "invalid_format", "must be an AWS region such as us-east-1"); return nil
            }
        case (.azure, "endpoint"):
            if let problem = urlPolicy.baseURLProblem(text) { fail(name, "invalid_format", problem); return nil }
        case (.azure, "apiVersion"):
            let parts = text.split(separator: "-")
            guard parts.count >= 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
                  parts.prefix(3).allSatisfy({ $0.allSatisfy(\.isNumber) }) else {
                fail(name, "invalid_format", "must be an Azure OpenAI API version such as 2024-10-21 or 2025-04-01-preview"); return nil
            }
        case (.azure, "deployment"):
            guard text.count <= 64, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                fail(name, "invalid_format", "must be a deployment name: letters, digits, - _ . (at most 64)"); return nil
            }
        case (.oauth, "expiresAt"):
            guard (try? Date(text, strategy: .iso8601)) != nil else {
                fail(name, "invalid_format", "must be an ISO 8601 time such as 2026-12-01T10:00:00Z"); return nil
            }
        default:
            break
        }
        return .string(text)
    }

    /// A Google service-account key file: sent as the object or as its text.
    private mutating func checkServiceAccount(_ value: JSONValue) -> JSONValue? {
        var object = value.objectValue
        if let text = value.stringValue {
            guard let parsed = JSONValue.parse(Array(text.utf8)), parsed.objectValue != nil else {
                fail("json", "invalid_format", "is not valid JSON; paste the whole key file as downloaded from Google Cloud")
                return nil
            }
            object = parsed.objectValue
        }
        guard let object else { fail("json", "type", "must be the key file's JSON object (or its text)"); return nil }
        var ok = true
        if object["type"]?.stringValue != "service_account" {
            fail("json/type", "invalid_format", "must be \"service_account\"; this is \(object["type"]?.stringValue.map { "a \"\($0)\" file" } ?? "not a service-account key file")")
            ok = false
        }
        if let email = object["client_email"]?.stringValue, email.contains("@") {} else {
            fail("json/client_email", "required", "is required: the service account's e-mail address")
            ok = false
        }
        if let key = object["private_key"]?.stringValue, key.contains("-----BEGIN PRIVATE KEY-----"), key.contains("-----END PRIVATE KEY-----") {} else {
            fail("json/private_key", "required", "is required: a PEM private key (-----BEGIN PRIVATE KEY-----)")
            ok = false
        }
        return ok ? .object(object) : nil
    }

    package init(errors: [FieldError] = [], base: String, urlPolicy: OutboundPolicy) {
        self.errors = errors
        self.base = base
        self.urlPolicy = urlPolicy
    }
}
