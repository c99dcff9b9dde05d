@testable import Core
import Foundation
@testable import Settings
import Testing

/// A fixed directory: a list of providers and models, and Anthropic's key prefix.
struct StaticModelDirectory: ModelDirectory {
    let providers: [String: ProviderFacts]
    let models: [String: ModelFacts]
    let generation: Int
    let keyPrefixes: [String]

    init(providers: [ProviderFacts], models: [ModelFacts], generation: Int = 0, keyPrefixes: [String] = ["sk-ant-"]) {
        self.providers = Dictionary(providers.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.models = Dictionary(models.map { ($0.reference, $0) }, uniquingKeysWith: { a, _ in a })
        self.generation = generation
        self.keyPrefixes = keyPrefixes
    }

    func provider(_ id: String) -> ProviderFacts? { providers[id] }
    func model(provider: String, id: String) -> ModelFacts? { models["\(provider)/\(id)"] }
}

/// A fixed model table, so these tests do not move when the shipped catalog changes.
let testDirectory = StaticModelDirectory(
    providers: [
        ProviderFacts(id: "anthropic", name: "Anthropic", runsClaudeCodeSDK: true),
        ProviderFacts(id: "openai", name: "OpenAI"),
        ProviderFacts(id: "bedrock", name: "Bedrock", runsClaudeCodeSDK: true),
    ],
    models: [
        ModelFacts(provider: "anthropic", id: "large", name: "Large", maxOutputTokens: 64_000, supportsImageInput: true),
        ModelFacts(provider: "anthropic", id: "small", name: "Small", maxOutputTokens: 8_192),
        ModelFacts(provider: "anthropic", id: "tiny", name: "Tiny", maxOutputTokens: 1_000),
        ModelFacts(provider: "openai", id: "reasoner", name: "Reasoner", maxOutputTokens: 100_000, supportsTemperature: false),
        ModelFacts(provider: "openai", id: "painter", name: "Painter", maxOutputTokens: nil, supportsImageOutput: true),
        ModelFacts(provider: "openai", id: "org/model", name: "Slashed", maxOutputTokens: 4_096),
    ])

func json(_ text: String) -> JSONValue {
    guard let value = JSONValue.parse(Array(text.utf8)) else { fatalError("bad JSON in test: \(text)") }
    return value
}

/// Applies a patch to a stored document and returns the errors (empty when it was accepted).
func errors(_ patch: String, on stored: JSONValue = .object([:]), directory: any ModelDirectory = testDirectory) -> [SettingsIssue] {
    do {
        _ = try Settings(directory: directory).apply(json(patch), to: stored)
        return []
    } catch {
        guard case .invalid(let issues) = error else { return [] }
        return issues
    }
}

func accepted(_ patch: String, on stored: JSONValue = .object([:])) throws -> Settings.Evaluation {
    try Settings(directory: testDirectory).apply(json(patch), to: stored)
}

// MARK: Tests

/// RFC 7396 Appendix A, every example.
@Suite struct MergePatchTests {
    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"a":1,"e":null}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func appendixA(original: String, patch: String, result: String) {
        #expect(MergePatch.apply(json(patch), to: json(original)) == json(result))
    }

