import Core
import Foundation
import Settings

/// Reads Charmbracelet Catwalk's provider JSON: the current format (`type` names the wire format, `completions`,
/// `responses` or `messages`; models carry `pricing`, `reasoning`, `capabilities`) and the older one (`type` names
/// the API family; `cost_per_1m_*`, `can_reason`, `reasoning_levels`, `supports_attachments`), which upstream files
/// still mix, even within one file. Every problem is reported with its JSON pointer; fields Catwalk does not
/// define are kept in `raw`, never dropped.
public enum CatwalkFormat {
    /// Catwalk's own provider ids, accepted on import under the canonical ids the settings page uses.
    public static let aliases = ["gemini": "google", "azure": "azureOpenai", "vertexai": "vertex"]

    /// The API family of the providers whose id says it (Catwalk's ids and ours), for files whose `type` only
    /// names the wire format.
    static let familyOfID = [
        "anthropic": "anthropic", "openai": "openai", "gemini": "gemini", "google": "gemini", "azure": "azure",
        "azureOpenai": "azure", "bedrock": "bedrock", "vertexai": "vertexai", "vertex": "vertexai", "openrouter": "openrouter",
    ]

    /// The API family (`openai`, `anthropic`, `gemini`, `azure`, `bedrock`, `vertexai`, `openrouter`, `ollama`):
    /// Catwalk's older files name it in `type`; its current ones name the wire format there (`completions`,
    /// `responses`, `messages`), and the family follows from the id (`gemini` speaks Gemini whatever its `type`),
    /// else from the wire format (`messages` is Anthropic's, the others OpenAI's).
    public static func family(type: String, catwalkID: String) -> String {
        switch type {
        case "completions", "responses", "messages", "openai-compat":
            if let family = familyOfID[catwalkID] ?? (catwalkID.hasPrefix("bedrock-") ? "bedrock" : nil) { return family }
            return type == "messages" ? "anthropic" : "openai"
        default:
            return type
        }
    }

    public struct Problem: Error, Equatable, CustomStringConvertible {
        public var pointer: String
        public var message: String
        public var description: String { "\(pointer.isEmpty ? "/" : pointer): \(message)" }
    }

    public static func decodeProvider(_ bytes: [UInt8], source: CatalogProvider.Source) throws(Problem) -> CatalogProvider {
        guard let value = JSONValue.parse(bytes) else { throw Problem(pointer: "", message: "is not valid JSON") }
        return try provider(value, source: source)
    }

    public static func provider(_ value: JSONValue, source: CatalogProvider.Source) throws(Problem) -> CatalogProvider {
        guard case .object(let o) = value else { throw Problem(pointer: "", message: "a provider must be a JSON object") }
        let rawID = try string(o, "id", "")
        let id = aliases[rawID] ?? rawID
        guard SettingsValidator.isProviderID(id) else {
            throw Problem(pointer: "/id", message: "must start with a lower-case letter and use only letters, digits, - and _ (at most 64)")
        }
        let name = try string(o, "name", "")
        let type = family(type: try string(o, "type", ""), catwalkID: rawID)
        guard case .array(let items)? = o["models"] else { throw Problem(pointer: "/models", message: "is required and must be an array") }
        var models: [CatalogModel] = []
        var seen: Set<String> = []
        for (index, item) in items.enumerated() {
            let m = try model(item, pointer: "/models/\(index)", providerType: type)
            guard seen.insert(m.id).inserted else { throw Problem(pointer: "/models/\(index)/id", message: "\(m.id) appears twice") }
            models.append(m)
        }
        // Upstream ships files whose default names a model the file no longer lists: the file still imports,
        // without that default, and says so.
        var warnings: [CatalogProvider.Warning] = []
        var defaults: [String?] = []
        for (key, size) in [("default_large_model_id", "large"), ("default_small_model_id", "small")] {
            var modelID = try optionalString(o, key, "")
            if let named = modelID, !seen.contains(named) {
                warnings.append(.init(pointer: "/\(key)", code: "default_model_not_in_models",
                                      message: "is not one of the file's models, so \(name) has no default \(size) model"))
                modelID = nil
            }
            defaults.append(modelID)
        }
        let apiKey = try optionalString(o, "api_key", "")
        var endpoint = try optionalString(o, "api_endpoint", "")
        var endpointVariable: String?
        if let text = endpoint, text.contains("$") {
            // A placeholder is never a URL: it is resolved when the catalog is loaded (`Catalog.load`).
            endpoint = nil
            endpointVariable = SecretDetector.placeholderName(text)
            if endpointVariable == nil {
                warnings.append(.init(pointer: "/api_endpoint", code: "endpoint_not_expanded",
                                      message: "holds $-variables inside a URL; Switchboard resolves only a whole-value placeholder such as $OPENAI_API_ENDPOINT, so accounts need a base URL"))
            }
        }
        return CatalogProvider(
            raw: value, id: id, name: name, type: type,
            apiEndpoint: endpoint, apiEndpointVariable: endpointVariable,
            apiKeyVariable: apiKey.flatMap(SecretDetector.placeholderName),
            defaultLargeModelID: defaults[0], defaultSmallModelID: defaults[1], models: models,
            descriptor: try ProviderDescriptor.read(o, type: type), warnings: warnings, source: source)
    }

