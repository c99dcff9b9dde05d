@testable import API
@testable import Core
import Foundation
import HTTPTypes
@testable import Settings
import Testing

extension TestApp {
    func patchConfig(_ body: String, ifMatch: String?, contentType: String = "application/merge-patch+json") async -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return await bearer(.patch, "/api/config", headers: headers, body: body)
    }

    func currentETag() async throws -> String {
        try #require(await bearer(.get, "/api/config").headers[.eTag])
    }
}

extension Response {
    var errors: [[String: String]] { (json["errors"] as? [[String: String]]) ?? [] }
    var warnings: [[String: String]] { (json["warnings"] as? [[String: String]]) ?? [] }
    func config(_ pointer: String) -> Any? {
        var current: Any? = json["config"]
        for key in JSONPointer.parse(pointer) ?? [] { current = (current as? [String: Any])?[key] }
        return current
    }
}

// MARK: Tests

@Suite struct ConfigAPITests {
    @Test func getReturnsTheDocumentRevisionEffectiveValuesAndETag() async throws {
        let t = try TestApp()
        let response = await t.bearer(.get, "/api/config")
        #expect(response.status == .ok)
        #expect(response.headers[.eTag] == "\"1\"")
        #expect(response.json["revision"] as? Int == 1)
        #expect(response.config("/agents/defaults/runtime") as? String == "pi")
        let brain = (response.json["effective"] as? [String: Any])?["systemBrain"] as? [String: Any]
        #expect(brain?["runtime"] as? String == "pi")
        #expect(brain?["runtimeFrom"] as? String == "/agents/defaults/runtime")
        #expect(await t.send(.get, "/api/config").status == .unauthorized)
    }

    @Test func ifNoneMatchWithTheCurrentETagIs304() async throws {
        let t = try TestApp()
        let response = await t.bearer(.get, "/api/config", headers: [.ifNoneMatch: "\"1\""])
        #expect(response.status == .notModified)
        #expect(response.body.isEmpty)
        #expect(await t.bearer(.get, "/api/config", headers: [.ifNoneMatch: "W/\"1\""]).status == .notModified)
        #expect(await t.bearer(.get, "/api/config", headers: [.ifNoneMatch: "\"7\""]).status == .ok)
    }

