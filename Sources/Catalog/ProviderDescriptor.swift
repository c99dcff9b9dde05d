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
    /// The OAuth client its sign-in uses until the operator stores their own: the provider's public CLI client.
    public var oauthClient: DefaultOAuthClient?

    /// A built-in OAuth client, as the catalog file gives it (`switchboard.oauth_client`). A client id is public
    /// (RFC 6749 §2.2); a client secret never stands here.
    public struct DefaultOAuthClient: Sendable, Equatable {
        public var authorizeURL: String
        public var tokenURL: String
        public var deviceAuthorizationURL: String?
        public var clientID: String
        public var scopes: [String]
        /// `server_callback`, `loopback` or `paste_code`.
        public var redirectMode: String
        /// The authorization server's issuer (RFC 9207 `iss`); nil: the authorize URL's origin.
        public var issuer: String?
        /// The fixed redirect URI of a `loopback` or `paste_code` client.
        public var redirectURI: String?
        /// `provider_cli` (the provider's own CLI client, with its terms) or `operator_app`.
        public var kind: String

        public static let redirectModes = ["server_callback", "loopback", "paste_code"]
        public static let kinds = ["provider_cli", "operator_app"]
    }

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
            claudeCodeSDK: type == "anthropic" || type == "bedrock" || type == "vertexai", featured: nil, oauthClient: nil)
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
        if let client = members["oauth_client"], client != .null {
            descriptor.oauthClient = try oauthClient(client, pointer: pointer + "/oauth_client")
        }
        return descriptor
    }

    private static func oauthClient(_ value: JSONValue, pointer: String) throws(CatwalkFormat.Problem) -> DefaultOAuthClient {
        guard case .object(let o) = value else { throw .init(pointer: pointer, message: "must be an object") }
        func text(_ key: String, required: Bool) throws(CatwalkFormat.Problem) -> String? {
            guard let v = o[key], v != .null else {
                if required { throw .init(pointer: "\(pointer)/\(key)", message: "is required") }
                return nil
            }
            guard let s = v.stringValue, !s.isEmpty else { throw .init(pointer: "\(pointer)/\(key)", message: "must be a non-empty string") }
            return s
        }
        func url(_ key: String, required: Bool) throws(CatwalkFormat.Problem) -> String? {
            guard let s = try text(key, required: required) else { return nil }
            guard let u = URLComponents(string: s), u.scheme == "https" || (key == "redirect_uri" && u.scheme == "http"), u.host?.isEmpty == false else {
                throw .init(pointer: "\(pointer)/\(key)", message: key == "redirect_uri" ? "must be an http or https URL" : "must be an https URL")
            }
            return s
        }
        let mode = try text("redirect_mode", required: true)!
        guard DefaultOAuthClient.redirectModes.contains(mode) else {
            throw .init(pointer: pointer + "/redirect_mode", message: "must be one of \(DefaultOAuthClient.redirectModes.joined(separator: ", "))")
        }
        let kind = try text("kind", required: false) ?? "provider_cli"
        guard DefaultOAuthClient.kinds.contains(kind) else {
            throw .init(pointer: pointer + "/kind", message: "must be one of \(DefaultOAuthClient.kinds.joined(separator: ", "))")
        }
        let scopes = try strings(o, "scopes", pointer) { _, _ throws(CatwalkFormat.Problem) in }
        return DefaultOAuthClient(
            authorizeURL: try url("authorize_url", required: true)!, tokenURL: try url("token_url", required: true)!,
            deviceAuthorizationURL: try url("device_authorization_url", required: false), clientID: try text("client_id", required: true)!,
            scopes: scopes, redirectMode: mode, issuer: try url("issuer", required: false), redirectURI: try url("redirect_uri", required: false),
            kind: kind)
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
