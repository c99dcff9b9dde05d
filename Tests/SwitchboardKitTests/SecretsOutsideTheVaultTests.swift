@testable import API
@testable import Catalog
@testable import Core
import Foundation
import HTTPTypes
import Testing

/// Fake credentials in the shapes of the catalog's providers (and of the formats every provider family meets).
/// Each carries the canary marker where its alphabet allows, so a leak into a file or a log shows in the scan.
enum FakeKeys {
    static let groq = "gsk_CANARYSECRET7fQ2mX9pL4vR8tY1wZ3kN6bJ0hD5"
    static let gemini = "AIzaSyCANARYSECRET-3xQ9vL2mP7rT4wK8nB1z"
    static let openRouter = "sk-or-v1-CANARYSECRET0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    static let anthropic = "sk-ant-api03-CANARYSECRETzQ8vN3mL6pR1tW4yK7xB2cJ5hG9fD0sA"
    /// Mistral keys have no prefix: 32 letters and digits.
    static let mistral = "CANARYSECRETq7Lm2Xp9Rt4Vw8Ky3Nb6"
    /// Azure OpenAI keys have no prefix: 32 hex digits.
    static let azure = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    /// Z.AI keys: 32 hex digits, a dot, 16 letters and digits.
    static let zai = "4b1f0c9e8d7a6b5c4d3e2f1a0b9c8d7e.Qm7XpL2vR9tK4wZ8"
    /// xAI is not in the catalog: its keys are caught by their length and randomness.
    static let xai = "xai-CANARYSECRETk8Jd2Lq9Vx4Rt7Wm1Zp5Nc3Hb6Gf0Ys8Ue2Ia4Oo7Tt9Qq1"
    static let awsKeyID = "AKIACANARYSECRET1234"
    static let awsSecret = "CANARYSECRETwJalrXUtnFEMI/K7MDENG/bPxRfi"
    static let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUllTRUNSRVQifQ.CANARYSECRETsig0123456789abcdefXYZ"
    static let pem = "-----BEGIN CERTIFICATE-----\\nMIIBCANARYSECRET\\n-----END CERTIFICATE-----"
}

extension TestApp {
    func putCustomProvider(_ id: String, _ body: String) async -> Response {
        await json(.put, "/api/catalog/custom/\(id)", body)
    }
}

/// The shipped provider files, as the catalog resource has them.
func shippedCatalogFiles() throws -> [(name: String, text: String)] {
    let directory = try #require(Catalog.shippedDirectory)
    return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted().map {
        ($0, try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8))
    }
}

// MARK: Tests

/// Secrets belong to the credential API; every other place that takes text refuses them with a 422 that points
/// there: custom catalog entries, account fields that are not the credential, and the settings document.
@Suite struct SecretsOutsideTheVaultTests {
    // MARK: Custom catalog entries

    @Test func aCustomProviderWithALiteralAPIKeyIs422PointingToTheCredentialAPI() async throws {
        let t = try TestApp()
        let body = #"{"id":"lab","name":"Lab vLLM","type":"openai","api_key":"lab-CANARYSECRET","api_endpoint":"https://vllm.lab.example/v1","models":[{"id":"qwen3"}]}"#
        let response = await t.putCustomProvider("lab", body)
        #expect(response.status == .unprocessableContent)
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(response.problemSlug == "secret-in-catalog-entry")
        #expect(response.errors.compactMap { $0["pointer"] } == ["/api_key"])
        #expect(response.errors.allSatisfy { $0["code"] == "secret_not_allowed" })
        #expect(response.text.contains("/api/accounts/{id}/credential"))
        #expect(!response.text.contains("CANARY"), "the secret is never echoed")
        #expect(!FileManager.default.fileExists(atPath: t.directory.appendingPathComponent("catalog/lab.json").path))
        #expect(await t.bearer(.get, "/api/catalog/lab").status == .notFound)
    }