    @Test func patchWithoutIfMatchIs428AndChangesNothing() async throws {
        let t = try TestApp()
        let response = await t.patchConfig(#"{"agents":{"defaults":{"runtime":"claude-code-sdk"}}}"#, ifMatch: nil)
        #expect(response.status == .preconditionRequired)
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(response.problemSlug == "precondition-required")
        #expect(await t.patchConfig("{}", ifMatch: "*").status == .preconditionRequired)
        #expect(try await t.currentETag() == "\"1\"")
    }

    @Test func patchWithAnotherContentTypeIs415() async throws {
        let t = try TestApp()
        let response = await t.patchConfig("{}", ifMatch: "\"1\"", contentType: "application/json")
        #expect(response.status == .unsupportedMediaType)
        #expect(response.headers[HTTPField.Name("Accept-Patch")!] == "application/merge-patch+json")
    }

    @Test func patchWithAStaleETagIs412WithTheCurrentRevision() async throws {
        let t = try TestApp()
        #expect(await t.patchConfig(#"{"agents":{"defaults":{"runtime":"claude-code-sdk"}}}"#, ifMatch: "\"1\"").status == .ok)
        let stale = await t.patchConfig(#"{"agents":{"defaults":{"runtime":"pi"}}}"#, ifMatch: "\"1\"")
        #expect(stale.status == .preconditionFailed)
        #expect(stale.problemSlug == "stale-revision")
        #expect(stale.json["currentRevision"] as? Int == 2)
        #expect(stale.headers[.eTag] == "\"2\"")
        #expect(await t.patchConfig("{}", ifMatch: "W/\"2\"").status == .preconditionFailed, "weak tags never match")
        #expect(await t.bearer(.get, "/api/config").config("/agents/defaults/runtime") as? String == "claude-code-sdk")
    }

    @Test func successfulPatchBumpsTheRevisionByOneAndReportsWarnings() async throws {
        let t = try TestApp()
        let response = await t.patchConfig(#"{"agents":{"defaults":{"params":{"temperature":1.3}}}}"#, ifMatch: "\"1\"")
        #expect(response.status == .ok)
        #expect(response.headers[.eTag] == "\"2\"")
        #expect(response.json["revision"] as? Int == 2)
        #expect(response.json["changedPaths"] as? [String] == ["/agents/defaults/params/temperature"])
        #expect(response.warnings.map { $0["code"] } == ["outside_recommended"])
        #expect(response.config("/agents/defaults/params/temperature") as? Double == 1.3)
        let read = await t.bearer(.get, "/api/config")
        #expect(read.headers[.eTag] == "\"2\"")
        #expect(read.config("/agents/defaults/params/temperature") as? Double == 1.3)
    }

    @Test func invalidResultIs422ListingEveryFieldAndNothingChanges() async throws {
        let t = try TestApp()
        let before = await t.bearer(.get, "/api/config").text
        let response = await t.patchConfig(#"{"agents":{"defaults":{"runtime":"docker","params":{"temperature":3},"model":{"primary":"nobody/x"}}}}"#, ifMatch: "\"1\"")
        #expect(response.status == .unprocessableContent)
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(response.problemSlug == "invalid-settings")
        #expect(Set(response.errors.compactMap { $0["pointer"] }) == ["/agents/defaults/runtime", "/agents/defaults/params/temperature", "/agents/defaults/model/primary"])
        #expect(response.errors.allSatisfy { $0["code"] != nil && $0["message"] != nil })
        #expect(await t.bearer(.get, "/api/config").text == before)
        #expect(try t.database.configHistory(before: nil, limit: 10).count == 1)
    }

    @Test func aSecretInThePatchIs422PointingToTheCredentialAPIAndIsNotEchoed() async throws {
        let t = try TestApp()
        let secret = "sk-ant-api03-CANARYSECRETcanaryCANARYcanary0000"
        let response = await t.patchConfig(#"{"agents":{"defaults":{"models":{"anthropic/claude-sonnet-4-5-20250929":{"params":{"apiKey":"\#(secret)"}}}}}}"#, ifMatch: "\"1\"")
        #expect(response.status == .unprocessableContent)
        #expect(response.problemSlug == "secret-in-settings")
        #expect(response.text.contains("/api/accounts/{id}/credential"))
        #expect(!response.text.contains("CANARY"))
        let history = try t.database.configHistory(before: nil, limit: 10)
        #expect(history.count == 1 && !history[0].document.contains("CANARY"))
    }

    @Test func malformedJSONIs400() async throws {
        let t = try TestApp()
        let response = await t.patchConfig("{nope", ifMatch: "\"1\"")
        #expect(response.status == .badRequest)
        #expect(response.problemSlug == "malformed-json")
    }

    @Test func historyNamesTheActorNeverTheToken() async throws {
        let t = try TestApp()
        _ = await t.patchConfig(#"{"agents":{"defaults":{"runtime":"claude-code-sdk"}}}"#, ifMatch: "\"1\"")
        let history = await t.bearer(.get, "/api/config/history")
        #expect(history.status == .ok)
        let revisions = try #require(history.json["revisions"] as? [[String: Any]])
        #expect(revisions.map { $0["revision"] as? Int } == [2, 1])
        #expect(revisions[0]["actor"] as? String == "token:\(t.tokenID)")
        #expect(revisions[0]["changedPaths"] as? [String] == ["/agents/defaults/runtime"])
        #expect(!history.text.contains(t.token))
    }

    @Test func historyPages() async throws {
        let t = try TestApp()
        for n in 0..<5 {
            let etag = try await t.currentETag()
            #expect(await t.patchConfig(#"{"agents":{"main":{"instructions":"v\#(n)"}}}"#, ifMatch: etag).status == .ok)
        }
        let first = await t.bearer(.get, "/api/config/history", body: nil)
        #expect((first.json["revisions"] as? [Any])?.count == 6)
        var request = Request(method: .get, path: "/api/config/history", query: "limit=2&before=5", headers: [.authorization: "Bearer \(t.token)"])
        let page = await t.app.respond(to: request)
        #expect((page.json["revisions"] as? [[String: Any]])?.map { $0["revision"] as? Int } == [4, 3])
        #expect(page.json["nextBefore"] as? Int == 3)
        request.query = "limit=0"
        #expect(await t.app.respond(to: request).status == .badRequest)
    }

    @Test func oneRevisionShowsItsWholeDocument() async throws {
        let t = try TestApp()
        _ = await t.patchConfig(#"{"agents":{"main":{"instructions":"hello"}}}"#, ifMatch: "\"1\"")
        let response = await t.bearer(.get, "/api/config/history/2")
        #expect(response.status == .ok)
        #expect(response.config("/agents/main/instructions") as? String == "hello")
        #expect(response.config("/agents/defaults/runtime") as? String == "pi")
        #expect(await t.bearer(.get, "/api/config/history/99").status == .notFound)
        #expect(await t.bearer(.get, "/api/config/history/abc").status == .notFound)
    }

    @Test func revertMakesAnOldRevisionCurrentAsANewRevision() async throws {
        let t = try TestApp()
        _ = await t.patchConfig(#"{"agents":{"defaults":{"runtime":"claude-code-sdk"}}}"#, ifMatch: "\"1\"")
        _ = await t.patchConfig(#"{"agents":{"main":{"instructions":"x"}}}"#, ifMatch: "\"2\"")
        let json: HTTPFields = [.contentType: "application/json", .ifMatch: "\"3\""]
        let response = await t.bearer(.post, "/api/config/revert", headers: json, body: #"{"revision":1}"#)
        #expect(response.status == .ok)
        #expect(response.headers[.eTag] == "\"4\"")
        #expect(response.config("/agents/defaults/runtime") as? String == "pi")
        #expect(response.config("/agents/main/instructions") == nil)
        #expect(Set(response.json["changedPaths"] as? [String] ?? []) == ["/agents/defaults/runtime", "/agents/main/instructions"])
        let history = try t.database.configHistory(before: nil, limit: 1)
        #expect(history.first?.restoredFrom == 1)

        #expect(await t.bearer(.post, "/api/config/revert", headers: [.contentType: "application/json"], body: #"{"revision":1}"#).status == .preconditionRequired)
        #expect(await t.bearer(.post, "/api/config/revert", headers: json, body: #"{"revision":1}"#).status == .preconditionFailed)
        let unknown = await t.bearer(.post, "/api/config/revert", headers: [.contentType: "application/json", .ifMatch: "\"4\""], body: #"{"revision":42}"#)
        #expect(unknown.status == .unprocessableContent)
        #expect(unknown.errors.first?["pointer"] == "/revision")
    }

    @Test func schemaDescribesEveryKeyWithHints() async throws {
        let t = try TestApp()
        let response = await t.bearer(.get, "/api/config/schema")
        #expect(response.status == .ok)
        let schema = try #require(response.json["schema"] as? [String: Any])
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let hints = try #require(response.json["hints"] as? [String: [String: Any]])
        #expect(hints["/agents/defaults/params/temperature"]?["label"] as? String == "Creativity")
        #expect((hints["/agents/defaults/params/temperature"]?["presets"] as? [[String: Any]])?.map { $0["label"] as? String } == ["Precise", "Balanced", "Creative"])
        #expect(hints["/agents/defaults/params/maxTokens"]?["label"] as? String == "Response length")
        #expect(hints["/agents/defaults/heartbeat/escalateToMain"]?["experimental"] as? Bool == true)
        #expect(hints["/agents/defaults/models/*/alias"]?["label"] as? String == "Alias")
        // The schema validates the defaults: every default is inside its key's bounds (checked by the validator).
        #expect(Settings(directory: testDirectory).evaluate(.object([:])).errors.isEmpty)
    }

    @Test func concurrentPatchesWithTheSameETagGiveOne200AndOne412() async throws {
        let t = try TestApp()
        let results = await withTaskGroup(of: HTTPResponse.Status.self) { group in
            for n in 0..<8 {
                group.addTask { await t.patchConfig(#"{"agents":{"main":{"instructions":"writer \#(n)"}}}"#, ifMatch: "\"1\"").status }
            }
            return await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
        }
        #expect(results.filter { $0 == .ok }.count == 1)
        #expect(results.filter { $0 == .preconditionFailed }.count == 7)
        #expect(try t.database.currentConfig().revision == 2)
    }

    @Test func cookieWritesNeedTheCSRFHeader() async throws {
        let t = try TestApp()
        let cookie = try await t.signIn()
        let bare: HTTPFields = [.cookie: cookie, .contentType: "application/merge-patch+json", .ifMatch: "\"1\"", .origin: "http://sb.test", .host: "sb.test"]
        #expect(await t.send(.patch, "/api/config", headers: bare, body: "{}").status == .forbidden)
        var ok = bare
        ok[.csrf] = "1"
        let response = await t.send(.patch, "/api/config", headers: ok, body: #"{"agents":{"defaults":{"runtime":"claude-code-sdk"}}}"#)
        #expect(response.status == .ok)
        #expect((try t.database.currentConfig().actor).hasPrefix("session:ses_"))
    }
}

@Suite struct CatalogAPITests {
    @Test func listsProvidersWithCountsPricesAndAuthMethods() async throws {
        let t = try TestApp()
        let response = await t.bearer(.get, "/api/catalog")
        #expect(response.status == .ok)
        let providers = try #require(response.json["providers"] as? [[String: Any]])
        let anthropic = try #require(providers.first { $0["id"] as? String == "anthropic" })
        #expect((anthropic["modelCount"] as? Int ?? 0) >= 5)
        let prices = try #require(anthropic["pricePer1M"] as? [String: Double])
        #expect(prices["inputMin"]! < prices["inputMax"]!)
        #expect((anthropic["authMethods"] as? [[String: String]])?.first?["method"] == "api_key")
        #expect((response.json["problems"] as? [Any])?.isEmpty == true)
        #expect(await t.send(.get, "/api/catalog").status == .unauthorized)
    }

    @Test func oneProviderListsItsModelsWithCapabilities() async throws {
        let t = try TestApp()
        let response = await t.bearer(.get, "/api/catalog/gemini")   // Catwalk's id finds google
        #expect(response.status == .ok)
        #expect((response.json["provider"] as? [String: Any])?["id"] as? String == "google")
        let models = try #require(response.json["models"] as? [[String: Any]])
        let pro = try #require(models.first { $0["id"] as? String == "gemini-2.5-pro" })
        #expect(pro["reference"] as? String == "google/gemini-2.5-pro")
        let capabilities = try #require(pro["capabilities"] as? [String: Any])
        #expect(capabilities["maxOutputTokens"] as? Int == 65536)
        #expect(capabilities["maxTokensField"] as? String == "maxOutputTokens")
        #expect((pro["catwalk"] as? [String: Any])?["context_window"] != nil, "the Catwalk object is passed through")
        #expect(await t.bearer(.get, "/api/catalog/nope").status == .notFound)
    }

    @Test func theSettingsDocumentUsesTheCatalogsCap() async throws {
        let t = try TestApp()
        let response = await t.patchConfig(#"{"agents":{"defaults":{"model":{"primary":"anthropic/claude-3-5-haiku-20241022"}}}}"#, ifMatch: "\"1\"")
        #expect(response.status == .ok)
        #expect(response.config("/agents/defaults/params/maxTokens") as? Int == 4096)
        let tooLong = await t.patchConfig(#"{"agents":{"defaults":{"params":{"maxTokens":9000}}}}"#, ifMatch: "\"2\"")
        #expect(tooLong.status == .unprocessableContent)
        #expect(tooLong.errors.first?["code"] == "above_model_max")
    }
}

@Suite struct CustomProviderAPITests {
    static let ollama = #"{"id":"homelab","name":"Home Ollama","type":"ollama","api_endpoint":"http://127.0.0.1:11434/v1","models":[{"id":"llama3.3:70b","name":"Llama 3.3 70B","context_window":131072,"default_max_tokens":8192,"custom_note":"kept"}]}"#

    func put(_ t: TestApp, _ id: String, _ body: String) async -> Response {
        await t.bearer(.put, "/api/catalog/custom/\(id)", headers: [.contentType: "application/json"], body: body)
    }

    @Test func aCustomProviderIsAddedUsedByTheSettingsAndRemoved() async throws {
        let t = try TestApp()
        let added = await put(t, "homelab", Self.ollama)
        #expect(added.status == .ok)
        #expect(added.json["source"] as? String == "custom")
        #expect((added.json["authMethods"] as? [Any])?.isEmpty == true, "Ollama needs no credential")
        let detail = await t.bearer(.get, "/api/catalog/homelab")
        let model = (detail.json["models"] as? [[String: Any]])?.first
        #expect((model?["catwalk"] as? [String: Any])?["custom_note"] as? String == "kept")

        // The settings document can now name it, with its cap.
        let patch = await t.patchConfig(#"{"agents":{"defaults":{"model":{"primary":"homelab/llama3.3:70b"},"params":{"maxTokens":9000}}}}"#, ifMatch: "\"1\"")
        #expect(patch.status == .unprocessableContent, "8192 is the model's maximum")
        #expect(await t.patchConfig(#"{"agents":{"defaults":{"model":{"primary":"homelab/llama3.3:70b"}}}}"#, ifMatch: "\"1\"").status == .ok)

        // The file is 0600 under the state directory.
        let file = t.directory.appendingPathComponent("catalog/homelab.json").path
        let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) ?? 0
        #expect(mode == 0o600)

        #expect(await t.bearer(.delete, "/api/catalog/custom/homelab").status == .noContent)
        #expect(await t.bearer(.get, "/api/catalog/homelab").status == .notFound)
        #expect(await t.bearer(.delete, "/api/catalog/custom/homelab").status == .notFound)
        // The document still reads; the reference that left the catalog is a warning.
        let read = await t.bearer(.get, "/api/config")
        #expect(read.warnings.contains { $0["code"] == "unknown_provider" })
    }

    @Test func aCustomEntryOverridesTheShippedOneUntilItIsDeleted() async throws {
        let t = try TestApp()
        let proxy = #"{"id":"openai","name":"OpenAI via our proxy","type":"openai","api_endpoint":"https://llm-proxy.internal/v1","models":[{"id":"gpt-4o","default_max_tokens":16384}]}"#
        #expect(await put(t, "openai", proxy).status == .ok)
        #expect((await t.bearer(.get, "/api/catalog/openai").json["provider"] as? [String: Any])?["name"] as? String == "OpenAI via our proxy")
        #expect(await t.bearer(.delete, "/api/catalog/custom/openai").status == .noContent)
        #expect((await t.bearer(.get, "/api/catalog/openai").json["provider"] as? [String: Any])?["source"] as? String == "shipped")
    }

    @Test func aCatwalkFileImportsUnderTheCanonicalId() async throws {
        let t = try TestApp()
        #expect(await put(t, "google", catwalkSample).status == .ok, "the sample says id gemini")
        #expect((await t.bearer(.get, "/api/catalog/google").json["provider"] as? [String: Any])?["source"] as? String == "custom")
    }

    @Test func badEntriesAreRefusedWithThePointer() async throws {
        let t = try TestApp()
        let invalid = await put(t, "x", #"{"id":"x","name":"X","type":"openai","models":[{"id":"a","context_window":-1}]}"#)
        #expect(invalid.status == .unprocessableContent)
        #expect(invalid.errors.first?["pointer"] == "/models/0/context_window")
        let mismatch = await put(t, "x", #"{"id":"y","name":"Y","type":"openai","models":[]}"#)
        #expect(mismatch.errors.first?["code"] == "id_mismatch")
        #expect(await put(t, "..", "{}").status == .badRequest)
        #expect(await put(t, "%2e%2e%2fetc", "{}").status == .badRequest)
        #expect(!FileManager.default.fileExists(atPath: t.directory.appendingPathComponent("catalog/x.json").path))
    }

    @Test func anUnreadableFileIsReportedAndNeverOverwritten() async throws {
        let t = try TestApp()
        let dir = t.directory.appendingPathComponent("catalog")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let broken = Data(#"{"id":"lab","name":"Lab","type":"openai","models":"many"}"#.utf8)
        try broken.write(to: dir.appendingPathComponent("lab.json"))
        t.app.catalog.reload()
        let list = await t.bearer(.get, "/api/catalog")
        let problems = try #require(list.json["problems"] as? [[String: String]])
        #expect(problems.count == 1 && problems[0]["file"]?.hasSuffix("lab.json") == true && problems[0]["pointer"] == "/models")
        let replace = await put(t, "lab", #"{"id":"lab","name":"Lab","type":"openai","models":[]}"#)
        #expect(replace.status == .conflict)
        #expect(try Data(contentsOf: dir.appendingPathComponent("lab.json")) == broken)
        #expect(await t.bearer(.delete, "/api/catalog/custom/lab").status == .noContent, "an explicit delete removes it")
    }
}
