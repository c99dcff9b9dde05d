import Core
import Foundation
import Settings

/// What Switchboard knows about a provider beyond Catwalk's format, read from the `switchboard` block of its
/// catalog file. A file without one (a Catwalk file imported as is) gets its API family's defaults. Nothing about
/// a provider is written anywhere else: adding a provider of a known family is one catalog file.
///
/// ```json
/// "switchboard": {
///   "auth_methods": [{"method": "api_key", "kind": "api_key"}, {"method": "oauth_browser", "kind": "oauth"},
///                    {"method": "cloud_credentials", "status": "phased", "kind": "azure"}, {"method": "pairing"}],
///   "key_prefixes": ["sk-ant-"],
///   "key_variables": ["GEMINI_API_KEY"],
///   "claude_code_sdk": true,
///   "featured": 3
/// }
/// ```
public struct ProviderDescriptor: Sendable, Equatable {
    /// How the provider can be connected, each with the credential kind the vault stores for it.
    public var authMethods: [AuthOption]
    /// What its API keys start with (`sk-ant-`); empty when they have no prefix.
    public var keyPrefixes: [String]
    /// Environment variables its key is also found in before Switchboard, after Catwalk's `api_key` variable.
    public var keyVariables: [String]
    /// The Claude Code SDK can run on it (Anthropic's API, or a provider that serves it).
    public var claudeCodeSDK: Bool
    /// Its place among the providers the page shows first (1 is first); nil for the rest, by name.
    public var featured: Int?

    /// The credential kinds the vault has, by their stored names (`CredentialKind`'s raw values).
    public static let credentialKinds = ["api_key", "aws", "azure", "service_account", "oauth"]

    /// The defaults of an API family, for a file that does not say.
    public static func defaults(type: String) -> ProviderDescriptor {
        let methods: [AuthMethod] = switch type {
        case "ollama": []
        case "bedrock": [.cloudCredentials, .pairing]
        case "vertexai": [.serviceAccount, .pairing]
        default: [.apiKey, .pairing]
        }
        return ProviderDescriptor(
            authMethods: methods.map { AuthOption(method: $0, status: .supported, credentialKind: credentialKind($0, type: type)) },
            keyPrefixes: [], keyVariables: [],
            claudeCodeSDK: type == "anthropic" || type == "bedrock" || type == "vertexai", featured: nil)
    }

    /// The kind a method stores when the file does not name one: what the family's credentials look like.
    static func credentialKind(_ method: AuthMethod, type: String) -> String? {
        switch method {
        case .apiKey: type == "azure" ? "azure" : "api_key"
        case .cloudCredentials: type == "azure" ? "azure" : type == "bedrock" ? "aws" : nil
        case .serviceAccount: "service_account"
        case .oauthBrowser, .oauthDeviceCode: "oauth"
        // Pairing delivers whatever the paired machine obtained with the provider's other methods.
        case .pairing: nil
        }
    }

    /// Reads the block of a provider file (`o`); `type` is its API family, for the defaults.
    static func read(_ o: [String: JSONValue], type: String) throws(CatwalkFormat.Problem) -> ProviderDescriptor {
        var descriptor = defaults(type: type)
        guard let ext = o["switchboard"], ext != .null else { return descriptor }
        let pointer = "/switchboard"
        guard case .object(let members) = ext else { throw .init(pointer: pointer, message: "must be an object") }
        if let list = members["auth_methods"], list != .null {
            descriptor.authMethods = try authMethods(list, type: type, pointer: pointer + "/auth_methods")
        }
        descriptor.keyPrefixes = try strings(members, "key_prefixes", pointer) { prefix, at throws(CatwalkFormat.Problem) in
            guard SecretDetector.isUsablePrefix(prefix) else {
                throw .init(pointer: at, message: "must be 3 to 32 letters, digits, -, _ or ., with a separator or at least four characters")
            }
        }
        descriptor.keyVariables = try strings(members, "key_variables", pointer) { name, at throws(CatwalkFormat.Problem) in
            guard SecretDetector.placeholderName("$" + name) == name else {
                throw .init(pointer: at, message: "must be an environment variable name, as in GEMINI_API_KEY")
            }
        }
        if let sdk = members["claude_code_sdk"], sdk != .null {
            guard let flag = sdk.boolValue else { throw .init(pointer: pointer + "/claude_code_sdk", message: "must be true or false") }
            descriptor.claudeCodeSDK = flag
        }
        if let rank = members["featured"], rank != .null {
            guard let n = rank.intValue, n >= 1 else { throw .init(pointer: pointer + "/featured", message: "must be a whole number, 1 or more") }
            descriptor.featured = n
        }
        return descriptor
    }

    private static func authMethods(_ list: JSONValue, type: String, pointer: String) throws(CatwalkFormat.Problem) -> [AuthOption] {
        guard case .array(let items) = list else { throw .init(pointer: pointer, message: "must be an array of objects") }
        var seen: Set<AuthMethod> = []
        var options: [AuthOption] = []
        for (index, item) in items.enumerated() {
            let at = "\(pointer)/\(index)"
            guard case .object(let o) = item else { throw .init(pointer: at, message: "must be an object") }
            let names = AuthMethod.allCases.map(\.rawValue).joined(separator: ", ")
            guard let method = o["method"]?.stringValue.flatMap(AuthMethod.init(rawValue:)) else {
                throw .init(pointer: at + "/method", message: "must be one of \(names)")
            }
            guard seen.insert(method).inserted else { throw .init(pointer: at + "/method", message: "\(method.rawValue) appears twice") }
            var status = AuthOption.Status.supported
            if let s = o["status"], s != .null {
                guard let read = s.stringValue.flatMap(AuthOption.Status.init(rawValue:)) else {
                    throw .init(pointer: at + "/status", message: "must be supported or phased")
                }
                status = read
            }
            var kind = credentialKind(method, type: type)
            if let c = o["kind"], c != .null {
                guard let name = c.stringValue, credentialKinds.contains(name) else {
                    throw .init(pointer: at + "/kind", message: "must be one of \(credentialKinds.joined(separator: ", "))")
                }
                kind = name
            }
            options.append(AuthOption(method: method, status: status, credentialKind: method == .pairing ? nil : kind))
        }
        return options
    }

    private static func strings(_ o: [String: JSONValue], _ key: String, _ pointer: String,
                                check: (String, String) throws(CatwalkFormat.Problem) -> Void) throws(CatwalkFormat.Problem) -> [String] {
        guard let list = o[key], list != .null else { return [] }
        guard case .array(let items) = list else { throw .init(pointer: "\(pointer)/\(key)", message: "must be an array of strings") }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            let at = "\(pointer)/\(key)/\(index)"
            guard let text = item.stringValue else { throw .init(pointer: at, message: "must be a string") }
            try check(text, at)
            result.append(text)
        }
        return result
    }
}
