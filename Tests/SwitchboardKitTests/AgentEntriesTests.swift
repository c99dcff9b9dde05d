@testable import Core
import Foundation
@testable import Settings
import Testing

/// The defaults every inheritance test starts from: a primary with a fallback, global params, an alias, and
/// per-model params for the model the agents choose.
let agentDefaults = #"""
{"agents":{"defaults":{
  "runtime":"pi",
  "model":{"primary":"anthropic/large","fallbacks":["openai/reasoner"]},
  "imageModel":{"primary":"openai/painter"},
  "params":{"temperature":0.3,"maxTokens":2048},
  "models":{"anthropic/small":{"alias":"quick","params":{"maxTokens":5000,"top_p":0.9,"top_k":40}}}
}}}
"""#

/// `agentDefaults` with the given agents.
func withAgents(_ entries: String) throws -> Settings.Evaluation {
    let base = try accepted(agentDefaults)
    return try accepted(#"{"agents":{"entries":\#(entries)}}"#, on: base.stored)
}

/// The codes found at exactly `pointer`.
func codes(at pointer: String, in issues: [SettingsIssue]) -> [String] {
    issues.filter { $0.pointer == pointer }.map(\.code)
}

// MARK: Tests

/// `agents.entries.<id>`: OpenClaw's per-agent model, image model, params and runtime, each inherited from
/// `agents.defaults` when the agent leaves it out.
@Suite struct AgentEntriesTests {
    // MARK: Validation

    @Test func aFullEntryIsAcceptedAndTheAgentExists() throws {
        // Given the defaults
        // When an agent sets every member
        let e = try withAgents(#"""
        {"coder":{"model":{"primary":"anthropic/small","fallbacks":["anthropic/large"]},
                  "imageModel":{"primary":"anthropic/large","fallbacks":[]},
                  "params":{"temperature":0.5,"maxTokens":4000,"reasoning_effort":"high"},
                  "runtime":"claude-code-sdk"}}
        """#)
        // Then it is stored as sent, and the agent exists
        #expect(e.stored.value(at: ["agents", "entries", "coder", "runtime"]) == .string("claude-code-sdk"))
        #expect(e.warnings.isEmpty, "\(e.warnings)")
        #expect(e.agentExists("coder"))
        #expect(!e.agentExists("nobody"))
        #expect(e.agent("nobody") == nil && e.modelChoice(agent: "nobody") == nil)
    }

    @Test(arguments: ["Coder", "-coder", "_x", "a b", "a.b", "a/b", "é", String(repeating: "a", count: 65)])
    func aBadAgentIDIsAFieldError(id: String) {
        let pointer = "/agents/entries/" + JSONPointer.escape(id)
        let patch = JSONValue.object([:]).setting(.object([:]), at: ["agents", "entries", id])
        #expect(codes(at: pointer, in: errors(patch.serialized)) == ["invalid_format"], "\(id)")
        // Deleting one is refused the same way: it names no agent that could exist.
        let deletion = JSONValue.object([:]).setting(.null, at: ["agents", "entries", id])
        #expect(codes(at: pointer, in: errors(deletion.serialized)) == ["invalid_format"], "\(id)")
    }

    @Test(arguments: ["a", "0", "coder", "code-review_2", String(repeating: "a", count: 64)])
    func aSlugIsAnAgentID(id: String) throws {
        let patch = JSONValue.object([:]).setting(.object([:]), at: ["agents", "entries", id])
        #expect(try accepted(patch.serialized).agentExists(id))
    }

    @Test func atMost200AgentsAreAllowed() throws {
        let entries = { (n: Int) in "{" + (0..<n).map { #""agent-\#($0)":{}"# }.joined(separator: ",") + "}" }
        #expect(try withAgents(entries(SettingsSchema.maxAgents)).effective.agents.count == 200)
        let found = errors(#"{"agents":{"entries":\#(entries(201))}}"#)
        #expect(found.map(\.pointer) == ["/agents/entries"])
        #expect(found.map(\.code) == ["too_many"])
        #expect(found.first?.message.contains("200") == true)
    }

    /// The same rules as the defaults', by the agent's pointer.
    @Test(arguments: [
        (#"{"model":{"primary":"anthropic/nope"}}"#, "/agents/entries/coder/model/primary", "unknown_model"),
        (#"{"model":{"primary":"nobody/x"}}"#, "/agents/entries/coder/model/primary", "unknown_provider"),
        (#"{"model":{"primary":"a b"}}"#, "/agents/entries/coder/model/primary", "invalid_format"),
        (#"{"model":{"fallbacks":["fastest"]}}"#, "/agents/entries/coder/model/fallbacks/0", "unknown_alias"),
        (#"{"model":{"fallbacks":"anthropic/small"}}"#, "/agents/entries/coder/model/fallbacks", "type"),
        (#"{"imageModel":{"primary":"openai/nope"}}"#, "/agents/entries/coder/imageModel/primary", "unknown_model"),
        (#"{"model":{"primary":"anthropic/small","fallbacks":["quick"]}}"#, "/agents/entries/coder/model/fallbacks/0", "repeats_primary"),
        (#"{"model":{"fallbacks":["anthropic/small","quick"]}}"#, "/agents/entries/coder/model/fallbacks/1", "duplicate"),
        (#"{"params":{"temperature":2.1}}"#, "/agents/entries/coder/params/temperature", "out_of_range"),
        (#"{"params":{"temperature":"warm"}}"#, "/agents/entries/coder/params/temperature", "type"),
        (#"{"params":{"maxTokens":0}}"#, "/agents/entries/coder/params/maxTokens", "out_of_range"),
        (#"{"params":{"maxTokens":1.5}}"#, "/agents/entries/coder/params/maxTokens", "type"),
        (#"{"params":{"9lives":1}}"#, "/agents/entries/coder/params/9lives", "invalid_name"),
        (#"{"params":{"maxTokens":9000},"model":{"primary":"anthropic/small"}}"#, "/agents/entries/coder/params/maxTokens", "above_model_max"),
        (#"{"runtime":"docker"}"#, "/agents/entries/coder/runtime", "not_allowed"),
        (#"{"modle":{}}"#, "/agents/entries/coder/modle", "unknown_key"),
        (#"{"model":{"primary":"anthropic/large","fallback":[]}}"#, "/agents/entries/coder/model/fallback", "unknown_key"),
        (#""anthropic/large""#, "/agents/entries/coder", "type"),
    ])
    func anEntryIsValidatedLikeTheDefaults(entry: String, pointer: String, code: String) throws {
        let stored = try accepted(agentDefaults).stored
        let found = errors(#"{"agents":{"entries":{"coder":\#(entry)}}}"#, on: stored)
        #expect(codes(at: pointer, in: found) == [code], "\(found)")
    }

    @Test func tooManyFallbacksAreRefusedAtTheAgentsList() {
        let list = (0..<(SettingsSchema.maxFallbacks + 1)).map { _ in #""anthropic/small""# }.joined(separator: ",")
        let found = errors(#"{"agents":{"entries":{"coder":{"model":{"fallbacks":[\#(list)]}}}}}"#)
        #expect(codes(at: "/agents/entries/coder/model/fallbacks", in: found) == ["too_many"])
    }

    @Test func anUnknownMemberGetsASuggestion() {
        let found = errors(#"{"agents":{"entries":{"coder":{"runtme":"pi"}}}}"#)
        #expect(found.first?.message.contains("\"runtime\"") == true, "\(found)")
    }

    @Test func aManualModelEntryServesAgentsToo() throws {
        #expect(codes(at: "/agents/entries/coder/model/primary",
                      in: errors(#"{"agents":{"entries":{"coder":{"model":{"primary":"anthropic/brand-new"}}}}}"#)) == ["unknown_model"])
        let e = try accepted(#"{"agents":{"defaults":{"models":{"anthropic/brand-new":{"manual":true}}},"entries":{"coder":{"model":{"primary":"anthropic/brand-new"}}}}}"#)
        #expect(e.agent("coder")?.model.primary?.reference == "anthropic/brand-new")
        #expect(e.agent("coder")?.params.maxTokensCap == nil, "a manual model has no known cap")
    }

    @Test func anAgentNamedLikeASecretIsAnAgentButWhatItHoldsIsStillScanned() throws {
        // Given agent ids that a field name like them would make a secret
        let e = try accepted(#"{"agents":{"entries":{"github-token":{},"auth":{"runtime":"pi"}}}}"#)
        #expect(e.agentExists("github-token") && e.agentExists("auth"))
        // When one of them holds a credential
        let found = errors(#"{"agents":{"entries":{"auth":{"params":{"api_key":"abc"}}}}}"#)
        // Then that is refused at its own pointer
        #expect(found.map(\.pointer) == ["/agents/entries/auth/params/api_key"])
        #expect(found.map(\.code) == ["secret_not_allowed"])
        let pasted = errors(#"{"agents":{"entries":{"password":"sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}}"#)
        #expect(pasted.map(\.code) == ["secret_not_allowed"])
        #expect(!pasted.contains { $0.message.contains("sk-ant") })
    }

    // MARK: Effective values: agent over defaults

    @Test func whatAnAgentSetsWinsAndWhatItLeavesOutComesFromTheDefaults() throws {
        // Given an agent that sets its model, runtime and some params, and one that sets nothing
        let e = try withAgents(#"{"coder":{"model":{"primary":"anthropic/small"},"runtime":"claude-code-sdk","params":{"temperature":0.9,"top_k":5}},"silent":{}}"#)
        let coder = try #require(e.effective.agents["coder"])
        let silent = try #require(e.effective.agents["silent"])

        // Then the runtime is the agent's, else the defaults'
        #expect(coder.runtime == "claude-code-sdk" && coder.runtimeFrom == "/agents/entries/coder/runtime")
        #expect(silent.runtime == "pi" && silent.runtimeFrom == "/agents/defaults/runtime")

        // The primary is the agent's, else the defaults'; the fallbacks the defaults' (the agent sets no list)
        #expect(coder.model.primary?.reference == "anthropic/small")
        #expect(coder.model.primary?.from == "/agents/entries/coder/model/primary")
        #expect(coder.model.fallbacks.map(\.reference) == ["openai/reasoner"])
        #expect(coder.model.fallbacks.map(\.from) == ["/agents/defaults/model/fallbacks/0"])
        #expect(coder.model.fallbacksFrom == "/agents/defaults/model/fallbacks")
        #expect(silent.model.primary?.reference == "anthropic/large")
        #expect(silent.model.primary?.from == "/agents/defaults/model/primary")
        #expect(silent.imageModel.primary?.reference == "openai/painter")
        #expect(silent.imageModel.primary?.from == "/agents/defaults/imageModel/primary")

        // Params: the agent's, else the model's entry, else the global ones
        #expect(coder.params.model == "anthropic/small")
        #expect(coder.params.values == ["temperature": .number(0.9), "maxTokens": .number(5000), "top_p": .number(0.9), "top_k": .number(5)])
        #expect(coder.params.from == [
            "temperature": "/agents/entries/coder/params/temperature",
            "maxTokens": "/agents/defaults/models/anthropic~1small/params/maxTokens",
            "top_p": "/agents/defaults/models/anthropic~1small/params/top_p",
            "top_k": "/agents/entries/coder/params/top_k",
        ])
        #expect(silent.params.values == ["temperature": .number(0.3), "maxTokens": .number(2048)])
        #expect(silent.params.from == ["temperature": "/agents/defaults/params/temperature", "maxTokens": "/agents/defaults/params/maxTokens"])
    }

    @Test func anAgentsOwnFallbacksReplaceTheDefaultsEvenWhenEmpty() throws {
        let e = try withAgents(#"{"solo":{"model":{"fallbacks":[]}},"careful":{"model":{"fallbacks":["quick","openai/reasoner"]}}}"#)
        let solo = try #require(e.agent("solo"))
        #expect(solo.model.primary?.reference == "anthropic/large", "the primary is still inherited")
        #expect(solo.model.fallbacks.isEmpty)
        #expect(solo.model.fallbacksFrom == "/agents/entries/solo/model/fallbacks")
        let careful = try #require(e.modelChoice(agent: "careful"))
        #expect(careful.inOrder.map(\.reference) == ["anthropic/large", "anthropic/small", "openai/reasoner"])
        #expect(careful.inOrder.map(\.from) == ["/agents/defaults/model/primary", "/agents/entries/careful/model/fallbacks/0",
                                                "/agents/entries/careful/model/fallbacks/1"])
    }

    @Test func noAgentMeansTheDefaultsWithTheirPointers() throws {
        let e = try accepted(agentDefaults)
        let choice = try #require(e.modelChoice(agent: nil))
        #expect(choice.inOrder.map(\.reference) == ["anthropic/large", "openai/reasoner"])
        #expect(choice.inOrder.map(\.from) == ["/agents/defaults/model/primary", "/agents/defaults/model/fallbacks/0"])
        #expect(e.imageModelChoice(agent: nil)?.primary?.from == "/agents/defaults/imageModel/primary")
        #expect(e.agent(nil)?.runtimeFrom == "/agents/defaults/runtime")
        // The defaults' effective values keep their shape
        #expect(e.effective.model == EffectiveSettings.ModelChoice(primary: "anthropic/large", fallbacks: ["openai/reasoner"]))
    }

    @Test func anAliasResolvesToItsModelForAgents() throws {
        // Given an agent whose primary is the alias of anthropic/small, in another case
        let e = try withAgents(#"{"coder":{"model":{"primary":"Quick"},"imageModel":{"fallbacks":["quick"]}}}"#)
        let coder = try #require(e.agent("coder"))
        // Then it resolves to provider/model, with the agent's pointer, and that model's entry params apply
        #expect(coder.model.primary?.provider == "anthropic" && coder.model.primary?.model == "small")
        #expect(coder.model.primary?.from == "/agents/entries/coder/model/primary")
        #expect(coder.imageModel.fallbacks.map(\.reference) == ["anthropic/small"])
        #expect(coder.params.from["maxTokens"] == "/agents/defaults/models/anthropic~1small/params/maxTokens")
        #expect(e.resolve("QUICK") == "anthropic/small")
        #expect(e.resolve("openai/org/model") == "openai/org/model")
        #expect(e.resolve("nothing") == nil)
    }

    // MARK: Params for whatever model routing picks

    @Test func paramsForAnyModelAreCappedByThatModel() throws {
        let e = try withAgents(#"{"writer":{"params":{"maxTokens":30000,"temperature":0.6}}}"#)
        // The agent's primary (inherited: Large, 64 000) takes the agent's 30 000 as is
        #expect(e.agent("writer")?.params.values["maxTokens"] == .number(30000))
        #expect(e.agent("writer")?.params.maxTokensCap == 64000)
        // A fallback with a cap of 1 000 gets 1 000, and the pointer still says where the value was set
        let tiny = e.params(for: "anthropic/tiny", agent: "writer", maxOutputTokens: 1000, supportsTemperature: true)
        #expect(tiny.values["maxTokens"] == .number(1000))
        #expect(tiny.from["maxTokens"] == "/agents/entries/writer/params/maxTokens")
        #expect(tiny.maxTokensCap == 1000)
        #expect(tiny.values["temperature"] == .number(0.6))
        // A model without temperature gets none
        let reasoner = e.params(for: "openai/reasoner", agent: "writer", maxOutputTokens: 100_000, supportsTemperature: false)
        #expect(reasoner.values["temperature"] == nil && reasoner.from["temperature"] == nil)
        #expect(reasoner.values["maxTokens"] == .number(30000))
    }

    @Test func paramsForAModelWithAnEntryLayerAgentOverEntryOverGlobal() throws {
        let e = try withAgents(#"{"coder":{"params":{"top_k":5}}}"#)
        // By alias, for an agent: the agent's top_k over the entry's, the entry's maxTokens and top_p, the global temperature
        let p = e.params(for: "quick", agent: "coder", maxOutputTokens: 8192, supportsTemperature: true)
        #expect(p.model == "anthropic/small")
        #expect(p.values == ["temperature": .number(0.3), "maxTokens": .number(5000), "top_p": .number(0.9), "top_k": .number(5)])
        #expect(p.from["top_k"] == "/agents/entries/coder/params/top_k")
        #expect(p.from["temperature"] == "/agents/defaults/params/temperature")
        // Without an agent, or for one that does not exist: the entry's top_k
        for agent in [nil, "nobody"] as [String?] {
            let q = e.params(for: "anthropic/small", agent: agent, maxOutputTokens: nil, supportsTemperature: true)
            #expect(q.values["top_k"] == .number(40))
            #expect(q.from["top_k"] == "/agents/defaults/models/anthropic~1small/params/top_k")
        }
    }

    // MARK: Changing and removing

    @Test func nullRemovesAnAgentAndAnEmptiedEntryStays() throws {
        // Given two agents
        let e = try withAgents(#"{"coder":{"runtime":"claude-code-sdk"},"writer":{"runtime":"claude-code-sdk"}}"#)
        // When one is removed with null and the other's only member is deleted
        let next = try accepted(#"{"agents":{"entries":{"coder":null,"writer":{"runtime":null}}}}"#, on: e.stored)
        // Then the first is gone and the second exists and inherits everything
        #expect(!next.agentExists("coder"))
        #expect(next.stored.value(at: ["agents", "entries", "coder"]) == nil)
        #expect(next.stored.value(at: ["agents", "entries", "writer"]) == .object([:]))
        #expect(next.agent("writer")?.runtimeFrom == "/agents/defaults/runtime")
        // And removing the last agent leaves no entries behind
        let none = try accepted(#"{"agents":{"entries":{"writer":null}}}"#, on: next.stored)
        #expect(none.stored.value(at: ["agents", "entries"]) == nil)
        #expect(none.effective.agents.isEmpty)
    }

    @Test func changingTheDefaultModelLowersAnInheritingAgentsResponseLength() throws {
        // Given an agent whose Response length fits the default model it inherits
        let e = try withAgents(#"{"writer":{"params":{"maxTokens":16000}}}"#)
        // When the default model becomes one with a smaller maximum output
        let next = try accepted(#"{"agents":{"defaults":{"model":{"primary":"anthropic/small"}}}}"#, on: e.stored)
        // Then the agent's Response length is lowered to it, and a warning says so at the agent's pointer
        #expect(next.stored.value(at: ["agents", "entries", "writer", "params", "maxTokens"]) == .number(8192))
        let warning = try #require(next.warnings.first { $0.pointer == "/agents/entries/writer/params/maxTokens" })
        #expect(warning.code == "max_tokens_lowered")
        #expect(warning.message.contains("16000") && warning.message.contains("8192") && warning.message.contains("anthropic/small"))
    }

    @Test func aDefaultsChangeIsNotBlockedByAnAgentListItDidNotTouch() throws {
        // Given an agent whose own fallbacks list the model the defaults are about to choose
        let e = try withAgents(#"{"coder":{"model":{"fallbacks":["anthropic/small"]}}}"#)
        // When the defaults' primary becomes that model
        let next = try accepted(#"{"agents":{"defaults":{"model":{"primary":"anthropic/small"}}}}"#, on: e.stored)
        // Then the change is saved and the repetition is a warning at the agent's list
        #expect(codes(at: "/agents/entries/coder/model/fallbacks/0", in: next.warnings) == ["repeats_primary"])
        // While setting that list anew is refused
        #expect(codes(at: "/agents/entries/coder/model/fallbacks/0",
                      in: errors(#"{"agents":{"entries":{"coder":{"model":{"fallbacks":["quick"]}}}}}"#, on: next.stored)) == ["repeats_primary"])
    }

    @Test func anAgentsWarningsAreTheDefaults() throws {
        let e = try withAgents(#"{"hot":{"params":{"temperature":1.5}},"logic":{"model":{"primary":"openai/reasoner","fallbacks":[]},"params":{"temperature":0.5}},"pics":{"imageModel":{"primary":"anthropic/small"}}}"#)
        #expect(codes(at: "/agents/entries/hot/params/temperature", in: e.warnings) == ["outside_recommended"])
        #expect(codes(at: "/agents/entries/logic/params/temperature", in: e.warnings) == ["ignored_by_model"])
        #expect(codes(at: "/agents/entries/pics/imageModel/primary", in: e.warnings) == ["not_image_model"])
        #expect(e.agent("logic")?.params.values["temperature"] == nil, "the reasoner takes no temperature")
    }

    // MARK: Schema

    @Test func theSchemaDescribesAgentEntries() throws {
        let entries = try #require(SchemaExport.document.schema.value(at: ["properties", "agents", "properties", "entries"]))
        #expect(entries["propertyNames"]?["pattern"] == .string("^[a-z0-9][a-z0-9_-]{0,63}$"))
        #expect(entries["maxProperties"] == .number(200))
        #expect(entries.value(at: ["additionalProperties", "properties", "runtime", "enum"]) == .array([.string("pi"), .string("claude-code-sdk")]))
        #expect(entries.value(at: ["additionalProperties", "properties", "model", "properties", "fallbacks", "default"]) == nil,
                "an agent's list is inherited, not defaulted")
        let patchEntries = try #require(SchemaExport.mergePatch.value(at: ["properties", "agents", "anyOf", "0", "properties", "entries", "anyOf", "0"]))
        #expect(patchEntries["propertyNames"] != nil)
        #expect(patchEntries["maxProperties"] == nil, "a patch may name more entries than the cap when it deletes some")
        #expect(SchemaExport.document.hints["/agents/entries/*/model/primary"]?.inheritLabel == "The default text model")
        #expect(SchemaExport.document.hints["/agents/entries/*/params/temperature"]?.label == "Creativity")
        #expect(SettingsSchema.defaults.value(at: ["agents", "entries"]) == nil)
    }
}
