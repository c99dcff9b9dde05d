@testable import Accounts
@testable import Catalog
@testable import Core
@testable import Cryptography
import Foundation
import HTTPTypes
@testable import Outbound
@testable import Storage
import TestSupport
import Testing

@Suite struct SigV4Tests {
    // AWS's Signature Version 4 test suite: credentials, region, service and time of every case.
    let signer = SigV4(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "service")
    let at = Date(timeIntervalSince1970: 1_440_938_160) // 2015-08-30T12:36:00Z

    func authorization(_ method: String, query: [(String, String)] = []) -> String? {
        signer.sign(method: method, host: "example.amazonaws.com", path: "/", query: query, at: at).first { $0.0 == "Authorization" }?.1
    }

    @Test func getVanilla() {
        #expect(authorization("GET") == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func getVanillaQueryOrderKeyCase() {
        #expect(authorization("GET", query: [("Param2", "value2"), ("Param1", "value1")])?.hasSuffix("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500") == true)
    }

    @Test func postVanilla() {
        #expect(authorization("POST")?.hasSuffix("Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b") == true)
    }
}

@Suite struct AddressPolicyTests {
    @Test func privateAndSpecialAddressesAreRefused() {
        for address in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                        "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1",
                        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "ff02::1"] {
            #expect(AddressPolicy.forbiddenReason(address) != nil, "\(address)")
        }
    }

    /// Issue 12, item 10: the IPv4-translated form (RFC 2765) and the local-use NAT64 prefix (RFC 8215), plus
    /// the other IPv6 blocks that never hold a provider's API.
    @Test func translatedAndLocalNAT64FormsAreRefused() {
        for address in ["::ffff:0:7f00:1", "::ffff:0:a9fe:a9fe", "::ffff:0:0a00:0001", "::ffff:0:808:808",
                        "64:ff9b:1::7f00:1", "64:ff9b:1:ffff::1", "64:ff9b:1:0:a9:fea9:fe00:0",
                        "100::1", "2001::1", "2001:20::1", "3fff::1", "192.88.99.1"] {
            #expect(AddressPolicy.forbiddenReason(address) != nil, "\(address)")
        }
        #expect(AddressPolicy.forbiddenReason("64:ff9b:1::808:808")?.contains("NAT64") == true)
        #expect(AddressPolicy.forbiddenReason("::ffff:0:808:808")?.contains("translated") == true)
    }

    @Test func publicAddressesPass() {
        for address in ["1.1.1.1", "8.8.8.8", "172.32.0.1", "192.169.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:0808:0808::1"] {
            #expect(AddressPolicy.forbiddenReason(address) == nil, "\(address)")
        }
    }
}

/// A family, how to connect an account of it to the emulator, and the scenarios it answers.
struct FamilyCase: CustomStringConvertible, Sendable {
    let provider: String
    let body: @Sendable (_ base: String, _ scenario: String, _ id: String) -> String
    let scenarios: [(String, TestCategory)]
    var description: String { provider }
}

let keyScenarios: [(String, TestCategory)] = [
    ("good", .ok), ("bad", .auth), ("forbidden", .forbidden), ("ratelimit", .rateLimit), ("billing", .billing),
    ("missing", .notFound), ("slow", .timeout), ("malformed", .badResponse), ("redirect", .badResponse), ("huge", .badResponse),
    ("broken", .unknown),
]

func apiKeyBody(_ provider: String, _ path: String) -> @Sendable (String, String, String) -> String {
    { base, scenario, id in
        #"{"provider":"\#(provider)","id":"\#(id)","baseUrl":"\#(base)\#(path)","timeoutSeconds":1,"credential":{"kind":"api_key","apiKey":"sk-CANARYSECRET-\#(scenario)-0123456789abcdef"}}"#
    }
}

func serviceAccountJSON(email: String, tokenURI: String, keyPEM: String) -> String {
    let object: [String: String] = ["type": "service_account", "project_id": "emulated-project", "client_email": email,
                                     "private_key_id": "k1", "private_key": keyPEM, "token_uri": tokenURI]
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    let text = String(decoding: data, as: UTF8.self)
    return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
}