    /// The key prefixes a provider file declares, read leniently (before the file is checked), so its own keys are
    /// recognised while it is checked for secrets.
    static func declaredKeyPrefixes(_ value: JSONValue) -> [String] {
        (value["switchboard"]?["key_prefixes"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Where a provider file holds a secret. Catalog files are plain JSON under the state directory, and Catwalk's
    /// format names keys only by environment variable (`"api_key": "$OPENAI_API_KEY"`):
    /// - `api_key` must be empty or a `$VAR`, or the provider's own id: Catwalk's Ollama file has
    ///   `"api_key": "ollama"`, the dummy a keyless local server takes;
    /// - a header that carries credentials (`default_headers`, `extra_headers`) may only hold a `$VAR` form
    ///   (`Bearer $TOKEN`);
    /// - anything else secret-named or key-shaped, anywhere in the file, is refused.
    public static func secrets(in value: JSONValue, detector: SecretDetector) -> [Problem] {
        guard case .object(let o) = value else { return [] }
        let credentialAPI = "store the key on an account with \(SecretDetector.credentialAPI)"
        var found: [String: String] = [:]
        if case .string(let key)? = o["api_key"], !SecretDetector.isVariableForm(key), key != o["id"]?.stringValue {
            found["/api_key"] = "must be empty or name an environment variable, as in \"$OPENAI_API_KEY\"; \(credentialAPI)"
        }
        for field in ["default_headers", "extra_headers"] {
            for (name, header) in o[field]?.objectValue ?? [:] where SecretDetector.isCredentialHeader(name) {
                if case .string(let s) = header, SecretDetector.isVariableForm(s) { continue }
                found[JSONPointer.make([field, name])] = "carries credentials: only an environment variable may stand here (\"Bearer $TOKEN\"); \(credentialAPI)"
            }
        }
        var rest = o
        rest["api_key"] = nil
        for pointer in detector.scan(.object(rest), variablesAllowed: true) where found[pointer] == nil {
            found[pointer] = "looks like a secret; \(credentialAPI)"
        }
        return found.keys.sorted().map { Problem(pointer: $0, message: found[$0]!) }
    }

    static func model(_ value: JSONValue, pointer: String, providerType: String) throws(Problem) -> CatalogModel {
        guard case .object(let o) = value else { throw Problem(pointer: pointer, message: "a model must be a JSON object") }
        let id = try string(o, "id", pointer)
        let name = try optionalString(o, "name", pointer) ?? id
        let ext = try optionalObject(o, "switchboard", pointer) ?? [:]
        let declaredMax = try optionalInt(ext, "max_output_tokens", pointer + "/switchboard")
        let defaultMax = try optionalInt(o, "default_max_tokens", pointer)
        // 0 means "not applicable" (an image model has no output-token cap).
        let maxOutput = (declaredMax ?? defaultMax).flatMap { $0 > 0 ? $0 : nil }
        var canReason = try optionalBool(o, "can_reason", pointer) ?? false
        var levels: [String] = []
        var defaultEffort = try optionalString(o, "default_reasoning_effort", pointer)
        if let list = o["reasoning_levels"] {
            guard case .array(let items) = list, items.allSatisfy({ $0.stringValue != nil }) else {
                throw Problem(pointer: pointer + "/reasoning_levels", message: "must be an array of strings")
            }
            levels = items.compactMap(\.stringValue)
        }
        // Catwalk's current format: {"thinking": "always" | "never" | "toggleable", "effort_levels": [{"value", "display"}], …}.
        if let reasoning = try optionalObject(o, "reasoning", pointer) {
            let rp = pointer + "/reasoning"
            if let thinking = try optionalString(reasoning, "thinking", rp) { canReason = thinking != "never" }
            if let list = reasoning["effort_levels"], list != .null {
                guard case .array(let items) = list else { throw Problem(pointer: rp + "/effort_levels", message: "must be an array") }
                levels = []
                for (index, item) in items.enumerated() {
                    guard let level = item["value"]?.stringValue ?? item.stringValue, !level.isEmpty else {
                        throw Problem(pointer: "\(rp)/effort_levels/\(index)/value", message: "is required and must be a non-empty string")
                    }
                    levels.append(level)
                }
            }
            defaultEffort = try optionalString(reasoning, "default_effort_level", rp) ?? defaultEffort
        }
        // Current: {"input", "output", "cache_create", "cache_hit"} per million tokens; older: cost_per_1m_*.
        let pricing = try optionalObject(o, "pricing", pointer)
        func price(_ key: String, or legacy: String) throws(Problem) -> Double? {
            if let pricing, let value = try optionalNumber(pricing, key, pointer + "/pricing") { return value }
            return try optionalNumber(o, legacy, pointer)
        }
        var vision: Bool?
        if let capabilities = try optionalObject(o, "capabilities", pointer) {
            vision = try optionalBool(capabilities, "vision", pointer + "/capabilities")
        }
        let family = providerType.lowercased()
        let reasoningOnly = canReason && family == "openai" && (id.hasPrefix("gpt-5") || id.hasPrefix("o1") || id.hasPrefix("o3") || id.hasPrefix("o4"))
        let extPointer = pointer + "/switchboard"
        let temperature = try optionalBool(ext, "supports_temperature", extPointer)
        let topP = try optionalBool(ext, "supports_top_p", extPointer)
        let legacyAttachments = try optionalBool(o, "supports_attachments", pointer)
        let attachments = vision ?? legacyAttachments
        let imageOutput = try optionalBool(ext, "supports_image_output", extPointer)
        let field = try optionalString(ext, "max_tokens_field", extPointer)
        let geminiAPI = family == "gemini" || (family == "vertexai" && id.hasPrefix("gemini"))
        let capabilities = ModelCapabilities(
            temperature: temperature ?? !reasoningOnly,
            topP: topP ?? !reasoningOnly,
            reasoningEffort: levels,
            attachments: attachments ?? false,
            imageOutput: imageOutput ?? false,
            maxOutputTokens: maxOutput,
            maxTokensField: field ?? (geminiAPI ? "maxOutputTokens" : reasoningOnly ? "max_completion_tokens" : "max_tokens"))
        return CatalogModel(
            raw: value, id: id, name: name,
            contextWindow: try optionalInt(o, "context_window", pointer).flatMap { $0 > 0 ? $0 : nil },
            costPer1MIn: try price("input", or: "cost_per_1m_in"),
            costPer1MOut: try price("output", or: "cost_per_1m_out"),
            costPer1MInCached: try price("cache_create", or: "cost_per_1m_in_cached"),
            costPer1MOutCached: try price("cache_hit", or: "cost_per_1m_out_cached"),
            canReason: canReason,
            defaultReasoningEffort: defaultEffort,
            capabilities: capabilities)
    }

    // MARK: Field readers

    private static func string(_ o: [String: JSONValue], _ key: String, _ pointer: String) throws(Problem) -> String {
        guard let s = o[key]?.stringValue, !s.isEmpty else { throw Problem(pointer: "\(pointer)/\(key)", message: "is required and must be a non-empty string") }
        return s
    }

    private static func optionalString(_ o: [String: JSONValue], _ key: String, _ pointer: String) throws(Problem) -> String? {
        guard let v = o[key], v != .null else { return nil }
        guard let s = v.stringValue else { throw Problem(pointer: "\(pointer)/\(key)", message: "must be a string") }
        return s.isEmpty ? nil : s
    }

    private static func optionalObject(_ o: [String: JSONValue], _ key: String, _ pointer: String) throws(Problem) -> [String: JSONValue]? {
        guard let v = o[key], v != .null else { return nil }
        guard case .object(let members) = v else { throw Problem(pointer: "\(pointer)/\(key)", message: "must be an object") }
        return members
    }

    private static func optionalInt(_ o: [String: JSONValue], _ key: String, _ pointer: String) throws(Problem) -> Int? {
        guard let v = o[key], v != .null else { return nil }
        guard let n = v.intValue, n >= 0 else { throw Problem(pointer: "\(pointer)/\(key)", message: "must be a whole number, 0 or more") }
        return n
    }

    private static func optionalNumber(_ o: [String: JSONValue], _ key: String, _ pointer: String) throws(Problem) -> Double? {
        guard let v = o[key], v != .null else { return nil }
        guard let n = v.numberValue, n >= 0 else { throw Problem(pointer: "\(pointer)/\(key)", message: "must be a number, 0 or more") }
        return n
    }

    private static func optionalBool(_ o: [String: JSONValue], _ key: String, _ pointer: String) throws(Problem) -> Bool? {
        guard let v = o[key], v != .null else { return nil }
        guard let b = v.boolValue else { throw Problem(pointer: "\(pointer)/\(key)", message: "must be true or false") }
        return b
    }
}