    @Test func credentialHeadersAndKeyShapedValuesAnywhereInTheFileAreRefused() async throws {
        let t = try TestApp()
        let body = #"""
            {"id":"lab","name":"Lab","type":"openai","api_endpoint":"https://vllm.lab.example/v1",
             "default_headers":{"Authorization":"Bearer lab-CANARYSECRET","X-Auth-Key":"abc","Ocp-Apim-Subscription-Key":"abc",
                                "X-Title":"Lab","X-Route":"\#(FakeKeys.mistral)"},
             "default_large_model_id":"\#(FakeKeys.groq)",
             "models":[{"id":"qwen3","name":"Qwen 3","options":{"provider_options":{"token":"\#(FakeKeys.zai)"}}}]}
            """#
        let response = await t.putCustomProvider("lab", body)
        #expect(response.status == .unprocessableContent)
        #expect(response.problemSlug == "secret-in-catalog-entry")
        #expect(Set(response.errors.compactMap { $0["pointer"] }) == [
            "/default_headers/Authorization", "/default_headers/X-Auth-Key", "/default_headers/Ocp-Apim-Subscription-Key",
            "/default_headers/X-Route", "/default_large_model_id", "/models/0/options/provider_options/token",
        ])
        #expect(!response.text.contains("CANARY") && !response.text.contains(FakeKeys.azure))
        #expect(!FileManager.default.fileExists(atPath: t.directory.appendingPathComponent("catalog/lab.json").path))
    }

    @Test func catwalksVariableFormStaysAllowed() async throws {
        let t = try TestApp()
        let body = #"""
            {"id":"lab","name":"Lab","type":"openai","api_key":"$LAB_API_KEY","api_endpoint":"https://vllm.lab.example/v1",
             "default_headers":{"Authorization":"Bearer $LAB_TOKEN","X-Api-Key":"${LAB_KEY}","X-Title":"Lab"},
             "models":[{"id":"qwen3"}]}
            """#
        let response = await t.putCustomProvider("lab", body)
        #expect(response.status == .ok, "\(response.text)")
        #expect(response.json["apiKeyVariable"] as? String == "LAB_API_KEY")
    }

    @Test func everyShippedProviderFileIsAcceptedAsACustomEntry() async throws {
        let t = try TestApp()
        for file in try shippedCatalogFiles() {
            let id = String(file.name.dropLast(".json".count))
            let response = await t.putCustomProvider(id, file.text)
            #expect(response.status == .ok, "\(file.name): \(response.text)")
        }
    }

    // MARK: Accounts

    @Test func accountFieldsThatAreNotTheCredentialRefuseSecrets() async throws {
        let t = try TestApp()
        let response = await t.json(.post, "/api/accounts", #"""
            {"provider":"openai","displayName":"Team \#(FakeKeys.anthropic)",
             "headers":{"X-Auth-Key":"abc","Ocp-Apim-Subscription-Key":"abc","X-Auth-Token":"abc","X-Route":"\#(FakeKeys.mistral)","X-Title":"ok"},
             "defaultModel":"\#(FakeKeys.azure)"}
            """#)
        #expect(response.status == .unprocessableContent)
        #expect(Set(response.errors.compactMap { $0["pointer"] }) == [
            "/displayName", "/headers/X-Auth-Key", "/headers/Ocp-Apim-Subscription-Key", "/headers/X-Auth-Token", "/headers/X-Route", "/defaultModel",
        ])
        #expect(response.errors.allSatisfy { $0["code"] == "secret_not_allowed" })
        #expect(response.errors.allSatisfy { $0["message"]?.contains("/api/accounts/{id}/credential") == true })
        #expect(!response.text.contains("CANARY") && !response.text.contains(FakeKeys.azure))
        #expect(try t.database.accounts().isEmpty)

        try await t.createAccount(#"{"provider":"openai"}"#)
        let patched = await t.json(.patch, "/api/accounts/openai:default", #"{"displayName":"\#(FakeKeys.groq)"}"#,
                                   contentType: "application/merge-patch+json")
        #expect(patched.status == .unprocessableContent)
        #expect(patched.errors.compactMap { $0["pointer"] } == ["/displayName"])
        #expect(try t.database.account("openai:default")?.displayName == "OpenAI")
    }

    @Test func ordinaryAccountFieldsAreNotSecrets() async throws {
        let t = try TestApp()
        let created = await t.json(.post, "/api/accounts", #"""
            {"provider":"together","displayName":"Research (EU) – 2025","defaultModel":"Qwen/Qwen3-235B-A22B-Instruct-2507-tput",
             "headers":{"OpenAI-Organization":"org-Ab12Cd34Ef56Gh78Ij90Kl12","anthropic-beta":"prompt-caching-2024-07-31",
                        "X-Request-Id":"123e4567-e89b-12d3-a456-426614174000","HTTP-Referer":"https://agents.example.com/settings","X-Title":"Agents"}}
            """#)
        #expect(created.status == .created, "\(created.text)")
    }

    // MARK: The settings document

    @Test(arguments: [FakeKeys.groq, FakeKeys.gemini, FakeKeys.openRouter, FakeKeys.anthropic, FakeKeys.mistral, FakeKeys.azure,
                      FakeKeys.zai, FakeKeys.xai, FakeKeys.awsKeyID, FakeKeys.awsSecret, FakeKeys.jwt, FakeKeys.pem])
    func settingsRefuseEveryKeyShape(key: String) async throws {
        let t = try TestApp()
        let response = await t.patchConfig(#"{"agents":{"main":{"instructions":"Call tools with \#(key) please."}}}"#, ifMatch: "\"1\"")
        #expect(response.status == .unprocessableContent, "\(key.prefix(8))…")
        #expect(response.problemSlug == "secret-in-settings")
        #expect(response.errors.compactMap { $0["pointer"] } == ["/agents/main/instructions"])
        #expect(!response.text.contains("CANARY"))
    }

    @Test func everyShippedModelReferenceAliasAndOrdinaryInstructionsAreAccepted() async throws {
        let t = try TestApp()
        let catalog = t.app.catalog.current
        var entries: [String: JSONValue] = [:]
        for provider in catalog.providers {
            for (index, model) in provider.models.enumerated() {
                entries["\(provider.id)/\(model.id)"] = .object(["alias": .string("\(provider.id)-\(index)")])
            }
        }
        let references = catalog.providers.flatMap { p in p.models.map { JSONValue.string("\(p.id)/\($0.id)") } }
        let instructions = """
            You are the operations agent for tenant 123e4567-e89b-12d3-a456-426614174000. Prefer \
            anthropic/claude-sonnet-4-5-20250929, fall back to together/meta-llama/Llama-3.3-70B-Instruct-Turbo or \
            bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0; deploy with `kubectl rollout restart deploy/agents-worker` \
            and read https://docs.example.com/runbooks/incident-response-2025-11-29#escalation before paging anyone.
            """
        let patch = JSONValue.object(["agents": .object([
            "defaults": .object(["models": .object(entries),
                                 "model": .object(["primary": references[0], "fallbacks": .array(Array(references[1...12]))])]),
            "main": .object(["instructions": .string(instructions)]),
        ])])
        let response = await t.patchConfig(patch.serialized, ifMatch: "\"1\"")
        #expect(response.status == .ok, "\(response.text.prefix(2000))")
    }
}