/// Every shipped provider of the OpenAI-compatible family besides OpenAI itself (Z.AI, xAI, Groq, Cerebras, ...):
/// adding one is a catalog file, and these shared cases cover it with no test written for it.
let openAICompatibleCatalogFamilies: [FamilyCase] = Catalog.load(shipped: Catalog.shippedDirectory, custom: nil).providers
    .filter { $0.type == "openai" && $0.id != "openai" }.map(\.id).sorted()
    .map { FamilyCase(provider: $0, body: apiKeyBody($0, "/openai/v1"), scenarios: [("good", .ok), ("bad", .auth), ("ratelimit", .rateLimit)]) }

let families: [FamilyCase] = openAICompatibleCatalogFamilies + [
    FamilyCase(provider: "openai", body: apiKeyBody("openai", "/openai/v1"), scenarios: keyScenarios),
    FamilyCase(provider: "anthropic", body: apiKeyBody("anthropic", "/anthropic"), scenarios: keyScenarios),
    FamilyCase(provider: "google", body: apiKeyBody("google", "/gemini"), scenarios: keyScenarios),
    FamilyCase(provider: "openrouter", body: apiKeyBody("openrouter", "/openrouter/api/v1"), scenarios: keyScenarios),
    FamilyCase(provider: "azureOpenai", body: { base, scenario, id in
        let deployment = scenario == "missing" ? "gpt4o-staging" : "gpt4o-prod"
        return #"{"provider":"azureOpenai","id":"\#(id)","timeoutSeconds":1,"credential":{"kind":"azure","endpoint":"\#(base)/azure","apiKey":"CANARYSECRET\#(scenario)0123456789","apiVersion":"2024-10-21","deployment":"\#(deployment)"}}"#
    }, scenarios: keyScenarios),
    FamilyCase(provider: "bedrock", body: { base, scenario, id in
        let suffix = scenario.uppercased()
        let keyID = scenario == "unknown" ? "AKIAUNKNOWN000000000" : "AKIAEMULATOR" + suffix + String(repeating: "0", count: max(0, 8 - suffix.count))
        let key = scenario == "wrongsecret" ? "AKIAEMULATORGOOD0000" : keyID
        let secret = scenario == "wrongsecret" ? "CANARYSECRETwrong/000000000000000000000000" : (ProviderEmulator.awsSecret(for: keyID) ?? "CANARYSECRETunknown/0000000000000000000000")
        return #"{"provider":"bedrock","id":"\#(id)","baseUrl":"\#(base)/bedrock","timeoutSeconds":1,"credential":{"kind":"aws","accessKeyId":"\#(key)","secretAccessKey":"\#(secret)","region":"eu-west-1"}}"#
    }, scenarios: [("good", .ok), ("unknown", .auth), ("wrongsecret", .auth), ("denied", .forbidden), ("throttle", .rateLimit),
                   ("notfound", .notFound), ("slow", .timeout), ("malformed", .badResponse), ("redirect", .badResponse), ("broken", .unknown)]),
    FamilyCase(provider: "vertex", body: { base, scenario, id in
        let pem = (try? String(contentsOfFile: TestCA.files.serviceAccountKey, encoding: .utf8)) ?? ""
        let key = scenario == "otherkey" ? (try? String(contentsOfFile: TestCA.files.serverKey, encoding: .utf8)) ?? "" : pem
        let email = scenario == "disabled" ? "disabled@emulated-project.iam.gserviceaccount.com" : "\(scenario)@emulated-project.iam.gserviceaccount.com"
        let json = serviceAccountJSON(email: email, tokenURI: base + "/google/token", keyPEM: key)
        return #"{"provider":"vertex","id":"\#(id)","baseUrl":"\#(base)/vertex","timeoutSeconds":1,"credential":{"kind":"service_account","json":"\#(json)"}}"#
    }, scenarios: [("good", .ok), ("disabled", .auth), ("otherkey", .auth), ("forbid", .forbidden), ("ratelim", .rateLimit),
                   ("billing", .billing), ("missing", .notFound), ("slow", .timeout), ("malformed", .badResponse), ("redirect", .badResponse),
                   ("huge", .badResponse), ("broken", .unknown)]),
]

