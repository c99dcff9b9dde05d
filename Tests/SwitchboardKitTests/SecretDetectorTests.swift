@testable import Catalog
@testable import Core
import Foundation
@testable import Settings
import Testing

/// The detector as the shipped catalog makes it.
let shippedDetector = Catalog.load(shipped: Catalog.shippedDirectory, custom: nil).secretDetector

// MARK: Tests

@Suite struct SecretDetectorTests {
    @Test func everyShippedProviderDeclaresItsKeyPrefixesAndTheDetectorKnowsThem() throws {
        let catalog = Catalog.load(shipped: Catalog.shippedDirectory, custom: nil)
        for provider in catalog.providers {
            #expect(provider.raw["switchboard"]?["key_prefixes"]?.arrayValue != nil, "\(provider.id) declares its key prefixes (an empty list when its keys have none)")
            for prefix in provider.keyPrefixes {
                #expect(shippedDetector.looksLikeSecret("\(prefix)Ab3dEf6hIj9kLm2nOp"), "\(provider.id): \(prefix)…")
            }
        }
        #expect(Set(catalog.keyPrefixes).isSuperset(of: ["sk-ant-", "sk-proj-", "sk-or-", "AIza", "gsk_"]))
        #expect(!shippedDetector.looksLikeSecret("Ab3dEf6hIj9kLm2nOp"), "18 characters without a prefix are no key")
        #expect(!SecretDetector().looksLikeSecret("gsk_Ab3dEf6hIj9kLm2nOp"), "the prefixes come from the catalog")
    }

    @Test(arguments: [FakeKeys.groq, FakeKeys.gemini, FakeKeys.openRouter, FakeKeys.anthropic, FakeKeys.mistral, FakeKeys.azure,
                      FakeKeys.zai, FakeKeys.xai, FakeKeys.awsKeyID, FakeKeys.awsSecret, FakeKeys.jwt,
                      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
                      "ghp_CANARYSECRETabcdefghijklmnop0123456789", "Bearer sk-proj-CANARYSECRET_Ab3dEf6hIj9kLm2nOp-qR5",
                      "https://user:\(FakeKeys.mistral)@proxy.example/v1", "https://proxy.example/v1?key=\(FakeKeys.gemini)",
                      "ABSKQmVkcm9ja0FQSUtleS1DANARYSECRET0123456789abcdef", "ya29.a0CANARYSECRETAfH6SMBx3kLm9Qp2Rt7Vw"])
    func keyShapesAreFound(value: String) {
        #expect(shippedDetector.looksLikeSecret(value))
    }

    @Test(arguments: [
        "anthropic/claude-sonnet-4-5-20250929", "openrouter/meta-llama/llama-4-maverick-17b-128e-instruct",
        "together/Qwen/Qwen3-235B-A22B-Instruct-2507-tput", "bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0",
        "vertex/claude-sonnet-4-5@20250929", "openrouter/anthropic/claude-3.7-sonnet:thinking",
        "deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "accounts/fireworks/models/llama-v3p1-405b-instruct",
        "123e4567-e89b-12d3-a456-426614174000", "org-Ab12Cd34Ef56Gh78Ij90Kl12", "proj_Ab12Cd34Ef56Gh78Ij90Kl12",
        "$OPENAI_API_KEY", "${AZURE_OPENAI_API_KEY}", "Bearer $LAB_TOKEN", "sk-learn-is-a-python-library-for-machine-learning",
        "pneumonoultramicroscopicsilicovolcanoconiosis", "12345678901234567890123456789012345678",
        "https://gateway.ai.cloudflare.com/v1/9f8e7d6c5b4a39281706f5e4d3c2b1a0/agents/openai",
        "https://docs.example.com/runbooks/incident-response-2025-11-29#escalation", "prompt-caching-2024-07-31",
        "Use gpt-5 for planning and claude-haiku-4-5-20251001 for quick answers; keep replies under 200 words.",
    ])
    func ordinaryValuesAreNotSecrets(value: String) {
        #expect(!shippedDetector.looksLikeSecret(value))
    }

    @Test func noShippedCatalogFileNorTheSettingsDefaultsOrSchemaLookSecret() throws {
        for file in try shippedCatalogFiles() {
            let value = try #require(JSONValue.parse(Array(file.text.utf8)))
            #expect(shippedDetector.scan(value, variablesAllowed: true) == [], "\(file.name)")
            #expect(CatwalkFormat.secrets(in: value, detector: shippedDetector) == [], "\(file.name)")
        }
        #expect(shippedDetector.scan(SettingsSchema.defaults) == [])
        #expect(shippedDetector.scan(SchemaExport.document.schema) == [])
    }

    @Test func credentialHeadersAndSecretNames() {
        for header in ["Authorization", "Proxy-Authorization", "X-Api-Key", "Api-Key", "X-Auth-Key", "X-Auth-Token",
                       "Ocp-Apim-Subscription-Key", "X-Goog-Api-Key", "Cookie", "X-Amz-Security-Token", "X-Client-Secret"] {
            #expect(SecretDetector.isCredentialHeader(header), "\(header)")
        }
        for header in ["X-Title", "HTTP-Referer", "OpenAI-Organization", "OpenAI-Project", "anthropic-beta", "anthropic-version", "X-Request-Id"] {
            #expect(!SecretDetector.isCredentialHeader(header), "\(header)")
        }
        for name in ["apiKey", "api_key", "subscriptionKey", "x_auth_key", "accessToken", "client_secret", "password"] {
            #expect(SecretDetector.isSecretName(name), "\(name)")
        }
        for name in ["maxTokens", "max_tokens_field", "prompt_cache_key", "key_prefixes", "default_max_tokens", "top_k"] {
            #expect(!SecretDetector.isSecretName(name), "\(name)")
        }
    }

    @Test func catwalksPlaceholders() {
        #expect(SecretDetector.placeholderName("$ANTHROPIC_API_ENDPOINT") == "ANTHROPIC_API_ENDPOINT")
        #expect(SecretDetector.placeholderName("${OPENAI_API_KEY}") == "OPENAI_API_KEY")
        for notOne in ["$", "${X", "$1X", "$X-Y", "X", "$X $Y"] {
            #expect(SecretDetector.placeholderName(notOne) == nil, "\(notOne)")
        }
        #expect(SecretDetector.isVariableForm("") && SecretDetector.isVariableForm("Bearer $TOKEN"))
        #expect(!SecretDetector.isVariableForm("Bearer abc") && !SecretDetector.isVariableForm("$A $B $C"))
    }

    @Test func aCustomProvidersDeclaredPrefixReachesTheSettingsDocument() async throws {
        let t = try TestApp()
        let key = "lab_Ab3dEf6hIj9kLm2nOpCANARYSECRET"
        let patch = #"{"agents":{"main":{"instructions":"use \#(key)"}}}"#
        let provider = #"{"id":"lab","name":"Lab","type":"openai","api_endpoint":"https://vllm.lab.example/v1","switchboard":{"key_prefixes":["lab_"]},"models":[{"id":"m"}]}"#
        #expect(await t.putCustomProvider("lab", provider).status == .ok)
        let refused = await t.patchConfig(patch, ifMatch: "\"1\"")
        #expect(refused.problemSlug == "secret-in-settings", "the provider's own key shape is known once it is in the catalog")
        let tooShort = #"{"id":"lab","name":"Lab","type":"openai","switchboard":{"key_prefixes":["a"]},"models":[{"id":"m"}]}"#
        #expect(await t.putCustomProvider("lab", tooShort).errors.first?["pointer"] == "/switchboard/key_prefixes/0")
    }
}