    @Test func changedPathsNameEveryLeafThatMoved() {
        let paths = MergePatch.changedPaths(from: json(#"{"a":{"b":1,"c":[1]},"d":"x"}"#), to: json(#"{"a":{"b":2,"c":[1]},"e/f":true}"#))
        #expect(paths == ["/a/b", "/d", "/e~1f"])
    }

    @Test func anEmptyObjectThatAppearsOrDisappearsIsAChangedPath() {
        #expect(MergePatch.changedPaths(from: json(#"{"a":{}}"#), to: json(#"{"a":{"b":{}}}"#)) == ["/a/b"])
        #expect(MergePatch.changedPaths(from: json(#"{"a":{"b":{}}}"#), to: json(#"{}"#)) == ["/a/b"])
    }

    @Test func pruningKeepsTheEmptyMembersOfOneObjectOnly() {
        let merged = json(#"{"a":{"keep":{"x":{},"y":{"z":{}}},"drop":{}},"b":{}}"#)
        #expect(MergePatch.pruned(merged) == json("{}"))
        #expect(MergePatch.pruned(merged, keepingEmpty: ["a", "keep"]) == json(#"{"a":{"keep":{"x":{},"y":{}}}}"#))
    }
}

@Suite struct SettingsDocumentTests {
    @Test func anEmptyStoreReadsAsTheDefaults() throws {
        let evaluation = Settings(directory: testDirectory).current(.object([:]))
        let d = evaluation.document
        #expect(d.value(at: ["agents", "defaults", "runtime"]) == .string("pi"))
        #expect(d.value(at: ["agents", "defaults", "heartbeat", "every"]) == .string("30m"))
        #expect(d.value(at: ["agents", "defaults", "heartbeat", "escalateToMain"]) == .bool(false))
        #expect(d.value(at: ["agents", "defaults", "model", "fallbacks"]) == .array([]))
        #expect(d.value(at: ["agents", "defaults", "params", "temperature"]) == .number(0.7))
        #expect(d.value(at: ["agents", "defaults", "params", "maxTokens"]) == .number(4096))
        #expect(d.value(at: ["agents", "defaults", "blockStreamingDefault"]) == .string("on"))
        #expect(d.value(at: ["agents", "defaults", "blockStreamingBreak"]) == .string("text_end"))
        #expect(d.value(at: ["agents", "defaults", "blockStreamingChunk"]) == json(#"{"minChars":800,"maxChars":1200,"breakPreference":"paragraph"}"#))
        #expect(d.value(at: ["agents", "defaults", "blockStreamingCoalesce", "idleMs"]) == .number(0))
        #expect(d.value(at: ["agents", "defaults", "humanDelay", "mode"]) == .string("off"))
        // Keys whose absence means "inherit" stay absent.
        #expect(d.value(at: ["agents", "main"]) == nil)
        #expect(d.value(at: ["agents", "defaults", "heartbeat", "activeHours"]) == nil)
        #expect(evaluation.errors.isEmpty && evaluation.warnings.isEmpty)
        #expect(evaluation.effective.streaming)
    }

    @Test func nullDeletesAValueAndTheDefaultShowsAgain() throws {
        let set = try accepted(#"{"agents":{"defaults":{"runtime":"claude-code-sdk"}}}"#)
        #expect(set.document.value(at: ["agents", "defaults", "runtime"]) == .string("claude-code-sdk"))
        let reset = try accepted(#"{"agents":{"defaults":{"runtime":null}}}"#, on: set.stored)
        #expect(reset.document.value(at: ["agents", "defaults", "runtime"]) == .string("pi"))
        #expect(reset.stored == .object([:]), "the store keeps only what the operator set; emptied objects are pruned")
    }

    /// Every key: values it takes, and values it refuses with the code the page branches on.
    @Test(arguments: [
        ("/agents/defaults/runtime", [#""pi""#, #""claude-code-sdk""#], [(#""docker""#, "not_allowed"), ("1", "not_allowed")]),
        ("/agents/defaults/mainRuntime", [#""pi""#, #""claude-code-sdk""#], [(#""x""#, "not_allowed")]),
        ("/agents/defaults/mainCcsdkProvider", [#""anthropic""#, #""bedrock""#], [(#""openai""#, "not_sdk_provider"), (#""nope""#, "unknown_provider"), ("true", "type")]),
        ("/agents/main/runtime", [#""pi""#], [(#""PI""#, "not_allowed")]),
        ("/agents/main/model", [#""anthropic/large""#, #""openai/org/model""#], [(#""anthropic/none""#, "unknown_model"), (#""nobody/x""#, "unknown_provider"), (#""a b""#, "invalid_format"), (#""/x""#, "invalid_format"), ("3", "type")]),
        ("/agents/main/sdk/model", [#""anthropic/small""#], [(#""anthropic/""#, "invalid_format")]),
        ("/agents/main/sdk/thinkingBudget", ["0", "1024", "128000"], [("512", "out_of_range"), ("-1", "out_of_range"), ("200000", "out_of_range"), ("1024.5", "type")]),
        ("/agents/main/instructions", [#""Be brief.""#, #""""#], [("false", "type"), ("\"" + String(repeating: "x", count: 20_001) + "\"", "too_long")]),
        ("/agents/defaults/heartbeat/every", [#""15m""#, #""30m""#, #""1h""#, #""2h""#, #""4h""#, #""daily""#, #""0m""#], [(#""5m""#, "not_allowed")]),
        ("/agents/defaults/heartbeat/activeHours", [#"{"start":"09:00","end":"18:00"}"#, #"{"start":"22:00","end":"06:00","timezone":"Europe/Berlin"}"#, #"{"start":"00:00","end":"24:00","timezone":"UTC"}"#],
         [(#"{"start":"9:00","end":"18:00"}"#, "invalid_format"), (#"{"start":"09:00","end":"25:00"}"#, "invalid_format"), (#"{"start":"24:00","end":"06:00"}"#, "invalid_format"),
          (#"{"start":"09:00"}"#, "required"), (#"{"start":"09:00","end":"09:00"}"#, "empty_range"), (#"{"start":"09:00","end":"18:00","timezone":"Mars/Olympus"}"#, "invalid_format"),
          (#"{"start":"09:00","end":"18:00","tz":"UTC"}"#, "unknown_key"), (#""9-5""#, "type")]),
        ("/agents/defaults/heartbeat/model", [#""anthropic/small""#], [(#""anthropic/nope""#, "unknown_model")]),
        ("/agents/defaults/heartbeat/escalateToMain", ["true", "false"], [(#""yes""#, "type")]),
        ("/agents/defaults/model/primary", [#""anthropic/large""#], [(#""openai""#, "unknown_alias")]),
        ("/agents/defaults/model/fallbacks", ["[]", #"["anthropic/small","openai/reasoner"]"#], [(#""anthropic/small""#, "type"), ("[1]", "type"), (#"["nobody/x"]"#, "unknown_provider")]),
        ("/agents/defaults/imageModel/primary", [#""openai/painter""#], [(#""openai/nope""#, "unknown_model")]),
        ("/agents/defaults/imageModel/fallbacks", [#"["anthropic/large"]"#], [(#"{"a":1}"#, "type")]),
        ("/agents/defaults/params/temperature", ["0", "0.2", "1", "2"], [("-0.1", "out_of_range"), ("2.1", "out_of_range"), (#""warm""#, "type")]),
        ("/agents/defaults/params/maxTokens", ["1", "512", "4096", "200000"], [("0", "out_of_range"), ("1.5", "type"), ("2000000", "out_of_range")]),
        ("/agents/defaults/blockStreamingDefault", [#""on""#, #""off""#], [("true", "not_allowed"), (#""yes""#, "not_allowed")]),
        ("/agents/defaults/blockStreamingBreak", [#""text_end""#, #""message_end""#], [(#""paragraph""#, "not_allowed")]),
        ("/agents/defaults/blockStreamingChunk", [#"{"minChars":50,"maxChars":50}"#, #"{"breakPreference":"sentence"}"#, #"{"breakPreference":"newline","minChars":1,"maxChars":10000}"#],
         [(#"{"minChars":0}"#, "out_of_range"), (#"{"maxChars":10001}"#, "out_of_range"), (#"{"minChars":900,"maxChars":100}"#, "min_above_max"), (#"{"breakPreference":"word"}"#, "not_allowed")]),
        ("/agents/defaults/blockStreamingCoalesce", [#"{"idleMs":0}"#, #"{"idleMs":1000}"#], [(#"{"idleMs":-5}"#, "out_of_range"), (#"{"idle":5}"#, "unknown_key")]),
        ("/agents/defaults/humanDelay", [#"{"mode":"off"}"#, #"{"mode":"natural"}"#, #"{"mode":"custom","minMs":800,"maxMs":2500}"#, #"{"mode":"natural","minMs":5}"#],
         [(#"{"mode":"custom"}"#, "required"), (#"{"mode":"custom","minMs":3000,"maxMs":1000}"#, "min_above_max"), (#"{"mode":"fast"}"#, "not_allowed"), (#"{"mode":"custom","minMs":0,"maxMs":70000}"#, "out_of_range")]),
    ] as [(String, [String], [(String, String)])])
    func everyKeyValidatesItsValues(pointer: String, valid: [String], invalid: [(String, String)]) throws {
        let path = try #require(JSONPointer.parse(pointer))
        for value in valid {
            let patch = JSONValue.object([:]).setting(json(value), at: path)
            let found = errors(patch.serialized)
            #expect(found.isEmpty, "\(pointer) = \(value.prefix(60)) should be accepted, got \(found)")
        }
        for (value, code) in invalid {
            let patch = JSONValue.object([:]).setting(json(value), at: path)
            let found = errors(patch.serialized)
            #expect(found.contains { $0.pointer.hasPrefix(pointer) && $0.code == code },
                    "\(pointer) = \(value.prefix(60)) should fail with \(code), got \(found)")
        }
    }

    @Test func unknownKeysAreRefusedWithASuggestion() {
        let found = errors(#"{"agents":{"defaults":{"params":{"temprature":0.5}},"mian":{"model":"x"}},"channels":{"a":1}}"#)
        #expect(Set(found.map(\.pointer)) == ["/agents/defaults/params/temprature", "/agents/mian", "/channels"])
        #expect(found.allSatisfy { $0.code == "unknown_key" })
        #expect(found.first { $0.pointer == "/agents/defaults/params/temprature" }?.message.contains("\"temperature\"") == true)
    }

    @Test func deletingAKeyThatNamesNoSettingIsRefusedNotANoOp() throws {
        // Given a patch that "deletes" misspelt keys, an empty object of one and a model entry that is no reference
        let found = errors(#"{"agents":{"defualts":null,"main":{"sdk":{"thinkingBudgt":{}}},"defaults":{"models":{"gpt":null}}},"":null}"#)
        // Then each is refused by pointer, as it would be with a value, instead of answering 200 and resetting nothing
        #expect(Set(found.map(\.pointer)) == ["/agents/defualts", "/agents/main/sdk/thinkingBudgt", "/agents/defaults/models/gpt", "/"])
        #expect(found.first { $0.pointer == "/agents/defualts" }?.code == "unknown_key")
        #expect(found.first { $0.pointer == "/agents/defualts" }?.message.contains("\"defaults\"") == true)
        #expect(found.first { $0.pointer == "/agents/defaults/models/gpt" }?.code == "invalid_format")
        // While deleting a real setting, one that is not set, or a key the stored document still has, is fine
        _ = try accepted(#"{"agents":{"main":{"model":null},"defaults":{"models":{"openai/reasoner":null}}}}"#)
        _ = try accepted(#"{"legacy":null}"#, on: json(#"{"legacy":{"kept":true}}"#))
    }

    @Test func everyBadFieldIsListedNotJustTheFirst() {
        let found = errors(#"{"agents":{"defaults":{"runtime":"x","params":{"temperature":9,"maxTokens":0},"heartbeat":{"every":"1m"}}}}"#)
        #expect(Set(found.map(\.pointer)) == ["/agents/defaults/runtime", "/agents/defaults/params/temperature",
                                              "/agents/defaults/params/maxTokens", "/agents/defaults/heartbeat/every"])
    }

    @Test func aDocumentThatIsNotAnObjectIsRefused() {
        #expect(errors(#"["a"]"#).map(\.code) == ["type"])
        #expect(errors(#"{"agents":5}"#).map(\.pointer) == ["/agents"])
    }

    // MARK: Secrets

    @Test(arguments: [
        #"{"agents":{"defaults":{"apiKey":"abc"}}}"#,
        #"{"agents":{"defaults":{"models":{"anthropic/large":{"params":{"api_key":"abc"}}}}}}"#,
        #"{"agents":{"defaults":{"models":{"anthropic/large":{"params":{"accessToken":"abc"}}}}}}"#,
        #"{"agents":{"main":{"password":"hunter2"}}}"#,
        #"{"agents":{"main":{"instructions":"use sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}}"#,
        #"{"agents":{"defaults":{"models":{"anthropic/large":{"params":{"user":"AKIAIOSFODNN7EXAMPLE"}}}}}}"#,
        #"{"agents":{"main":{"instructions":"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"}}}"#,
    ])
    func secretsAreRefusedAndPointToTheCredentialAPI(patch: String) {
        let found = errors(patch)
        #expect(found.count == 1 && found[0].code == "secret_not_allowed", "\(found)")
        #expect(found.first?.message.contains("/api/accounts/{id}/credential") == true)
        #expect(!found.contains { $0.message.contains("hunter2") || $0.message.contains("sk-ant") || $0.message.contains("AKIA") })
    }

    @Test func maxTokensIsNotMistakenForASecret() {
        #expect(errors(#"{"agents":{"defaults":{"models":{"anthropic/large":{"params":{"maxTokens":100,"top_k":5}}}}}}"#).isEmpty)
    }

    // MARK: Model references and aliases

    @Test func anAliasResolvesToItsModelEverywhere() throws {
        let e = try accepted(#"{"agents":{"defaults":{"models":{"anthropic/small":{"alias":"quick"}},"model":{"primary":"quick","fallbacks":["anthropic/large"]},"heartbeat":{"model":"Quick"}}}}"#)
        #expect(e.effective.model.primary == "anthropic/small")
        #expect(e.effective.heartbeat.model == "anthropic/small")
        #expect(e.effective.heartbeat.modelFrom == "/agents/defaults/heartbeat/model")
    }

    @Test func aliasesAreUniqueAcrossModels() {
        let found = errors(#"{"agents":{"defaults":{"models":{"anthropic/small":{"alias":"fast"},"anthropic/large":{"alias":"Fast"}}}}}"#)
        #expect(found.map(\.code) == ["alias_taken"])
        #expect(found.first?.pointer == "/agents/defaults/models/anthropic~1small/alias")
    }

    @Test func aliasesCannotLookLikeReferences() {
        #expect(errors(#"{"agents":{"defaults":{"models":{"anthropic/small":{"alias":"a/b"}}}}}"#).map(\.code) == ["invalid_format"])
    }

    @Test func unknownModelsNeedAManualEntry() throws {
        #expect(errors(#"{"agents":{"defaults":{"model":{"primary":"anthropic/brand-new"}}}}"#).map(\.code) == ["unknown_model"])
        #expect(errors(#"{"agents":{"defaults":{"models":{"anthropic/brand-new":{"alias":"nb"}}}}}"#).map(\.code) == ["unknown_model"])
        let e = try accepted(#"{"agents":{"defaults":{"model":{"primary":"anthropic/brand-new"},"models":{"anthropic/brand-new":{"manual":true}}}}}"#)
        #expect(e.effective.model.primary == "anthropic/brand-new")
        #expect(e.effective.params.maxTokensCap == nil, "a manual model has no known cap")
        // The provider must still exist.
        #expect(errors(#"{"agents":{"defaults":{"models":{"nobody/x":{"manual":true}}}}}"#).map(\.code) == ["unknown_provider"])
    }

    @Test func fallbacksHaveNoDuplicatesAndDoNotRepeatThePrimary() {
        let found = errors(#"{"agents":{"defaults":{"models":{"anthropic/small":{"alias":"s"}},"model":{"primary":"anthropic/large","fallbacks":["anthropic/small","anthropic/large","s"]}}}}"#)
        #expect(found.map(\.pointer) == ["/agents/defaults/model/fallbacks/1", "/agents/defaults/model/fallbacks/2"])
        #expect(found.map(\.code) == ["repeats_primary", "duplicate"])
        #expect(errors(#"{"agents":{"defaults":{"model":{"fallbacks":["anthropic/small","anthropic/small"]}}}}"#).map(\.code) == ["duplicate"])
    }

    @Test func tooManyFallbacksAreRefused() {
        let list = (0..<17).map { _ in #""anthropic/small""# }.joined(separator: ",")
        #expect(errors(#"{"agents":{"defaults":{"model":{"fallbacks":[\#(list)]}}}}"#).contains { $0.code == "too_many" })
    }

    @Test func aModelThatLeftTheCatalogIsAWarningNotALockout() throws {
        let stored = try accepted(#"{"agents":{"defaults":{"model":{"primary":"anthropic/small"}}}}"#).stored
        let shrunk = StaticModelDirectory(providers: [ProviderFacts(id: "anthropic", name: "Anthropic")], models: [])
        let settings = Settings(directory: shrunk)
        #expect(settings.current(stored).warnings.map(\.code) == ["model_not_in_catalog"])
        // An unrelated change still saves.
        let next = try settings.apply(json(#"{"agents":{"defaults":{"runtime":"claude-code-sdk"}}}"#), to: stored)
        #expect(next.warnings.map(\.code) == ["model_not_in_catalog"])
        // Choosing the missing model anew is refused.
        #expect(throws: Settings.Failure.self) {
            try settings.apply(json(#"{"agents":{"defaults":{"heartbeat":{"model":"anthropic/small"}}}}"#), to: stored)
        }
    }

    // MARK: Response length and its cap

    @Test func responseLengthCannotExceedThePrimaryModelsMaximum() {
        let found = errors(#"{"agents":{"defaults":{"model":{"primary":"anthropic/small"},"params":{"maxTokens":9000}}}}"#)
        #expect(found.map(\.code) == ["above_model_max"])
        #expect(found.first?.pointer == "/agents/defaults/params/maxTokens")
        #expect(found.first?.message.contains("8192") == true)
    }

    @Test func changingThePrimaryToASmallerModelLowersResponseLengthAndSaysSo() throws {
        let first = try accepted(#"{"agents":{"defaults":{"model":{"primary":"anthropic/large"},"params":{"maxTokens":16000}}}}"#)
        let second = try accepted(#"{"agents":{"defaults":{"model":{"primary":"anthropic/small"}}}}"#, on: first.stored)
        #expect(second.document.value(at: ["agents", "defaults", "params", "maxTokens"]) == .number(8192))
        let warning = try #require(second.warnings.first { $0.code == "max_tokens_lowered" })
        #expect(warning.pointer == "/agents/defaults/params/maxTokens")
        #expect(warning.message.contains("16000") && warning.message.contains("8192"))
        // The default 4096 is above Tiny's 1000: choosing Tiny lowers it too.
        let tiny = try accepted(#"{"agents":{"defaults":{"model":{"primary":"anthropic/tiny"}}}}"#)
        #expect(tiny.effective.params.maxTokens == 1000)
        #expect(tiny.effective.params.maxTokensCap == 1000)
    }

    @Test func perModelParamsOverrideGlobalOnesForThePrimary() throws {
        let e = try accepted(#"{"agents":{"defaults":{"model":{"primary":"anthropic/large"},"params":{"temperature":0.3,"maxTokens":2048},"models":{"anthropic/large":{"params":{"maxTokens":30000}}}}}}"#)
        #expect(e.effective.params.maxTokens == 30000)
        #expect(e.effective.params.maxTokensFrom == "/agents/defaults/models/anthropic~1large/params/maxTokens")
        #expect(e.effective.params.temperature == 0.3)
        #expect(e.effective.params.temperatureFrom == "/agents/defaults/params/temperature")
        #expect(e.effective.params.maxTokensCap == 64000)
    }

    @Test func perModelParamsRespectThatModel() {
        #expect(errors(#"{"agents":{"defaults":{"models":{"anthropic/small":{"params":{"maxTokens":9000}}}}}}"#).map(\.code) == ["above_model_max"])
        #expect(errors(#"{"agents":{"defaults":{"models":{"openai/reasoner":{"params":{"temperature":0.5}}}}}}"#).map(\.code) == ["unsupported_param"])
        #expect(errors(#"{"agents":{"defaults":{"models":{"openai/reasoner":{"params":{"reasoning_effort":"high","top_p":0.9}}}}}}"#).isEmpty)
        #expect(errors(#"{"agents":{"defaults":{"models":{"openai/reasoner":{"params":{"9lives":1}}}}}}"#).map(\.code) == ["invalid_name"])
    }

    // MARK: Warnings

    @Test func creativityOutsideTheRecommendedRangeIsSavedWithAWarning() throws {
        let e = try accepted(#"{"agents":{"defaults":{"params":{"temperature":1.4}}}}"#)
        #expect(e.document.value(at: ["agents", "defaults", "params", "temperature"]) == .number(1.4))
        #expect(e.warnings.map(\.code) == ["outside_recommended"])
        #expect(try accepted(#"{"agents":{"defaults":{"params":{"temperature":0.8}}}}"#).warnings.isEmpty)
    }

    @Test func creativityOnAModelWithoutTemperatureIsAWarning() throws {
        let e = try accepted(#"{"agents":{"defaults":{"model":{"primary":"openai/reasoner"}}}}"#)
        #expect(e.warnings.map(\.code) == ["ignored_by_model"])
        #expect(e.effective.params.temperatureApplies == false)
    }

    @Test func anImageModelThatCannotHandleImagesIsAWarning() throws {
        #expect(try accepted(#"{"agents":{"defaults":{"imageModel":{"primary":"anthropic/small"}}}}"#).warnings.map(\.code) == ["not_image_model"])
        #expect(try accepted(#"{"agents":{"defaults":{"imageModel":{"primary":"openai/painter"}}}}"#).warnings.isEmpty)
    }

    // MARK: System Brain precedence

    @Test func systemBrainRuntimeFollowsItsChain() throws {
        let inherit = try accepted(#"{"agents":{"defaults":{"runtime":"claude-code-sdk"}}}"#)
        #expect(inherit.effective.systemBrain.runtime == "claude-code-sdk")
        #expect(inherit.effective.systemBrain.runtimeFrom == "/agents/defaults/runtime")

        let mainOnly = try accepted(#"{"agents":{"defaults":{"runtime":"claude-code-sdk","mainRuntime":"pi"}}}"#)
        #expect(mainOnly.effective.systemBrain.runtime == "pi")
        #expect(mainOnly.effective.systemBrain.runtimeFrom == "/agents/defaults/mainRuntime")

        let explicit = try accepted(#"{"agents":{"defaults":{"runtime":"pi","mainRuntime":"pi"},"main":{"runtime":"claude-code-sdk"}}}"#)
        #expect(explicit.effective.systemBrain.runtime == "claude-code-sdk")
        #expect(explicit.effective.systemBrain.runtimeFrom == "/agents/main/runtime")

        #expect(try accepted("{}").effective.systemBrain.runtime == "pi")
    }

    @Test func systemBrainModelFallsBackToTheDefaultModel() throws {
        let e = try accepted(#"{"agents":{"defaults":{"model":{"primary":"anthropic/large"}}}}"#)
        #expect(e.effective.systemBrain.model == "anthropic/large")
        #expect(e.effective.systemBrain.modelFrom == "/agents/defaults/model/primary")
        #expect(e.effective.systemBrain.sdkModel == nil, "no SDK model unless the SDK runtime applies")

        let sdk = try accepted(#"{"agents":{"defaults":{"model":{"primary":"anthropic/large"},"mainCcsdkProvider":"bedrock"},"main":{"runtime":"claude-code-sdk","model":"anthropic/small","sdk":{"thinkingBudget":2048}}}}"#)
        #expect(sdk.effective.systemBrain.model == "anthropic/small")
        #expect(sdk.effective.systemBrain.sdkModel == "anthropic/small")
        #expect(sdk.effective.systemBrain.sdkModelFrom == "/agents/main/model")
        #expect(sdk.effective.systemBrain.ccsdkProvider == "bedrock")
        #expect(sdk.effective.systemBrain.thinkingBudget == 2048)
    }

    @Test func streamingToggleMapsToTheKeyInOnePlace() throws {
        let hints = try #require(SchemaExport.document.hints["/agents/defaults/blockStreamingDefault"])
        #expect(hints.toggle?.on == .string("on") && hints.toggle?.off == .string("off"))
        #expect(hints.label == "Streaming replies")
        #expect(try accepted(#"{"agents":{"defaults":{"blockStreamingDefault":"off"}}}"#).effective.streaming == false)
    }
}