/// Issue 12, item 3: every family's credential has an origin, and any change of where it would go needs the
/// credential confirmed again before a test, a model refresh or a draft sends it there. Bedrock and Vertex AI
/// had none, so a new base URL got the SigV4 signature and session token at once.
@Suite(.serialized) struct CredentialOriginTests {
    static let placeholders = ["api_key": #"{"kind":"api_key","apiKey":"••••cdef"}"#, "aws": #"{"kind":"aws","secretAccessKey":"••••0000"}"#,
                               "azure": #"{"kind":"azure","apiKey":"••••6789"}"#, "service_account": #"{"kind":"service_account","json":"••••"}"#]

    @Test(arguments: families)
    func movingWhereTheCredentialGoesNeedsItConfirmed(_ family: FamilyCase) async throws {
        let emulator = ProviderFamilyTests.emulator
        let t = try TestApp(outbound: OutboundClient(policy: OutboundPolicy(privateHosts: ["localhost", "127.0.0.1"], extraCAFile: TestCA.files.caCertificate)))
        let id = "\(family.provider):moved"
        // Given a connected account whose credential was confirmed for the emulator at localhost
        let created = await t.json(.post, "/api/accounts", family.body(emulator.baseURL, "good", id))
        #expect(created.status == .created, "\(created.text)")
        let credential = try #require(created.json["credential"] as? [String: Any])
        #expect(credential["origin"] as? String == "https://localhost:\(emulator.port)", "\(family): \(credential)")
        #expect(await t.bearer(.post, "/api/accounts/\(id)/test").json["ok"] as? Bool == true)

        // When the account is pointed at another origin (the same emulator, by address)
        let account = await t.bearer(.get, "/api/accounts/\(id)").json
        let kind = try #require(credential["kind"] as? String)
        let oldBase = (account["baseUrl"] as? String) ?? "\(emulator.baseURL)/azure"
        let newBase = oldBase.replacingOccurrences(of: "localhost", with: "127.0.0.1")
        let moved = await t.json(.patch, "/api/accounts/\(id)", #"{"baseUrl":"\#(newBase)"}"#, contentType: "application/merge-patch+json")
        #expect(moved.status == .ok, "\(moved.text)")
        #expect((moved.json["credential"] as? [String: Any])?["needsConfirmation"] as? Bool == true, "\(family): \(moved.text)")
        #expect(moved.json["status"] as? String == "missing_credential")

        // Then nothing goes there until it is confirmed: not a test, a refresh, nor a draft with the placeholder
        let before = emulator.received.filter { $0.header("Host")?.hasPrefix("127.0.0.1") == true }.count
        let test = await t.bearer(.post, "/api/accounts/\(id)/test")
        #expect(test.status == .conflict && test.problemSlug == "credential-needs-confirmation", "\(family): \(test.text)")
        let refresh = await t.bearer(.post, "/api/accounts/\(id)/models/refresh")
        #expect(refresh.status == .conflict && refresh.problemSlug == "credential-needs-confirmation", "\(family): \(refresh.text)")
        let placeholder = try #require(Self.placeholders[kind])
        let draft = await t.json(.post, "/api/providers/\(family.provider)/test", #"{"account":"\#(id)","baseUrl":"\#(newBase)","credential":\#(placeholder)}"#)
        #expect(draft.status == .unprocessableContent && draft.errors.contains { $0["code"] == "redacted_placeholder" }, "\(family): \(draft.text)")
        #expect(emulator.received.filter { $0.header("Host")?.hasPrefix("127.0.0.1") == true }.count == before, "\(family): the credential was sent")

        // Once confirmed, it goes to the new origin.
        let confirmed = await t.json(.put, "/api/accounts/\(id)/credential", placeholder)
        #expect(confirmed.status == .ok, "\(family): \(confirmed.text)")
        #expect((confirmed.json["credential"] as? [String: Any])?["origin"] as? String == "https://127.0.0.1:\(emulator.port)")
        #expect(await t.bearer(.post, "/api/accounts/\(id)/test").json["ok"] as? Bool == true, "\(family)")
        #expect(emulator.received.filter { $0.header("Host")?.hasPrefix("127.0.0.1") == true }.count > before)
    }

    @Test func aCredentialStoredWithoutAnOriginGetsTheOneItGoesToNowOnce() async throws {
        // Given a Bedrock credential stored before every credential had an origin
        let t = try TestApp()
        _ = await t.json(.post, "/api/accounts", #"{"provider":"bedrock","id":"bedrock:old","credential":{"kind":"aws","accessKeyId":"AKIAEMULATORGOOD0000","secretAccessKey":"CANARYSECRETold/000000000000000000000000000","region":"ap-south-1"}}"#)
        try await t.database.pool.write { db in try db.execute(sql: "UPDATE account SET credential_origin = NULL WHERE id = 'bedrock:old'") }
        // When the server starts
        #expect(try t.app.accounts.recordMissingOrigins() == ["bedrock:old"])
        #expect(try t.app.accounts.recordMissingOrigins() == [])
        // Then it is confirmed for where it goes now, and a new base URL needs it confirmed again
        let account = await t.bearer(.get, "/api/accounts/bedrock:old").json
        #expect((account["credential"] as? [String: Any])?["origin"] as? String == "https://bedrock.ap-south-1.amazonaws.com")
        let moved = await t.json(.patch, "/api/accounts/bedrock:old", #"{"baseUrl":"https://bedrock.attacker.example"}"#, contentType: "application/merge-patch+json")
        #expect((moved.json["credential"] as? [String: Any])?["needsConfirmation"] as? Bool == true)
    }

    @Test func bedrockWithoutABaseURLIsConfirmedForItsRegionsEndpoint() async throws {
        let t = try TestApp()
        let created = await t.json(.post, "/api/accounts", #"{"provider":"bedrock","id":"bedrock:r","credential":{"kind":"aws","accessKeyId":"AKIAEMULATORGOOD0000","secretAccessKey":"CANARYSECRETregion/00000000000000000000000","region":"eu-central-1"}}"#)
        #expect((created.json["credential"] as? [String: Any])?["origin"] as? String == "https://bedrock.eu-central-1.amazonaws.com")
        let moved = await t.json(.patch, "/api/accounts/bedrock:r", #"{"baseUrl":"https://bedrock.attacker.example"}"#, contentType: "application/merge-patch+json")
        #expect((moved.json["credential"] as? [String: Any])?["needsConfirmation"] as? Bool == true)
        #expect(await t.bearer(.post, "/api/accounts/bedrock:r/test").problemSlug == "credential-needs-confirmation")
    }
}

/// One registry of API families: every shipped provider's family is in it, each type once.
@Suite struct FamilyRegistryTests {
    @Test func everyShippedProviderHasItsFamilyAndEachFamilyOneType() {
        let types = ProviderFamilies.all.map(\.type)
        #expect(Set(types).count == types.count, "\(types)")
        for provider in Catalog.load(shipped: Catalog.shippedDirectory, custom: nil).providers {
            #expect(ProviderFamilies.family(for: provider.type) != nil, "\(provider.id) is of type \(provider.type), which no family serves")
        }
        #expect(Set(types) == ["openai", "anthropic", "gemini", "openrouter", "azure", "bedrock", "vertexai", "ollama"])
    }

    @Test func bothRateLimitHeaderFormsAreRead() {
        let openAI = OutboundResponse(status: 429, headers: [("x-ratelimit-limit-requests", "60"), ("x-ratelimit-remaining-requests", "0"),
                                                             ("x-ratelimit-reset-requests", "1m30s")], body: [], latency: .zero)
        let q = Quota(openAI)
        #expect(q.requestsLimit == 60 && q.requestsRemaining == 0)
        #expect(abs((q.resetAt?.timeIntervalSinceNow ?? 0) - 90) < 5)
        let anthropic = OutboundResponse(status: 429, headers: [("anthropic-ratelimit-tokens-limit", "4000"), ("retry-after", "20")], body: [], latency: .zero)
        let a = Quota(anthropic)
        #expect(a.tokensLimit == 4000 && a.requestsLimit == nil)
        #expect(abs((a.resetAt?.timeIntervalSinceNow ?? 0) - 20) < 5, "Retry-After stands in for a reset header")
    }
}

/// Every family, every category it can produce, through the real outbound client against the emulator.
@Suite(.serialized) struct ProviderFamilyTests {
    static let emulator = try! ProviderEmulator(slowDelay: .seconds(2))

    @Test(arguments: families)
    func everyScenarioGivesItsCategory(_ family: FamilyCase) async throws {
        let t = try TestApp()
        let emulator = Self.emulator
        for (index, (scenario, expected)) in family.scenarios.enumerated() {
            let id = "\(family.provider):s\(index)"
            let created = await t.json(.post, "/api/accounts", family.body(emulator.baseURL, scenario, id))
            #expect(created.status == .created, "\(family) \(scenario): \(created.text)")
            let response = await t.bearer(.post, "/api/accounts/\(id)/test")
            #expect(response.status == .ok, "\(family) \(scenario): \(response.text)")
            let result = response.json
            #expect(result["category"] as? String == expected.rawValue, "\(family) \(scenario): \(response.text)")
            #expect(result["ok"] as? Bool == (expected == .ok))
            #expect(!(result["summary"] as? String ?? "").isEmpty)
            #expect(!response.text.contains("CANARYSECRET"), "\(family) \(scenario) echoed the secret")
            let account = await t.bearer(.get, "/api/accounts/\(id)").json
            #expect(account["status"] as? String == (expected == .ok ? "connected" : "error"), "\(family) \(scenario)")
        }
        // What the emulator received: the key only ever in headers.
        for request in emulator.received {
            #expect(!request.uri.contains("CANARYSECRET"), "a key went into the URL: \(request.uri)")
            #expect(request.header("Cookie") == nil)
        }
    }

    @Test func summariesAreProviderSpecific() async throws {
        let t = try TestApp()
        let base = Self.emulator.baseURL
        try await t.createAccount(apiKeyBody("anthropic", "/anthropic")(base, "bad", "anthropic:x"))
        #expect(await t.bearer(.post, "/api/accounts/anthropic:x/test").json["summary"] as? String == "Anthropic rejected the credential (401 authentication_error).")
        try await t.createAccount(#"{"provider":"azureOpenai","id":"azureOpenai:x","credential":{"kind":"azure","endpoint":"\#(base)/azure","apiKey":"CANARYSECRETgood","apiVersion":"2024-10-21","deployment":"gpt4o-staging"}}"#)
        #expect(await t.bearer(.post, "/api/accounts/azureOpenai:x/test").json["summary"] as? String == "Azure deployment 'gpt4o-staging' not found (404 DeploymentNotFound).")
        try await t.createAccount(apiKeyBody("google", "/gemini")(base, "bad", "google:x"))
        let gemini = await t.bearer(.post, "/api/accounts/google:x/test").json
        #expect(gemini["httpStatus"] as? Int == 400)
        #expect((gemini["summary"] as? String)?.contains("API_KEY_INVALID") == true)
        // OpenAI's message quotes part of the key; it is never repeated.
        try await t.createAccount(apiKeyBody("openai", "/openai/v1")(base, "bad", "openai:x"))
        let openai = await t.bearer(.post, "/api/accounts/openai:x/test").text
        #expect(!openai.contains("Incorrect API key") && !openai.contains("0123456789abcdef"))
    }

    @Test func quotaAndModelsAreReadFromTheAnswer() async throws {
        let t = try TestApp()
        let base = Self.emulator.baseURL
        try await t.createAccount(apiKeyBody("openai", "/openai/v1")(base, "good", "openai:q"))
        let result = await t.bearer(.post, "/api/accounts/openai:q/test").json
        let quota = result["quota"] as? [String: Any]
        #expect(quota?["requestsRemaining"] as? Int == 4999 && quota?["tokensLimit"] as? Int == 800_000)
        #expect(result["modelCount"] as? Int == 3)
        try await t.createAccount(apiKeyBody("openrouter", "/openrouter/api/v1")(base, "good", "openrouter:q"))
        let router = await t.bearer(.post, "/api/accounts/openrouter:q/test").json["quota"] as? [String: Any]
        #expect(router?["creditLimit"] as? Double == 20 && router?["creditUsed"] as? Double == 1.25)

        let models = await t.bearer(.get, "/api/accounts/openai:q/models").json
        let entries = (models["models"] as? [[String: Any]]) ?? []
        let sources = Dictionary(entries.map { ($0["id"] as! String, $0["source"] as! String) }, uniquingKeysWith: { a, _ in a })
        #expect(sources["gpt-4.1"] == "both")
        #expect(sources["ft:gpt-4.1:acme::x1"] == "discovered")
        #expect(sources["gpt-5"] == "catalog")
        #expect(models["fetchedAt"] as? String != nil)
    }

    @Test func aFailedRefreshKeepsTheKnownModelsAndSaysWhy() async throws {
        let t = try TestApp()
        let base = Self.emulator.baseURL
        try await t.createAccount(apiKeyBody("openai", "/openai/v1")(base, "good", "openai:r"))
        #expect(await t.bearer(.post, "/api/accounts/openai:r/models/refresh").json["refresh"] as? [String: Any] != nil)
        // The key is replaced by one the provider refuses: the refresh fails, the discovered list stays.
        #expect(await t.json(.put, "/api/accounts/openai:r/credential", #"{"kind":"api_key","apiKey":"sk-CANARYSECRET-bad-0123456789abcdef"}"#).status == .ok)
        let failed = await t.bearer(.post, "/api/accounts/openai:r/models/refresh").json
        let refresh = failed["refresh"] as? [String: Any]
        #expect(refresh?["ok"] as? Bool == false && refresh?["category"] as? String == "auth")
        #expect(((failed["models"] as? [[String: Any]]) ?? []).contains { $0["source"] as? String == "discovered" })
    }

    @Test func aRepeatedOutcomeWithinAMinuteIsNotWrittenAgain() async throws {
        let t = try TestApp()
        try await t.createAccount(apiKeyBody("openai", "/openai/v1")(Self.emulator.baseURL, "good", "openai:rep"))
        let first = await t.bearer(.post, "/api/accounts/openai:rep/test").json["testedAt"] as? String
        let stored = try #require(try t.database.account("openai:rep")?.lastTestAt)
        try await Task.sleep(for: .milliseconds(1100)) // the API's times have whole seconds
        let second = await t.bearer(.post, "/api/accounts/openai:rep/test").json["testedAt"] as? String
        #expect(first != nil && second != nil && first != second)
        // The database keeps the first; the API shows the newest.
        #expect(try t.database.account("openai:rep")?.lastTestAt == stored)
        let shown = (await t.bearer(.get, "/api/accounts/openai:rep").json["lastTest"] as? [String: Any])?["at"] as? String
        #expect(shown == second)
        // A different outcome is written at once.
        #expect(await t.json(.put, "/api/accounts/openai:rep/credential", #"{"kind":"api_key","apiKey":"sk-CANARYSECRET-bad-0123456789abcdef"}"#).status == .ok)
        _ = await t.bearer(.post, "/api/accounts/openai:rep/test")
        #expect(try t.database.account("openai:rep")?.lastTestCategory == "auth")
    }

    @Test func draftTestsStoreNothing() async throws {
        let t = try TestApp()
        let base = Self.emulator.baseURL
        let ok = await t.json(.post, "/api/providers/openai/test", #"{"baseUrl":"\#(base)/openai/v1","credential":{"kind":"api_key","apiKey":"sk-CANARYSECRET-good-0123456789abcdef"}}"#)
        #expect(ok.json["ok"] as? Bool == true, "\(ok.text)")
        let bad = await t.json(.post, "/api/providers/anthropic/test", #"{"baseUrl":"\#(base)/anthropic","credential":{"kind":"api_key","apiKey":"sk-CANARYSECRET-bad-0123456789abcdef"}}"#)
        #expect(bad.json["category"] as? String == "auth")
        #expect(try t.database.accounts().isEmpty)
        #expect(try t.credentialFiles().isEmpty)
        let invalid = await t.json(.post, "/api/providers/openai/test", #"{"credential":{"kind":"aws"}}"#)
        #expect(invalid.status == .unprocessableContent)
        #expect(await t.json(.post, "/api/providers/nope/test", #"{"credential":{"kind":"api_key","apiKey":"x"}}"#).status == .notFound)
    }

    @Test func eachCallToTheProviderRecordsItsLatencyByProviderAndCategory() async throws {
        // Given an account the emulator accepts, and a draft it refuses
        let t = try TestApp()
        let base = Self.emulator.baseURL
        try await t.createAccount(apiKeyBody("openai", "/openai/v1")(base, "good", "openai:lat"))
        // When both are tested
        #expect(await t.bearer(.post, "/api/accounts/openai:lat/test").json["ok"] as? Bool == true)
        let draft = await t.json(.post, "/api/providers/anthropic/test", #"{"baseUrl":"\#(base)/anthropic","credential":{"kind":"api_key","apiKey":"sk-CANARYSECRET-bad-0123456789abcdef"}}"#)
        #expect(draft.json["category"] as? String == "auth")
        // Then each call is one observation of the latency histogram, under its provider and outcome
        let text = await t.bearer(.get, "/api/metrics").text
        let name = "switchboard_provider_test_duration_seconds"
        #expect(value(text, "\(name)_count", ["provider": "openai", "category": "ok"]) == 1)
        #expect(value(text, "\(name)_count", ["provider": "anthropic", "category": "auth"]) == 1)
        let sum = try #require(value(text, "\(name)_sum", ["provider": "openai", "category": "ok"]))
        #expect(sum > 0 && sum < 10)
        #expect(value(text, "\(name)_bucket", ["provider": "openai", "category": "ok", "le": "+Inf"]) == 1)
        #expect(!text.contains("CANARYSECRET"))
    }

    @Test func aStoredKeyIsNotSentToANewOriginUntilConfirmed() async throws {
        let t = try TestApp()
        let base = Self.emulator.baseURL
        try await t.createAccount(apiKeyBody("openai", "/openai/v1")(base, "good", "openai:o"))
        let before = Self.emulator.received.count
        #expect(await t.json(.patch, "/api/accounts/openai:o", #"{"baseUrl":"https://127.0.0.1:\#(Self.emulator.port)/openai/v1"}"#, contentType: "application/merge-patch+json").status == .ok)
        let refused = await t.bearer(.post, "/api/accounts/openai:o/test")
        #expect(refused.status == .conflict)
        #expect(refused.problemSlug == "credential-needs-confirmation")
        #expect(Self.emulator.received.count == before)
        // A draft with the placeholder for a new origin does not get the stored key either.
        let draft = await t.json(.post, "/api/providers/openai/test", #"{"account":"openai:o","baseUrl":"https://evil.example/v1","credential":{"kind":"api_key","apiKey":"••••cdef"}}"#)
        #expect(draft.status == .unprocessableContent)
        #expect(draft.errors.first?["code"] == "redacted_placeholder")
    }
}

@Suite struct OutboundSafetyTests {
    let emulator = ProviderFamilyTests.emulator

    @Test func loopbackPrivateAndMetadataAddressesAreRefusedUnlessAllowed() async throws {
        let strict = OutboundClient(policy: OutboundPolicy(extraCAFile: TestCA.files.caCertificate))
        for url in ["https://localhost:\(emulator.port)/openai/v1/models", "https://127.0.0.1:\(emulator.port)/x", "https://169.254.169.254/latest/meta-data/",
                    "https://[::ffff:127.0.0.1]:\(emulator.port)/x", "https://10.0.0.1/x", "https://[::1]:\(emulator.port)/x"] {
            let result = await strict.send(OutboundRequest(.GET, url))
            guard case .failure(.refusedAddress) = result else { Issue.record("\(url) was not refused: \(result)"); continue }
        }
        #expect(await strict.send(OutboundRequest(.GET, "http://example.com/")).failureCategory == .network)
        #expect(await strict.send(OutboundRequest(.GET, "file:///etc/passwd")).failureCategory == .network)
        #expect(await strict.send(OutboundRequest(.GET, "https://user:pw@localhost/")).failureCategory == .network)
    }

    /// Issue 12, item 2: the address that was checked is the address connected to, however the URL writes the
    /// host. The resolver answers the emulator's address once and an address where nothing listens after that
    /// (a rebinding DNS server): every call must succeed, each with exactly one lookup of the canonical name.
    @Test func theCheckedAddressIsPinnedWhateverTheHostsSpelling() async throws {
        let lookups = Shared([String]())
        let rebinding: OutboundClient.Resolver = { host in
            lookups.withLock { seen in
                seen.append(host)
                return [seen.filter { $0 == host }.count == 1 ? "127.0.0.1" : "127.0.0.2"]
            }
        }
        let client = OutboundClient(policy: OutboundPolicy(privateHosts: ["rebind.test", "xn--bcher-kva.test"], extraCAFile: TestCA.files.caCertificate),
                                    resolver: rebinding)
        let cases = [("https://Rebind.test:\(emulator.port)", "rebind.test"), ("https://rebind.TEST.:\(emulator.port)", "rebind.test"),
                     ("https://Bücher.test:\(emulator.port)", "xn--bcher-kva.test"), ("https://XN--BCHER-KVA.test.:\(emulator.port)", "xn--bcher-kva.test")]
        for (base, canonical) in cases {
            lookups.withLock { $0.removeAll() }
            let result = await client.send(OutboundRequest(.GET, base + "/openai/v1/models",
                                                           headers: [("Authorization", "Bearer sk-CANARYSECRET-good-0123456789abcdef")]))
            guard case .success(let response) = result else { Issue.record("\(base): \(result)"); continue }
            #expect(response.status == 200, "\(base)")
            #expect(lookups.current == [canonical], "\(base) was looked up as \(lookups.current)")
        }
    }

    @Test func anUntrustedCertificateIsATLSFailure() async throws {
        let t = try TestApp(outbound: OutboundClient(policy: OutboundPolicy(privateHosts: ["localhost"])))
        try await t.createAccount(apiKeyBody("openai", "/openai/v1")(emulator.baseURL, "good", "openai:tls"))
        #expect(await t.bearer(.post, "/api/accounts/openai:tls/test").json["category"] as? String == "tls")
    }

    @Test func aClosedPortIsANetworkFailure() async throws {
        let t = try TestApp()
        try await t.createAccount(apiKeyBody("openai", "/v1")("https://localhost:1", "good", "openai:closed"))
        #expect(await t.bearer(.post, "/api/accounts/openai:closed/test").json["category"] as? String == "network")
    }

    @Test func redirectsAreNotFollowed() async throws {
        let key = "sk-redirect-\(UUID().uuidString)"
        let result = await TestApp.testOutbound.send(OutboundRequest(.GET, emulator.baseURL + "/openai/v1/models", headers: [("Authorization", "Bearer \(key)")]))
        guard case .failure(.redirect(_, 302)) = result else { Issue.record("\(result)"); return }
        // One request, to the emulator; the Location (cloud metadata) was not visited.
        #expect(emulator.received.filter { $0.header("Authorization") == "Bearer \(key)" }.count == 1)
    }
}

extension Result where Failure == OutboundFailure {
    var failureCategory: TestCategory? { if case .failure(let f) = self { f.category } else { nil } }
}
