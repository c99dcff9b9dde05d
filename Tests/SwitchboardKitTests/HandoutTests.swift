@testable import API
@testable import App
@testable import Auth
import Foundation
import HTTPTypes
@testable import Outbound
import TestSupport
import Testing

/// What `POST /api/route` hands a runtime for each kind of credential, against the provider emulator: the call
/// it makes with it must work (the emulator checks the key's header, the token, the signature).
@Suite struct HandoutTests {
    static let emulator = try! ProviderEmulator()

    struct Harness {
        let t: TestApp
        let runtime: String

        init(_ accounts: [String]) async throws {
            t = try TestApp()
            for body in accounts { try await t.createAccount(body) }
            runtime = try AdminTokens(database: t.database).create(name: "runtime", scopes: TokenScopes.make(["runtime", "credentials"]).get()).secret
        }

        func route(_ model: String) async throws -> [String: Any] {
            let r = await t.send(.post, "/api/route", headers: [.authorization: "Bearer \(runtime)", .contentType: "application/json"],
                                 body: #"{"model":"\#(model)","withCredential":true}"#)
            guard r.status == .ok else { throw TestFailure("route: \(r.status) \(r.text)") }
            return r.json
        }
    }

    @Test func aVertexServiceAccountsTokenIsMintedOnceAndReusedUntilItNearlyExpires() async throws {
        let pem = try String(contentsOfFile: TestCA.files.serviceAccountKey, encoding: .utf8)
        let base = Self.emulator.baseURL
        let json = serviceAccountJSON(email: "good@emulated-project.iam.gserviceaccount.com", tokenURI: base + "/google/token", keyPEM: pem)
        let h = try await Harness([#"{"provider":"vertex","id":"vertex:sa","baseUrl":"\#(base)/vertex","credential":{"kind":"service_account","json":"\#(json)"}}"#])
        let mintsBefore = Self.emulator.received.filter { $0.uri == "/google/token" }.count
        let first = try await h.route("vertex/claude-sonnet-4-5@20250929")
        let credential = first["credential"] as? [String: Any]
        #expect(credential?["kind"] as? String == "service_account")
        let headers = credential?["headers"] as? [String: String] ?? [:]
        let token = headers["Authorization"] ?? ""
        #expect(token.hasPrefix("Bearer ya29.emulated-good@emu-"))
        #expect(headers["x-goog-user-project"] == "emulated-project")
        #expect(credential?["expiresAt"] as? String != nil)
        Canary.remember(String(token.dropFirst("Bearer ".count)))
        // The private key never leaves: only the minted token does.
        #expect(!String(decoding: try JSONSerialization.data(withJSONObject: first), as: UTF8.self).contains("PRIVATE KEY"))
        // A second decision reuses the token: one mint.
        let second = try await h.route("vertex/claude-sonnet-4-5@20250929")
        #expect(((second["credential"] as? [String: Any])?["headers"] as? [String: String])?["Authorization"] == token)
        #expect(Self.emulator.received.filter { $0.uri == "/google/token" }.count == mintsBefore + 1)
        // The token works against the emulated Vertex AI, as the runtime would send it.
        let call = await TestApp.testOutbound.send(OutboundRequest(.GET, base + "/vertex/v1beta1/publishers/google/models",
                                                                   headers: [("Authorization", token), ("x-goog-user-project", "emulated-project")],
                                                                   timeout: .seconds(5)))
        #expect((try? call.get().status) == 200)
    }

    @Test func azureAndBedrockHandOutWhatTheRuntimeSignsOrSendsItself() async throws {
        let base = Self.emulator.baseURL
        let key = "AKIAEMULATORGOOD0001"
        let h = try await Harness([
            #"{"provider":"azureOpenai","id":"azureOpenai:eu","credential":{"kind":"azure","endpoint":"\#(base)/azure","apiKey":"CANARYSECRETazure0123456789","apiVersion":"2024-10-21","deployment":"gpt5-prod"}}"#,
            #"{"provider":"bedrock","id":"bedrock:main","baseUrl":"\#(base)/bedrock","credential":{"kind":"aws","accessKeyId":"\#(key)","secretAccessKey":"\#(ProviderEmulator.awsSecret(for: key)!)","region":"eu-west-1"}}"#,
        ])
        let azure = try await h.route("azureOpenai/gpt-5")
        let a = azure["credential"] as? [String: Any]
        #expect(a?["kind"] as? String == "azure")
        #expect(a?["endpoint"] as? String == "\(base)/azure")
        #expect(a?["deployment"] as? String == "gpt5-prod")
        #expect(a?["apiVersion"] as? String == "2024-10-21")
        #expect((a?["headers"] as? [String: String])?["api-key"] == "CANARYSECRETazure0123456789")
        #expect(azure["family"] as? String == "azure")

        let bedrock = try await h.route("bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0")
        let b = bedrock["credential"] as? [String: Any]
        #expect(b?["kind"] as? String == "aws")
        #expect(b?["accessKeyId"] as? String == key)
        #expect(b?["secretAccessKey"] as? String == ProviderEmulator.awsSecret(for: key))
        #expect(b?["region"] as? String == "eu-west-1")
        #expect(b?["headers"] == nil)
    }

    @Test func aCredentialConfirmedForAnotherAddressIsNotHandedOut() async throws {
        let base = Self.emulator.baseURL
        let h = try await Harness([
            #"{"provider":"anthropic","id":"anthropic:moved","baseUrl":"\#(base)/anthropic","credential":{"kind":"api_key","apiKey":"sk-ant-api03-CANARYSECRETmoved0123456789"}}"#,
        ])
        // The base URL moves without the credential being confirmed for it: the account waits for confirmation.
        let r = await h.t.json(.patch, "/api/accounts/anthropic:moved", #"{"baseUrl":"https://elsewhere.example/anthropic"}"#,
                               contentType: "application/merge-patch+json")
        #expect(r.status == .ok)
        let refused = await h.t.send(.post, "/api/route", headers: [.authorization: "Bearer \(h.runtime)", .contentType: "application/json"],
                                     body: #"{"model":"anthropic/claude-sonnet-4-5","withCredential":true}"#)
        #expect(refused.status == .serviceUnavailable)
        #expect(!refused.text.contains("CANARYSECRET"))
        #expect((refused.json["accounts"] as? [[String: Any]])?.first?["reason"] as? String == "status")
    }
}
