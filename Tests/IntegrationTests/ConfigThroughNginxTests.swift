@testable import Core
import Foundation
import TestSupport
import Testing

extension Stack {
    var auth: (String, String) { ("Authorization", "Bearer \(token)") }

    func patchConfig(_ body: String, ifMatch: String?, contentType: String = "application/merge-patch+json") throws -> HTTPClient.Reply {
        var headers = [auth, ("Content-Type", contentType)]
        if let ifMatch { headers.append(("If-Match", ifMatch)) }
        return try http.send("PATCH", "/api/config", headers: headers, body: body)
    }

    func configETag() throws -> String {
        try #require(try http.send("GET", "/api/config", headers: [auth]).header("ETag"))
    }
}

extension HTTPClient.Reply {
    var problemErrors: [[String: String]] { (json["errors"] as? [[String: String]]) ?? [] }
    func config(_ pointer: String) -> Any? {
        var current: Any? = json["config"]
        for key in JSONPointer.parse(pointer) ?? [] { current = (current as? [String: Any])?[key] }
        return current
    }
}

// MARK: Tests

/// The settings document through real nginx and the real responder.
@Suite(.ownThread) struct ConfigThroughNginxTests {
    @Test func readPatchAndReadBack() throws {
        let stack = try Stack(label: "config")
        let first = try stack.http.send("GET", "/api/config", headers: [stack.auth])
        #expect(first.status == 200)
        #expect(first.header("ETag") == "\"1\"")
        #expect(first.header("Cache-Control") == "no-store")
        let patched = try stack.patchConfig(#"{"agents":{"defaults":{"heartbeat":{"every":"1h","activeHours":{"start":"22:00","end":"06:00","timezone":"Europe/Berlin"}}}}}"#, ifMatch: "\"1\"")
        #expect(patched.status == 200)
        #expect(patched.header("ETag") == "\"2\"")
        let read = try stack.http.send("GET", "/api/config", headers: [stack.auth])
        #expect(read.config("/agents/defaults/heartbeat/every") as? String == "1h")
        #expect(read.config("/agents/defaults/heartbeat/activeHours/start") as? String == "22:00")
        #expect(try stack.http.send("GET", "/api/config", headers: [stack.auth, ("If-None-Match", "\"2\"")]).status == 304)
    }

    @Test func twoConcurrentPatchesWithTheSameETagGiveOne200AndOne412() throws {
        let stack = try Stack(label: "config-race")
        for round in 0..<5 {
            let etag = try stack.configETag()
            let statuses = Shared<[Int]>([])
            concurrently(2) { n in
                let status = (try? stack.patchConfig(#"{"agents":{"main":{"instructions":"round \#(round) writer \#(n)"}}}"#, ifMatch: etag).status) ?? 0
                statuses.withLock { $0.append(status) }
            }
            #expect(statuses.current.sorted() == [200, 412], "round \(round)")
        }
        #expect(try stack.configETag() == "\"6\"", "five rounds, five revisions")
    }

    @Test func preconditionAndContentTypeAndValidationAnswersAreProblemJSON() throws {
        let stack = try Stack(label: "config-problems")
        let missing = try stack.patchConfig("{}", ifMatch: nil)
        #expect(missing.status == 428)
        #expect(missing.header("Content-Type") == "application/problem+json")
        #expect(missing.json["type"] as? String == "urn:switchboard:problem:precondition-required")

        let wrongType = try stack.patchConfig("{}", ifMatch: "\"1\"", contentType: "application/json")
        #expect(wrongType.status == 415)
        #expect(wrongType.header("Content-Type") == "application/problem+json")
        #expect(wrongType.header("Accept-Patch") == "application/merge-patch+json")

        let invalid = try stack.patchConfig(#"{"agents":{"defaults":{"runtime":"docker","params":{"maxTokens":0}},"main":{"sdk":{"thinkingBudget":10}}}}"#, ifMatch: "\"1\"")
        #expect(invalid.status == 422)
        #expect(invalid.header("Content-Type") == "application/problem+json")
        #expect(invalid.json["type"] as? String == "urn:switchboard:problem:invalid-settings")
        #expect(Set(invalid.problemErrors.compactMap { $0["pointer"] }) == ["/agents/defaults/runtime", "/agents/defaults/params/maxTokens", "/agents/main/sdk/thinkingBudget"])

        let stale = try stack.patchConfig("{}", ifMatch: "\"7\"")
        #expect(stale.status == 412)
        #expect(stale.json["currentRevision"] as? Int == 1)
        #expect(try stack.configETag() == "\"1\"", "nothing changed")
    }

    @Test func revertRestoresAnOlderStateAsANewRevision() throws {
        let stack = try Stack(label: "config-revert")
        #expect(try stack.patchConfig(#"{"agents":{"defaults":{"params":{"temperature":0.2}}}}"#, ifMatch: "\"1\"").status == 200)
        #expect(try stack.patchConfig(#"{"agents":{"defaults":{"params":{"temperature":0.9},"runtime":"claude-code-sdk"}}}"#, ifMatch: "\"2\"").status == 200)
        let revert = try stack.http.send("POST", "/api/config/revert", headers: [stack.auth, ("Content-Type", "application/json"), ("If-Match", "\"3\"")],
                                         body: #"{"revision":2}"#)
        #expect(revert.status == 200)
        #expect(revert.header("ETag") == "\"4\"")
        let read = try stack.http.send("GET", "/api/config", headers: [stack.auth])
        #expect(read.json["revision"] as? Int == 4)
        #expect(read.config("/agents/defaults/params/temperature") as? Double == 0.2)
        #expect(read.config("/agents/defaults/runtime") as? String == "pi")
        let history = try stack.http.send("GET", "/api/config/history?limit=1", headers: [stack.auth])
        let newest = (history.json["revisions"] as? [[String: Any]])?.first
        #expect(newest?["restoredFrom"] as? Int == 2)
        #expect(history.json["nextBefore"] as? Int == 4)
    }

    @Test func anAgentEntryIsPatchedAndItsEffectiveValuesSayWhereEachCameFrom() throws {
        // Given defaults with a primary, a fallback and a Response length
        let stack = try Stack(label: "config-agents")
        #expect(try stack.patchConfig(#"{"agents":{"defaults":{"model":{"primary":"anthropic/claude-sonnet-4-5-20250929","fallbacks":["openai/gpt-5"]},"params":{"maxTokens":16000}}}}"#, ifMatch: "\"1\"").status == 200)
        // When an agent sets its own model and Creativity
        let patched = try stack.patchConfig(#"{"agents":{"entries":{"coder":{"model":{"primary":"anthropic/claude-3-5-haiku-20241022"},"params":{"temperature":0.2}}}}}"#, ifMatch: "\"2\"")
        #expect(patched.status == 200)
        #expect(patched.json["changedPaths"] as? [String] == ["/agents/entries/coder/model/primary", "/agents/entries/coder/params/temperature"])
        // Then GET shows the agent's values over the defaults, each with its pointer, and Response length capped
        let read = try stack.http.send("GET", "/api/config", headers: [stack.auth])
        let coder = try #require(((read.json["effective"] as? [String: Any])?["agents"] as? [String: Any])?["coder"] as? [String: Any])
        let model = try #require(coder["model"] as? [String: Any])
        #expect((model["primary"] as? [String: Any])?["reference"] as? String == "anthropic/claude-3-5-haiku-20241022")
        #expect((model["primary"] as? [String: Any])?["from"] as? String == "/agents/entries/coder/model/primary")
        #expect((model["fallbacks"] as? [[String: Any]])?.compactMap { $0["from"] as? String } == ["/agents/defaults/model/fallbacks/0"])
        #expect(coder["runtimeFrom"] as? String == "/agents/defaults/runtime")
        let params = try #require(coder["params"] as? [String: Any])
        #expect((params["values"] as? [String: Any])?["temperature"] as? Double == 0.2)
        #expect((params["values"] as? [String: Any])?["maxTokens"] as? Int == 8192, "16000 capped by the agent's model")
        #expect((params["from"] as? [String: String])?["maxTokens"] == "/agents/defaults/params/maxTokens")
        // And a bad id is a field error by pointer
        let bad = try stack.patchConfig(#"{"agents":{"entries":{"Coder":{}}}}"#, ifMatch: "\"3\"")
        #expect(bad.status == 422)
        #expect(bad.problemErrors.compactMap { $0["pointer"] } == ["/agents/entries/Coder"])
        // And null removes the agent
        #expect(try stack.patchConfig(#"{"agents":{"entries":{"coder":null}}}"#, ifMatch: "\"3\"").status == 200)
        let after = try stack.http.send("GET", "/api/config", headers: [stack.auth])
        #expect(((after.json["effective"] as? [String: Any])?["agents"] as? [String: Any])?.isEmpty == true)
    }

    @Test func aSecretSentToTheSettingsNeverReachesAnyLogOrTheDatabase() throws {
        let stack = try Stack(label: "config-secret")
        let canary = "sk-ant-api03-CANARYSECRETSETTINGS0123456789abcdef"
        let reply = try stack.patchConfig(#"{"agents":{"main":{"instructions":"key \#(canary)"}}}"#, ifMatch: "\"1\"")
        #expect(reply.status == 422)
        #expect(reply.json["type"] as? String == "urn:switchboard:problem:secret-in-settings")
        #expect(!reply.body.contains("CANARY"))
        stack.stop()
        #expect(!stack.logs.contains("CANARY"))
        let files = try FileManager.default.contentsOfDirectory(atPath: stack.state.path)
        for file in files {
            let bytes = (try? Data(contentsOf: stack.state.appendingPathComponent(file))) ?? Data()
            #expect(bytes.range(of: Data("CANARY".utf8)) == nil, "\(file) holds the canary")
        }
    }
}

/// The responder closes a connection as soon as its answer is written when the request's input was read
/// whole (no lingering drain). nginx must never see that as a reset or a premature close.
@Suite(.ownThread) struct PromptCloseTests {
    @Test func manyRequestsWithAndWithoutBodiesLeaveNginxsErrorLogClean() throws {
        let stack = try Stack(label: "prompt-close")
        let statuses = Shared<[Int: Int]>([:])
        concurrently(8) { n in
            for i in 0..<40 {
                let reply: HTTPClient.Reply?
                switch i % 4 {
                case 0: reply = try? stack.http.send("GET", "/api/config", headers: [stack.auth])
                case 1: reply = try? stack.http.send("HEAD", "/api/config", headers: [stack.auth])
                case 2: reply = try? stack.http.send("POST", "/api/config/revert",
                                                     headers: [stack.auth, ("Content-Type", "application/json"), ("If-Match", "\"1\"")],
                                                     body: #"{"revision":1}"#)
                default: reply = try? stack.patchConfig(#"{"agents":{"main":{"instructions":"writer \#(n) \#(i)"}}}"#, ifMatch: "\"1\"")
                }
                statuses.withLock { $0[reply?.status ?? -1, default: 0] += 1 }
            }
        }
        // Every request got a whole answer: 200, or 412 for writes that lost the race.
        #expect(Set(statuses.current.keys).isSubset(of: [200, 412]), "\(statuses.current)")
        #expect(statuses.current.values.reduce(0, +) == 320)
        stack.stop()
        let errorLog = (try? String(contentsOf: stack.run.appendingPathComponent("nginx/logs/error.log"), encoding: .utf8)) ?? ""
        for symptom in ["reset by peer", "prematurely closed", "recv() failed", "upstream timed out"] {
            #expect(!errorLog.contains(symptom), "nginx logged \(symptom):\n\(errorLog.suffix(2000))")
        }
    }
}
