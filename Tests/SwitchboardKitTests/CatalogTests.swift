@testable import Catalog
import Foundation
import TestSupport
import Testing

let catwalkSample = #"""
{
  "id": "gemini", "name": "Gemini", "type": "gemini", "api_key": "$GEMINI_API_KEY",
  "api_endpoint": "https://generativelanguage.googleapis.com",
  "default_large_model_id": "big", "default_small_model_id": "small",
  "future_field": {"kept": true},
  "models": [
    {"id": "big", "name": "Big", "cost_per_1m_in": 1.25, "cost_per_1m_out": 10, "cost_per_1m_in_cached": 0,
     "cost_per_1m_out_cached": 0.31, "context_window": 1048576, "default_max_tokens": 65536, "can_reason": true,
     "reasoning_levels": ["low", "high"], "default_reasoning_effort": "low", "supports_attachments": true,
     "options": {"x": 1}},
    {"id": "small", "name": "Small", "cost_per_1m_in": 0.1, "cost_per_1m_out": 0.4, "context_window": 1048576,
     "default_max_tokens": 8192, "can_reason": false, "supports_attachments": false,
     "switchboard": {"max_output_tokens": 65536, "supports_image_output": true, "supports_top_p": false}}
  ]
}
"""#

func temporaryDirectory() throws -> URL {
    let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("catalog-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

// MARK: Tests

@Suite struct CatwalkFormatTests {
    @Test func readsCatwalksFormatUnderTheCanonicalIdAndKeepsUnknownFields() throws {
        let p = try CatwalkFormat.decodeProvider(Array(catwalkSample.utf8), source: .custom)
        #expect(p.id == "google", "Catwalk's gemini is imported as google")
        #expect(p.apiKeyVariable == "GEMINI_API_KEY")
        #expect(p.raw["future_field"] == json(#"{"kept":true}"#))
        #expect(p.models.count == 2)
        let big = try #require(p.model("big"))
        #expect(big.raw["options"] == json(#"{"x":1}"#))
        #expect(big.capabilities == ModelCapabilities(temperature: true, topP: true, reasoningEffort: ["low", "high"], attachments: true,
                                                      imageOutput: false, maxOutputTokens: 65536, maxTokensField: "maxOutputTokens"))
        let small = try #require(p.model("small"))
        #expect(small.capabilities.maxOutputTokens == 65536, "our extension field wins over default_max_tokens")
        #expect(small.capabilities.imageOutput && !small.capabilities.topP)
    }

    @Test(arguments: [
        (#"{"id":"x","name":"X","type":"openai"}"#, "/models"),
        (#"{"name":"X","type":"openai","models":[]}"#, "/id"),
        (#"{"id":"X Y","name":"X","type":"openai","models":[]}"#, "/id"),
        (#"{"id":"x","name":"X","type":"openai","models":[{"name":"nameless"}]}"#, "/models/0/id"),
        (#"{"id":"x","name":"X","type":"openai","models":[{"id":"a","context_window":"big"}]}"#, "/models/0/context_window"),
        (#"{"id":"x","name":"X","type":"openai","models":[{"id":"a"},{"id":"a"}]}"#, "/models/1/id"),
        (#"{"id":"x","name":"X","type":"openai","models":[{"id":"a","switchboard":[null]}]}"#, "/models/0/switchboard"),
        ("{not json", ""),
    ])
    func aBrokenProviderIsReportedWithThePointer(text: String, pointer: String) {
        #expect(throws: CatwalkFormat.Problem.self) { try CatwalkFormat.decodeProvider(Array(text.utf8), source: .custom) }
        do {
            _ = try CatwalkFormat.decodeProvider(Array(text.utf8), source: .custom)
        } catch {
            #expect(error.pointer == pointer)
        }
    }

    @Test func reasoningOnlyOpenAIModelsTakeNoTemperature() throws {
        let text = #"{"id":"openai","name":"OpenAI","type":"openai","models":[{"id":"gpt-5","can_reason":true,"default_max_tokens":128000},{"id":"gpt-4o","default_max_tokens":16384}]}"#
        let p = try CatwalkFormat.decodeProvider(Array(text.utf8), source: .shipped)
        #expect(p.model("gpt-5")?.capabilities.temperature == false)
        #expect(p.model("gpt-5")?.capabilities.maxTokensField == "max_completion_tokens")
        #expect(p.model("gpt-4o")?.capabilities.temperature == true)
    }
}

@Suite struct CatalogTests {
    @Test func customProvidersOverrideShippedOnesAndCorruptFilesAreReportedAndLeftAlone() throws {
        let shipped = try temporaryDirectory()
        let custom = try temporaryDirectory()
        try Data(catwalkSample.utf8).write(to: shipped.appendingPathComponent("google.json"))
        let override = #"{"id":"google","name":"My Gemini proxy","type":"openai","models":[{"id":"only"}]}"#
        try Data(override.utf8).write(to: custom.appendingPathComponent("google.json"))
        let corrupt = Data(#"{"id":"broken","name":"B","type":"openai","models":[{"id":1}]}"#.utf8)
        try corrupt.write(to: custom.appendingPathComponent("broken.json"))

        let catalog = Catalog.load(shipped: shipped, custom: custom)
        #expect(catalog.entry("google")?.name == "My Gemini proxy")
        #expect(catalog.entry("google")?.source == .custom)
        #expect(catalog.entry("gemini")?.id == "google", "Catwalk's id finds the canonical entry")
        #expect(catalog.problems == [Catalog.FileProblem(file: custom.appendingPathComponent("broken.json").path,
                                                         pointer: "/models/0/id", message: "is required and must be a non-empty string")])
        #expect(try Data(contentsOf: custom.appendingPathComponent("broken.json")) == corrupt, "a corrupt file is never rewritten")
    }

    @Test func theCatalogAnswersTheSettingsDocumentsQuestions() throws {
        let shipped = try temporaryDirectory()
        try Data(catwalkSample.utf8).write(to: shipped.appendingPathComponent("google.json"))
        let catalog = Catalog.load(shipped: shipped, custom: nil)
        #expect(catalog.model(provider: "google", id: "big")?.maxOutputTokens == 65536)
        #expect(catalog.model(provider: "google", id: "small")?.supportsImageOutput == true)
        #expect(catalog.model(provider: "google", id: "nope") == nil)
        #expect(catalog.provider("google")?.runsClaudeCodeSDK == false)
    }

    @Test func theShippedCatalogCoversTheMVPProvidersAndMore() throws {
        let catalog = Catalog.load(shipped: Catalog.shippedDirectory, custom: nil)
        #expect(catalog.problems.isEmpty, "\(catalog.problems)")
        let ids = Set(catalog.providers.map(\.id))
        let mvp: Set = ["openai", "anthropic", "google", "openrouter", "zai", "azureOpenai", "bedrock", "vertex"]
        #expect(mvp.isSubset(of: ids), "missing: \(mvp.subtracting(ids))")
        #expect(ids.subtracting(mvp).count >= 3, "at least three providers beyond the MVP")
        for provider in catalog.providers {
            #expect(!provider.models.isEmpty, "\(provider.id) has no models")
            for model in provider.models {
                #expect(model.capabilities.maxOutputTokens != nil || model.capabilities.imageOutput, "\(provider.id)/\(model.id) has no max output")
                #expect(model.contextWindow != nil || model.capabilities.imageOutput, "\(provider.id)/\(model.id) has no context window")
            }
        }
        // Facts the settings document depends on.
        #expect(catalog.model(provider: "anthropic", id: "claude-3-5-haiku-20241022")?.maxOutputTokens == 8192)
        #expect(catalog.model(provider: "openai", id: "gpt-5")?.supportsTemperature == false)
        #expect(catalog.model(provider: "openai", id: "gpt-image-1")?.supportsImageOutput == true)
        #expect(catalog.provider("bedrock")?.runsClaudeCodeSDK == true)
    }

    @Test func authMethodsFollowTheDesignMatrix() throws {
        let catalog = Catalog.load(shipped: Catalog.shippedDirectory, custom: nil)
        func methods(_ id: String) -> [String] {
            (catalog.entry(id)?.authMethods ?? []).map { "\($0.method.rawValue)\($0.status == .phased ? "?" : "")" }
        }
        for id in ["openai", "anthropic", "google"] {
            #expect(methods(id) == ["api_key", "oauth_browser", "oauth_device_code", "pairing"])
        }
        #expect(methods("openrouter") == ["api_key", "pairing"])
        #expect(methods("zai") == ["api_key", "pairing"])
        #expect(methods("azureOpenai") == ["api_key", "cloud_credentials?", "pairing"])
        #expect(methods("bedrock") == ["cloud_credentials", "pairing"])
        #expect(methods("vertex") == ["service_account", "cloud_credentials?", "oauth_browser", "oauth_device_code", "pairing"])
    }

    /// A provider's built-in OAuth client is in its catalog entry too; its public client id is not taken for a
    /// secret, but an API key put there, or a client secret, is refused.
    @Test func theDefaultOAuthClientIsInTheCatalogEntry() async throws {
        let catalog = Catalog.load(shipped: Catalog.shippedDirectory, custom: nil)
        let openai = try #require(catalog.entry("openai")?.descriptor.oauthClient)
        #expect(openai.clientID == "app_EMoamEEZ73f0CkXaXp7hrann" && openai.redirectMode == "loopback" && openai.kind == "provider_cli")
        #expect(openai.redirectURI == "http://localhost:1455/auth/callback" && openai.issuer == "https://auth.openai.com")
        #expect(catalog.entry("anthropic")?.descriptor.oauthClient?.redirectMode == "paste_code")
        #expect(catalog.entry("google")?.descriptor.oauthClient?.deviceAuthorizationURL == "https://oauth2.googleapis.com/device/code")
        #expect(catalog.entry("vertex")?.descriptor.oauthClient?.scopes == ["https://www.googleapis.com/auth/cloud-platform"])
        #expect(catalog.entry("xai")?.descriptor.oauthClient == nil)

        let t = try TestApp()
        func file(_ client: String) -> String {
            #"{"id":"acme","name":"Acme","type":"openai","api_endpoint":"https://api.acme.test/v1","models":[{"id":"m","name":"M"}],"switchboard":{"auth_methods":[{"method":"api_key"},{"method":"oauth_browser"}],"oauth_client":\#(client)}}"#
        }
        let good = #"{"authorize_url":"https://auth.acme.test/authorize","token_url":"https://auth.acme.test/token","client_id":"0oa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5","scopes":["openid"],"redirect_mode":"server_callback","kind":"operator_app"}"#
        let stored = await t.putCustomProvider("acme", file(good))
        #expect(stored.status == .ok, "\(stored.text)")
        let clients = await t.bearer(.get, "/api/oauth/clients").json["clients"] as? [[String: Any]] ?? []
        let acme = try #require(clients.first { $0["provider"] as? String == "acme" }, "\(clients)")
        #expect(acme["clientId"] as? String == "0oa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5")
        for (client, pointer) in [(good.replacingOccurrences(of: "0oa1b2c3d4e5f6g7h8i9j0k1l2m3n4o5", with: "sk-CANARYSECRET-proj-abcdefghijklmnopqrst0123"), "/switchboard/oauth_client/client_id"),
                                  (good.replacingOccurrences(of: #""kind""#, with: #""client_secret":"Zx9-CANARYSECRET-q8Lm2Vb7Nc4Xd1Rt6","kind""#), "/switchboard/oauth_client/client_secret"),
                                  (good.replacingOccurrences(of: "server_callback", with: "carrier_pigeon"), "/switchboard/oauth_client/redirect_mode"),
                                  (good.replacingOccurrences(of: "https://auth.acme.test/token", with: "http://auth.acme.test/token"), "/switchboard/oauth_client/token_url")] {
            let refused = await t.putCustomProvider("acme", file(client))
            #expect(refused.status == .unprocessableContent, "\(client): \(refused.text)")
            #expect(refused.errors.contains { $0["pointer"] == pointer }, "\(client): \(refused.text)")
        }
    }

    /// The catalog entry is the one place a provider is described: the credential kind each way stores, the
    /// variables its key is imported from, the Claude Code SDK, its place on the page.
    @Test func theCatalogEntryDescribesTheProvider() async throws {
        let t = try TestApp()
        let providers = try #require(await t.bearer(.get, "/api/catalog").json["providers"] as? [[String: Any]])
        func entry(_ id: String) -> [String: Any] { providers.first { $0["id"] as? String == id } ?? [:] }
        func kinds(_ id: String) -> [String] {
            (entry(id)["authMethods"] as? [[String: Any]] ?? []).map { "\($0["method"]!):\($0["credentialKind"] as? String ?? "-")" }
        }
        #expect(kinds("azureOpenai") == ["api_key:azure", "cloud_credentials:azure", "pairing:-"])
        #expect(kinds("bedrock") == ["cloud_credentials:aws", "pairing:-"])
        #expect(kinds("openai") == ["api_key:api_key", "oauth_browser:oauth", "oauth_device_code:oauth", "pairing:-"])
        #expect(kinds("xai") == ["api_key:api_key", "pairing:-"], "a file without auth_methods gets its family's")
        let featured = ["anthropic", "openai", "google", "openrouter", "zai", "azureOpenai", "bedrock", "vertex"].map { entry($0)["featured"] as? Int }
        #expect(featured == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(entry("xai")["featured"] == nil)
        let catalog = Catalog.load(shipped: Catalog.shippedDirectory, custom: nil)
        #expect(catalog.provider("zai")?.runsClaudeCodeSDK == true)
        #expect(catalog.provider("xai")?.runsClaudeCodeSDK == false)
        #expect(catalog.entry("google")?.descriptor.keyVariables == ["GEMINI_API_KEY", "GOOGLE_API_KEY"])

        // A custom file says the same in its own block, and a wrong one is refused where it is wrong.
        func file(_ block: String) -> String {
            #"{"id":"acme","name":"Acme","type":"openai","api_endpoint":"https://api.acme.test/v1","models":[{"id":"m","name":"M"}],"switchboard":\#(block)}"#
        }
        let custom = file(#"{"auth_methods":[{"method":"api_key","kind":"api_key"},{"method":"oauth_device_code","status":"phased","kind":"oauth"}],"claude_code_sdk":true,"featured":9}"#)
        #expect(await t.putCustomProvider("acme", custom).status == .ok)
        let acme = try #require((await t.bearer(.get, "/api/catalog").json["providers"] as? [[String: Any]])?.first { $0["id"] as? String == "acme" })
        #expect((acme["authMethods"] as? [[String: Any]])?.map { "\($0["method"]!)/\($0["status"]!)/\($0["credentialKind"]!)" }
                == ["api_key/supported/api_key", "oauth_device_code/phased/oauth"])
        #expect(acme["featured"] as? Int == 9)
        for (block, pointer) in [(#"{"auth_methods":[{"method":"telepathy"}]}"#, "/switchboard/auth_methods/0/method"),
                                 (#"{"auth_methods":[{"method":"api_key","kind":"ssh"}]}"#, "/switchboard/auth_methods/0/kind"),
                                 (#"{"auth_methods":[{"method":"api_key"},{"method":"api_key"}]}"#, "/switchboard/auth_methods/1/method"),
                                 (#"{"key_variables":["not a name"]}"#, "/switchboard/key_variables/0"),
                                 (#"{"featured":0}"#, "/switchboard/featured")] {
            let refused = await t.putCustomProvider("acme", file(block))
            #expect(refused.status == .unprocessableContent, "\(block): \(refused.text)")
            #expect(refused.errors.first?["pointer"] == pointer, "\(block): \(refused.text)")
        }
    }
}

/// Catwalk's own provider files (upstream's current format, `Tests/fixtures/catwalk`) import as they are.
@Suite struct CatwalkUpstreamFilesTests {
    static let files = ["anthropic", "openai", "gemini", "azure", "bedrock", "vertexai", "openrouter", "copilot", "ollama"]

    func providerEntry(_ t: TestApp, _ id: String) async -> [String: Any]? {
        (await t.bearer(.get, "/api/catalog").json["providers"] as? [[String: Any]])?.first { $0["id"] as? String == id }
    }

    @Test(arguments: files)
    func everyUpstreamProviderFileImports(name: String) async throws {
        let t = try TestApp()
        let text = try catwalkFixture(name)
        let response = await t.putCustomProvider(name, text)
        #expect(response.status == .ok, "\(name): \(response.text)")
        let models = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["models"] as? [Any]
        #expect(response.json["modelCount"] as? Int == models?.count)
        let endpoint = response.json["apiEndpoint"] as? String
        #expect(endpoint == nil || endpoint?.hasPrefix("https://") == true, "\(name): \(endpoint ?? "")")
    }

    @Test func aPlaceholderEndpointFallsBackToTheProvidersKnownDefaultAndTheFamilyFollowsTheID() async throws {
        let t = try TestApp()
        let anthropic = await t.putCustomProvider("anthropic", try catwalkFixture("anthropic"))
        #expect(anthropic.status == .ok, "\(anthropic.text)")
        #expect(anthropic.json["apiEndpoint"] as? String == "https://api.anthropic.com")
        #expect(anthropic.json["type"] as? String == "anthropic", "Catwalk's type messages names the wire format; the id names the family")
        let gemini = await t.putCustomProvider("gemini", try catwalkFixture("gemini"))
        #expect(gemini.json["id"] as? String == "google")
        #expect(gemini.json["apiEndpoint"] as? String == "https://generativelanguage.googleapis.com")
        #expect(gemini.json["type"] as? String == "gemini")
        let detail = await t.bearer(.get, "/api/catalog/anthropic")
        let provider = detail.json["provider"] as? [String: Any]
        #expect(provider?["source"] as? String == "custom")
        #expect(provider?["apiEndpoint"] as? String == "https://api.anthropic.com")
    }

    @Test func catwalksCurrentModelFieldsAreRead() async throws {
        let t = try TestApp()
        _ = await t.putCustomProvider("anthropic", try catwalkFixture("anthropic"))
        _ = await t.putCustomProvider("gemini", try catwalkFixture("gemini"))
        _ = await t.putCustomProvider("openai", try catwalkFixture("openai"))
        func model(_ provider: String, _ id: String) async -> [String: Any]? {
            (await t.bearer(.get, "/api/catalog/\(provider)").json["models"] as? [[String: Any]])?.first { $0["id"] as? String == id }
        }
        let opus = await model("anthropic", "claude-opus-4-6")
        #expect(opus?["costPer1MIn"] as? Double == 5 && opus?["costPer1MOut"] as? Double == 25)
        #expect(opus?["costPer1MInCached"] as? Double == 6.25 && opus?["costPer1MOutCached"] as? Double == 0.5)
        #expect(opus?["canReason"] as? Bool == true)
        #expect(opus?["defaultReasoningEffort"] as? String == "high")
        let capabilities = opus?["capabilities"] as? [String: Any]
        #expect(capabilities?["reasoningEffort"] as? [String] == ["low", "medium", "high", "max"])
        #expect(capabilities?["attachments"] as? Bool == true)
        #expect(capabilities?["maxOutputTokens"] as? Int == 128000)
        let price = await providerEntry(t, "anthropic")?["pricePer1M"] as? [String: Double]
        #expect(price == ["inputMin": 1, "inputMax": 5, "outputMin": 5, "outputMax": 25])

        let flash = await model("google", "gemini-3-flash-preview")
        #expect((flash?["capabilities"] as? [String: Any])?["maxTokensField"] as? String == "maxOutputTokens")
        let gpt4o = await model("openai", "gpt-4o")
        #expect(gpt4o?["canReason"] as? Bool == false, "thinking: never")
        #expect((gpt4o?["capabilities"] as? [String: Any])?["temperature"] as? Bool == true)
        let gpt54 = await model("openai", "gpt-5.4")
        #expect((gpt54?["capabilities"] as? [String: Any])?["temperature"] as? Bool == false, "a reasoning-only OpenAI model")
        #expect(await model("openai", "gpt-4.1")?["costPer1MOut"] as? Double == 8, "older fields in the same file still read")
    }

    @Test func noCatalogViewShowsAPlaceholderAsAURL() async throws {
        let t = try TestApp()
        for name in Self.files { _ = await t.putCustomProvider(name, try catwalkFixture(name)) }
        let providers = await t.bearer(.get, "/api/catalog").json["providers"] as? [[String: Any]] ?? []
        #expect(providers.count >= 12)
        for provider in providers {
            let id = provider["id"] as? String ?? ""
            if let endpoint = provider["apiEndpoint"] as? String {
                #expect(endpoint.hasPrefix("https://"), "\(id): \(endpoint)")
            }
            let detail = (await t.bearer(.get, "/api/catalog/\(id)").json["provider"] as? [String: Any])?["apiEndpoint"] as? String
            #expect(detail == nil || detail?.hasPrefix("https://") == true, "\(id): \(detail ?? "")")
        }
    }

    @Test func anAccountOfAnImportedProviderIsAimedAtTheResolvedEndpoint() async throws {
        let t = try TestApp()
        _ = await t.putCustomProvider("anthropic", try catwalkFixture("anthropic"))
        let account = try await t.createAccount(#"{"provider":"anthropic","credential":{"kind":"api_key","apiKey":"\#(FakeKeys.anthropic)"}}"#)
        #expect((account["credential"] as? [String: Any])?["origin"] as? String == "https://api.anthropic.com")
    }

    @Test func aDefaultModelMissingFromModelsImportsWithAWarning() async throws {
        let t = try TestApp()
        let put = await t.putCustomProvider("copilot", try catwalkFixture("copilot"))
        #expect(put.status == .ok, "\(put.text)")
        #expect(put.json["defaultLargeModelId"] == nil, "no model of the file is the default")
        #expect(put.json["defaultSmallModelId"] as? String == "claude-haiku-4.5")
        let warnings = put.json["warnings"] as? [[String: String]]
        #expect(warnings?.compactMap { $0["pointer"] } == ["/default_large_model_id"])
        #expect(warnings?.first?["code"] == "default_model_not_in_models")
        let listed = await providerEntry(t, "copilot")?["warnings"] as? [[String: String]]
        #expect(listed == warnings)
    }
}

/// `$VAR` endpoints resolve once, when the catalog is loaded: the environment, else the shipped entry's endpoint,
/// else none. A placeholder is never the endpoint, and the environment is never read through it for anything else.
@Suite struct CatalogEndpointTests {
    func load(_ files: [String: String], environment: [String: String]) throws -> Catalog {
        let custom = try temporaryDirectory()
        for (name, text) in files { try Data(text.utf8).write(to: custom.appendingPathComponent("\(name).json")) }
        let catalog = Catalog.load(shipped: Catalog.shippedDirectory, custom: custom, environment: environment)
        #expect(catalog.problems == [])
        return catalog
    }

    func lab(_ endpoint: String) -> String {
        #"{"id":"lab","name":"Lab","type":"openai","api_endpoint":"\#(endpoint)","models":[{"id":"m"}]}"#
    }

    @Test func aPlaceholderResolvesFromTheEnvironmentElseTheShippedEndpointElseNone() throws {
        let files = ["anthropic": try catwalkFixture("anthropic"), "ollama": try catwalkFixture("ollama")]
        let set = try load(files, environment: ["ANTHROPIC_API_ENDPOINT": "https://gateway.example/anthropic",
                                                "OLLAMA_API_ENDPOINT": "http://127.0.0.1:11434/v1"])
        #expect(set.entry("anthropic")?.apiEndpoint == "https://gateway.example/anthropic")
        #expect(set.entry("anthropic")?.apiEndpointVariable == "ANTHROPIC_API_ENDPOINT")
        #expect(set.entry("ollama")?.apiEndpoint == "http://127.0.0.1:11434/v1")
        #expect(set.providers.allSatisfy { $0.warnings.isEmpty }, "\(set.providers.map(\.warnings))")

        let unset = try load(files, environment: [:])
        #expect(unset.entry("anthropic")?.apiEndpoint == "https://api.anthropic.com", "the shipped entry's endpoint")
        #expect(unset.entry("anthropic")?.warnings == [])
        #expect(unset.entry("ollama")?.apiEndpoint == nil)
        #expect(unset.entry("ollama")?.warnings.map(\.code) == ["endpoint_variable_unset"])
    }

    @Test func onlyEndpointVariablesHoldingPlainURLsAreRead() throws {
        let environment = ["AWS_SECRET_ACCESS_KEY": FakeKeys.awsSecret, "LAB_ENDPOINT": "https://user:pw@lab.example/v1",
                           "LAB_BASE_URL": "https://lab.example/v1?key=CANARYSECRET", "GOOD_ENDPOINT": "https://lab.example/v1"]
        for (variable, expected) in [("AWS_SECRET_ACCESS_KEY", nil), ("LAB_ENDPOINT", nil), ("LAB_BASE_URL", nil), ("GOOD_ENDPOINT", "https://lab.example/v1")] {
            let provider = try #require(try load(["lab": lab("$\(variable)")], environment: environment).entry("lab"))
            #expect(provider.apiEndpoint == expected, "\(variable)")
            #expect(provider.warnings.map(\.code) == (expected == nil ? ["endpoint_variable_unusable"] : []), "\(variable)")
            #expect(!provider.warnings.contains { $0.message.contains("CANARY") || $0.message.contains("pw@") }, "a refused value is never shown")
        }
        let inside = try #require(try load(["lab": lab("https://${RESOURCE}.openai.azure.com")], environment: ["RESOURCE": "x"]).entry("lab"))
        #expect(inside.apiEndpoint == nil)
        #expect(inside.warnings.map(\.code) == ["endpoint_not_expanded"])
    }

    @Test func theShippedAzureEntryTakesItsEndpointFromTheEnvironmentOrHasNone() throws {
        let unset = try load([:], environment: [:])
        #expect(unset.entry("azureOpenai")?.apiEndpoint == nil)
        #expect(unset.entry("azureOpenai")?.apiEndpointVariable == "AZURE_OPENAI_ENDPOINT")
        #expect(unset.entry("azureOpenai")?.warnings == [], "Azure's endpoint comes with each credential")
        let set = try load([:], environment: ["AZURE_OPENAI_ENDPOINT": "https://research.openai.azure.com"])
        #expect(set.entry("azureOpenai")?.apiEndpoint == "https://research.openai.azure.com")
        #expect(set.providers.allSatisfy { $0.apiEndpoint.map { !$0.contains("$") } ?? true })
    }

    @Test func theFamilyFollowsTheIDForCatwalksWireFormatTypes() {
        #expect(CatwalkFormat.family(type: "messages", catwalkID: "anthropic") == "anthropic")
        #expect(CatwalkFormat.family(type: "completions", catwalkID: "gemini") == "gemini")
        #expect(CatwalkFormat.family(type: "completions", catwalkID: "vertexai") == "vertexai")
        #expect(CatwalkFormat.family(type: "completions", catwalkID: "bedrock-europe") == "bedrock")
        #expect(CatwalkFormat.family(type: "responses", catwalkID: "openai") == "openai")
        #expect(CatwalkFormat.family(type: "completions", catwalkID: "copilot") == "openai")
        #expect(CatwalkFormat.family(type: "messages", catwalkID: "minimax") == "anthropic")
        #expect(CatwalkFormat.family(type: "gemini", catwalkID: "my-gemini") == "gemini", "older files name the family")
    }
}
