import Foundation

/// Reads Charmbracelet Catwalk's provider JSON (v2). Every problem is reported with its JSON pointer;
/// fields Catwalk does not define are kept in `raw`, never dropped.
public enum CatwalkFormat {
    /// Catwalk's own provider ids, accepted on import under the canonical ids the settings page uses.
    public static let aliases = ["gemini": "google", "azure": "azureOpenai", "vertexai": "vertex"]

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
        let type = try string(o, "type", "")
        guard case .array(let items)? = o["models"] else { throw Problem(pointer: "/models", message: "is required and must be an array") }
        var models: [CatalogModel] = []
        var seen: Set<String> = []
        for (index, item) in items.enumerated() {
            let m = try model(item, pointer: "/models/\(index)", providerType: type)
            guard seen.insert(m.id).inserted else { throw Problem(pointer: "/models/\(index)/id", message: "\(m.id) appears twice") }
            models.append(m)
        }
        let large = try optionalString(o, "default_large_model_id", "")
        let small = try optionalString(o, "default_small_model_id", "")
        for (key, modelID) in [("default_large_model_id", large), ("default_small_model_id", small)] {
            if let modelID, !seen.contains(modelID) {
                throw Problem(pointer: "/\(key)", message: "names \(modelID), which is not in models")
            }
        }
        let apiKey = try optionalString(o, "api_key", "")
        return CatalogProvider(
            raw: value, id: id, name: name, type: type,
            apiEndpoint: try optionalString(o, "api_endpoint", ""),
            apiKeyVariable: apiKey.flatMap { $0.hasPrefix("$") ? String($0.dropFirst()) : nil },
            defaultLargeModelID: large, defaultSmallModelID: small, models: models,
            authMethods: authMethods(id: id, type: type), source: source)
    }

    static func model(_ value: JSONValue, pointer: String, providerType: String) throws(Problem) -> CatalogModel {
        guard case .object(let o) = value else { throw Problem(pointer: pointer, message: "a model must be a JSON object") }
        let id = try string(o, "id", pointer)
        let name = try optionalString(o, "name", pointer) ?? id
        let ext = o["switchboard"]?.objectValue ?? [:]
        let declaredMax = try optionalInt(ext, "max_output_tokens", pointer + "/switchboard")
        let defaultMax = try optionalInt(o, "default_max_tokens", pointer)
        // 0 means "not applicable" (an image model has no output-token cap).
        let maxOutput = (declaredMax ?? defaultMax).flatMap { $0 > 0 ? $0 : nil }
        let canReason = try optionalBool(o, "can_reason", pointer) ?? false
        var levels: [String] = []
        if let list = o["reasoning_levels"] {
            guard case .array(let items) = list, items.allSatisfy({ $0.stringValue != nil }) else {
                throw Problem(pointer: pointer + "/reasoning_levels", message: "must be an array of strings")
            }
            levels = items.compactMap(\.stringValue)
        }
        let family = providerType.lowercased()
        let reasoningOnly = canReason && family == "openai" && (id.hasPrefix("gpt-5") || id.hasPrefix("o1") || id.hasPrefix("o3") || id.hasPrefix("o4"))
        let extPointer = pointer + "/switchboard"
        let temperature = try optionalBool(ext, "supports_temperature", extPointer)
        let topP = try optionalBool(ext, "supports_top_p", extPointer)
        let attachments = try optionalBool(o, "supports_attachments", pointer)
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
            costPer1MIn: try optionalNumber(o, "cost_per_1m_in", pointer),
            costPer1MOut: try optionalNumber(o, "cost_per_1m_out", pointer),
            costPer1MInCached: try optionalNumber(o, "cost_per_1m_in_cached", pointer),
            costPer1MOutCached: try optionalNumber(o, "cost_per_1m_out_cached", pointer),
            canReason: canReason,
            defaultReasoningEffort: try optionalString(o, "default_reasoning_effort", pointer),
            capabilities: capabilities)
    }

    /// The ways each provider can be connected (the settings design's MVP matrix); others by API family.
    /// Device code is offered where OAuth is; whether it works depends on the provider's OAuth client having a
    /// device endpoint (the start answer's `deviceCode` says so, and `…/device` answers 409 otherwise).
    static func authMethods(id: String, type: String) -> [AuthOption] {
        func s(_ m: AuthMethod) -> AuthOption { AuthOption(method: m, status: .supported) }
        func p(_ m: AuthMethod) -> AuthOption { AuthOption(method: m, status: .phased) }
        switch id {
        case "openai", "anthropic", "google": return [s(.apiKey), s(.oauthBrowser), s(.oauthDeviceCode), s(.pairing)]
        case "openrouter", "zai": return [s(.apiKey), s(.pairing)]
        case "azureOpenai": return [s(.apiKey), p(.cloudCredentials), s(.pairing)]
        case "bedrock": return [s(.cloudCredentials), s(.pairing)]
        case "vertex": return [s(.serviceAccount), p(.cloudCredentials), s(.oauthBrowser), s(.oauthDeviceCode), s(.pairing)]
        default:
            switch type {
            case "ollama": return []
            case "bedrock": return [s(.cloudCredentials), s(.pairing)]
            case "vertexai": return [s(.serviceAccount), s(.pairing)]
            default: return [s(.apiKey), s(.pairing)]
            }
        }
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
