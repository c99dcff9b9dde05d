@testable import API
import Foundation
import GRDB
import HTTPTypes
@testable import Storage
import Testing

extension TestApp {
    func json(_ method: HTTPRequest.Method, _ path: String, _ body: String, contentType: String = "application/json",
              headers: HTTPFields = [:]) async -> Response {
        var headers = headers
        headers[.contentType] = contentType
        return await bearer(method, path, headers: headers, body: body)
    }

    @discardableResult
    func createAccount(_ body: String) async throws -> [String: Any] {
        let response = await json(.post, "/api/accounts", body)
        guard response.status == .created else { throw TestFailure("create failed: \(response.status) \(response.text)") }
        return response.json
    }

    func auditEvents(_ type: String) async -> [[String: Any]] {
        (await bearer(.get, "/api/audit?type=\(type)&limit=200").json["events"] as? [[String: Any]]) ?? []
    }

    var credentialsDirectory: URL { directory.appendingPathComponent("credentials") }

    func credentialFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: credentialsDirectory.path).filter { $0.hasSuffix(".cred") }.sorted()
    }
}

private let anthropicKey = "sk-CANARYSECRET-ant-api03-UNITtestKEY0123456789abcdefWXYZ"

@Suite struct AccountsAPITests {
    @Test func createWithCredentialShowsMetadataOnlyAndAudits() async throws {
        let t = try TestApp()
        let created = await t.json(.post, "/api/accounts", #"{"provider":"anthropic","id":"anthropic:work","displayName":"Work","credential":{"kind":"api_key","apiKey":"\#(anthropicKey)"}}"#)
        #expect(created.status == .created)
        #expect(created.headers[.location] == "/api/accounts/anthropic:work")
        #expect(created.headers[.eTag] == "\"1\"")
        #expect(!created.text.contains(anthropicKey))
        let json = created.json
        #expect(json["status"] as? String == "untested")
        #expect(json["authMethod"] as? String == "api_key")
        let credential = try #require(json["credential"] as? [String: Any])
        #expect(credential["kind"] as? String == "api_key")
        #expect(credential["hint"] as? String == "••••WXYZ")
        #expect(credential["readable"] as? Bool == true)
        #expect(try t.credentialFiles() == ["anthropic.work.1.cred"])

        let list = await t.bearer(.get, "/api/accounts")
        #expect(!list.text.contains(anthropicKey))
        #expect((list.json["accounts"] as? [[String: Any]])?.map { $0["id"] as? String } == ["anthropic:work"])
        #expect(await t.auditEvents("account.created").count == 1)
        let set = await t.auditEvents("credential.set")
        #expect(set.first?["target"] as? String == "anthropic:work")
        #expect(!(await t.bearer(.get, "/api/audit").text.contains(anthropicKey)))
    }

    @Test func idsAreValidatedSlugs() async throws {
        let t = try TestApp()
        for bad in ["anthropic:..", "anthropic:a/b", "anthropic", "Anthropic:x", "anthropic:", "anthropic:-x", "anthropic:a.b", "anthropic:%2e%2e"] {
            let r = await t.json(.post, "/api/accounts", #"{"provider":"anthropic","id":"\#(bad)"}"#)
            #expect(r.status == .unprocessableContent, "\(bad)")
            #expect(r.errors.first?["pointer"] == "/id", "\(bad)")
        }
        #expect(await t.json(.post, "/api/accounts", #"{"provider":"anthropic","id":"openai:x"}"#).status == .unprocessableContent)
        for path in ["/api/accounts/..", "/api/accounts/anthropic:..", "/api/accounts/a%2Fb", "/api/accounts/x"] {
            #expect(await t.bearer(.get, path).status == .badRequest, "\(path)")
        }
        #expect(await t.bearer(.get, "/api/accounts/anthropic:nope").status == .notFound)
    }

    @Test func defaultIdsAndSeveralAccountsPerProvider() async throws {
        let t = try TestApp()
        let first = try await t.createAccount(#"{"provider":"anthropic"}"#)
        let second = try await t.createAccount(#"{"provider":"anthropic"}"#)
        #expect(first["id"] as? String == "anthropic:default")
        #expect(second["id"] as? String == "anthropic:2")
        #expect(second["displayName"] as? String == "Anthropic (2)")
        #expect(first["status"] as? String == "not_configured")
        let dup = await t.json(.post, "/api/accounts", #"{"provider":"anthropic","id":"anthropic:default"}"#)
        #expect(dup.status == .conflict)
        #expect(dup.problemSlug == "account-exists")
        // Catwalk's ids are aliases.
        #expect(try await t.createAccount(#"{"provider":"gemini"}"#)["provider"] as? String == "google")
    }

    @Test func invalidFieldsAreAllReportedByPointer() async throws {
        let t = try TestApp()
        let r = await t.json(.post, "/api/accounts", #"""
            {"provider":"openai","baseUrl":"http://evil.example/v1","headers":{"Authorization":"Bearer x","X-Title":"ok","X-Leak":"sk-CANARYSECRET-proj-abcdefghijklmnopqrstuvwxyz0123"},
             "maxConcurrent":0,"timeoutSeconds":9999,"defaultModel":"gpt 99","authMethod":"service_account","apiKey":"sk-CANARYSECRET-x"}
            """#)
        #expect(r.status == .unprocessableContent)
        #expect(r.problemSlug == "invalid-account")
        let pointers = Set(r.errors.compactMap { $0["pointer"] })
        #expect(pointers == ["/baseUrl", "/headers/Authorization", "/headers/X-Leak", "/maxConcurrent", "/timeoutSeconds", "/defaultModel", "/authMethod", "/apiKey"])
        #expect(try t.database.accounts().isEmpty)
        for url in ["ftp://x.example", "https://user:pw@x.example", "https://x.example/v1?key=1", "not a url"] {
            let bad = await t.json(.post, "/api/accounts", #"{"provider":"openai","baseUrl":"\#(url)"}"#)
            #expect(bad.errors.first?["pointer"] == "/baseUrl", "\(url)")
        }
    }

    /// Every object body refuses members it does not take in the same way: `unknown_key` at the member's own
    /// JSON pointer, escaped (a credential named a member `x/y` at `/x/y`, which points elsewhere).
    @Test func unknownMembersAreRefusedAtTheirEscapedPointer() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"openai","id":"openai:members"}"#)
        let credential = await t.json(.put, "/api/accounts/openai:members/credential", #"{"kind":"api_key","apiKey":"abc","x/y":1,"a~b":2}"#)
        #expect(credential.status == .unprocessableContent)
        #expect(credential.errors.filter { $0["code"] == "unknown_key" }.compactMap { $0["pointer"] } == ["/a~0b", "/x~1y"])
        let account = await t.json(.post, "/api/accounts", #"{"provider":"openai","x/y":1,"nope":2}"#)
        #expect(account.errors.filter { $0["code"] == "unknown_key" }.compactMap { $0["pointer"] } == ["/nope", "/x~1y"])
        let patch = await t.json(.patch, "/api/accounts/openai:members", #"{"x/y":1,"id":"openai:other"}"#, contentType: "application/merge-patch+json")
        #expect(patch.errors.map { "\($0["pointer"]!) \($0["code"]!)" } == ["/id read_only", "/x~1y unknown_key"])
        let client = await t.json(.put, "/api/oauth/clients/openai", #"{"x/y":1}"#)
        #expect(client.errors.first { $0["code"] == "unknown_key" }?["pointer"] == "/x~1y", "\(client.text)")
    }

    @Test func credentialKindsAreValidated() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"vertex","id":"vertex:prod"}"#)
        let user = await t.json(.put, "/api/accounts/vertex:prod/credential", #"{"kind":"service_account","json":"{\"type\":\"authorized_user\"}"}"#)
        #expect(user.status == .unprocessableContent)
        #expect(user.problemSlug == "invalid-credential")
        #expect(Set(user.errors.compactMap { $0["pointer"] }) == ["/json/type", "/json/client_email", "/json/private_key"])
        #expect(await t.json(.put, "/api/accounts/vertex:prod/credential", #"{"kind":"service_account","json":"{not json"}"#).errors.first?["pointer"] == "/json")
        let wrongKind = await t.json(.put, "/api/accounts/vertex:prod/credential", #"{"kind":"api_key","apiKey":"abc"}"#)
        #expect(wrongKind.errors.first?["pointer"] == "/kind")

        let sa = #"{\"type\":\"service_account\",\"project_id\":\"p\",\"client_email\":\"bot@p.iam.gserviceaccount.com\",\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nMIIEv\\n-----END PRIVATE KEY-----\\n\"}"#
        let ok = await t.json(.put, "/api/accounts/vertex:prod/credential", #"{"kind":"service_account","json":"\#(sa)"}"#)
        #expect(ok.status == .ok, "\(ok.text)")
        #expect((ok.json["credential"] as? [String: Any])?["hint"] as? String == "bot@p.iam.gserviceaccount.com")
        #expect(!ok.text.contains("BEGIN PRIVATE KEY"))

        try await t.createAccount(#"{"provider":"bedrock"}"#)
        let aws = await t.json(.put, "/api/accounts/bedrock:default/credential", #"{"kind":"aws","accessKeyId":"akia lower","secretAccessKey":"has space"}"#)
        #expect(Set(aws.errors.compactMap { $0["pointer"] }) == ["/accessKeyId", "/secretAccessKey"])
        try await t.createAccount(#"{"provider":"azureOpenai"}"#)
        let azure = await t.json(.put, "/api/accounts/azureOpenai:default/credential", #"{"kind":"azure","endpoint":"http://x.openai.azure.com","apiKey":"k","apiVersion":"latest"}"#)
        #expect(Set(azure.errors.compactMap { $0["pointer"] }) == ["/endpoint", "/apiVersion"])
    }

    @Test func redactedPlaceholderNeverOverwritesTheSecret() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"anthropic","credential":{"kind":"api_key","apiKey":"\#(anthropicKey)"}}"#)
        let put = await t.json(.put, "/api/accounts/anthropic:default/credential", #"{"kind":"api_key","apiKey":"••••WXYZ"}"#)
        #expect(put.status == .ok)
        let revealed = await t.bearer(.post, "/api/accounts/anthropic:default/credential/reveal")
        #expect(revealed.json["value"] as? String == anthropicKey)
        // Without a stored secret the placeholder is refused, not stored.
        try await t.createAccount(#"{"provider":"openai"}"#)
        let none = await t.json(.put, "/api/accounts/openai:default/credential", #"{"kind":"api_key","apiKey":"••••abcd"}"#)
        #expect(none.status == .unprocessableContent)
        #expect(none.errors.first?["code"] == "redacted_placeholder")
    }

    @Test func replacingACredentialNeedsNoDisconnectAndRemovesTheOldFile() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"openai","credential":{"kind":"api_key","apiKey":"sk-CANARYSECRET-old-0000000000000000000001"}}"#)
        #expect(try t.credentialFiles() == ["openai.default.1.cred"])
        let put = await t.json(.put, "/api/accounts/openai:default/credential", #"{"kind":"api_key","apiKey":"sk-CANARYSECRET-new-0000000000000000000002"}"#)
        #expect(put.status == .ok)
        #expect(try t.credentialFiles() == ["openai.default.2.cred"])
        #expect(await t.auditEvents("credential.replaced").count == 1)
        #expect(await t.bearer(.post, "/api/accounts/openai:default/credential/copy").json["value"] as? String == "sk-CANARYSECRET-new-0000000000000000000002")
        #expect(await t.bearer(.delete, "/api/accounts/openai:default/credential").status == .noContent)
        #expect(try t.credentialFiles() == [])
        let after = await t.bearer(.get, "/api/accounts/openai:default")
        #expect(after.json["status"] as? String == "missing_credential")
        #expect(await t.bearer(.post, "/api/accounts/openai:default/credential/reveal").problemSlug == "no-credential")
    }

    @Test func revealAndCopyAreAuditedAsDifferentEventsFirst() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"anthropic","credential":{"kind":"api_key","apiKey":"\#(anthropicKey)"}}"#)
        let reveal = await t.bearer(.post, "/api/accounts/anthropic:default/credential/reveal")
        #expect(reveal.status == .ok)
        #expect(reveal.headers[.cacheControl] == "no-store")
        #expect(reveal.json["value"] as? String == anthropicKey)
        #expect(await t.auditEvents("credential.revealed").count == 1)
        #expect(await t.auditEvents("credential.copied").isEmpty)
        #expect(await t.bearer(.post, "/api/accounts/anthropic:default/credential/copy").status == .ok)
        #expect(await t.auditEvents("credential.copied").count == 1)
        #expect(try t.database.verifyAuditLog().ok)
    }

    @Test func whenTheAuditWriteFailsNoSecretIsReturned() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"anthropic","credential":{"kind":"api_key","apiKey":"\#(anthropicKey)"}}"#)
        // A real failure of the real database: the insert of the audit row is aborted.
        try await t.database.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER fail_disclosure BEFORE INSERT ON audit_event WHEN NEW.type IN ('credential.revealed','credential.copied') BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        }
        for path in ["reveal", "copy"] {
            let r = await t.bearer(.post, "/api/accounts/anthropic:default/credential/\(path)")
            #expect(r.status == .serviceUnavailable)
            #expect(r.problemSlug == "audit-unavailable")
            #expect(!r.text.contains(anthropicKey))
        }
    }

    @Test func unreadableCredentialIsReportedPerAccount() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"anthropic","credential":{"kind":"api_key","apiKey":"\#(anthropicKey)"}}"#)
        try await t.createAccount(#"{"provider":"openai","credential":{"kind":"api_key","apiKey":"sk-CANARYSECRET-fine-000000000000000000000"}}"#)
        // Damage one file: the other account and the service carry on.
        let file = t.credentialsDirectory.appendingPathComponent("anthropic.default.1.cred")
        var bytes = try #require(try DurableFile.read(file))
        bytes[bytes.count - 1] ^= 1
        try DurableFile.write(bytes, to: file)
        let list = await t.bearer(.get, "/api/accounts")
        #expect(list.status == .ok)
        let statuses = Dictionary(uniqueKeysWithValues: ((list.json["accounts"] as? [[String: Any]]) ?? []).map { ($0["id"] as! String, $0["status"] as! String) })
        #expect(statuses == ["anthropic:default": "credential_unreadable", "openai:default": "untested"])
        let reveal = await t.bearer(.post, "/api/accounts/anthropic:default/credential/reveal")
        #expect(reveal.status == .conflict)
        #expect(reveal.problemSlug == "credential-unreadable")
        // Storing it again heals the account.
        #expect(await t.json(.put, "/api/accounts/anthropic:default/credential", #"{"kind":"api_key","apiKey":"\#(anthropicKey)"}"#).json["status"] as? String == "untested")
    }

    @Test func patchChangesFieldsWithOptionalIfMatch() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"openai","credential":{"kind":"api_key","apiKey":"sk-CANARYSECRET-patch-00000000000000000000"}}"#)
        let patched = await t.json(.patch, "/api/accounts/openai:default", #"{"displayName":"Team","maxConcurrent":4,"headers":{"OpenAI-Organization":"org-1"},"defaultModel":"gpt-4.1"}"#,
                                   contentType: "application/merge-patch+json", headers: [.ifMatch: "\"1\""])
        #expect(patched.status == .ok, "\(patched.text)")
        #expect(patched.headers[.eTag] == "\"2\"")
        #expect(patched.json["displayName"] as? String == "Team")
        #expect((patched.json["headers"] as? [String: String]) == ["OpenAI-Organization": "org-1"])
        let stale = await t.json(.patch, "/api/accounts/openai:default", #"{"displayName":"Other"}"#,
                                 contentType: "application/merge-patch+json", headers: [.ifMatch: "\"1\""])
        #expect(stale.status == .preconditionFailed)
        #expect(stale.problemSlug == "stale-account")
        let cleared = await t.json(.patch, "/api/accounts/openai:default", #"{"maxConcurrent":null,"headers":{"OpenAI-Organization":null}}"#, contentType: "application/merge-patch+json")
        #expect(cleared.json["maxConcurrent"] is NSNull)
        #expect((cleared.json["headers"] as? [String: String]) == [:])
        let readOnly = await t.json(.patch, "/api/accounts/openai:default", #"{"provider":"anthropic","credential":{"kind":"api_key","apiKey":"x"}}"#, contentType: "application/merge-patch+json")
        #expect(Set(readOnly.errors.compactMap { $0["pointer"] }) == ["/provider", "/credential"])
        #expect(await t.auditEvents("account.updated").count == 2)
    }

    @Test func changingTheBaseURLOriginNeedsTheCredentialConfirmed() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"openai","credential":{"kind":"api_key","apiKey":"sk-CANARYSECRET-origin-000000000000000000"}}"#)
        let moved = await t.json(.patch, "/api/accounts/openai:default", #"{"baseUrl":"https://proxy.example.com/v1"}"#, contentType: "application/merge-patch+json")
        #expect(moved.json["status"] as? String == "missing_credential")
        #expect((moved.json["credential"] as? [String: Any])?["needsConfirmation"] as? Bool == true)
        let confirmed = await t.json(.put, "/api/accounts/openai:default/credential", #"{"kind":"api_key","apiKey":"••••0000"}"#)
        #expect(confirmed.json["status"] as? String == "untested")
        #expect((confirmed.json["credential"] as? [String: Any])?["origin"] as? String == "https://proxy.example.com")
        #expect(await t.bearer(.post, "/api/accounts/openai:default/credential/reveal").json["value"] as? String == "sk-CANARYSECRET-origin-000000000000000000")
    }

    @Test func deleteRemovesTheFileAndAuditsTheDisconnect() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"openai","credential":{"kind":"api_key","apiKey":"sk-CANARYSECRET-delete-000000000000000000"}}"#)
        #expect(try t.credentialFiles().count == 1)
        #expect(await t.bearer(.delete, "/api/accounts/openai:default").status == .noContent)
        #expect(try t.credentialFiles().isEmpty)
        #expect(await t.bearer(.get, "/api/accounts/openai:default").status == .notFound)
        let events = await t.auditEvents("connection.disconnected")
        #expect(events.first?["target"] as? String == "openai:default")
        #expect(await t.bearer(.delete, "/api/accounts/openai:default").status == .notFound)
    }

    @Test func impactListsReferencesAndWhoTakesOver() async throws {
        let t = try TestApp()
        let etag = try await t.currentETag()
        let patch = await t.patchConfig(#"{"agents":{"defaults":{"model":{"primary":"anthropic/claude-sonnet-4-5-20250929","fallbacks":["openai/gpt-4.1","anthropic/claude-haiku-4-5-20251001"]},"heartbeat":{"model":"anthropic/claude-haiku-4-5-20251001"}}}}"#, ifMatch: etag)
        #expect(patch.status == .ok, "\(patch.text)")
        try await t.createAccount(#"{"provider":"anthropic","id":"anthropic:work"}"#)
        let alone = await t.bearer(.get, "/api/accounts/anthropic:work/impact")
        #expect(alone.status == .ok)
        let refs = (alone.json["references"] as? [[String: Any]]) ?? []
        #expect(refs.map { $0["pointer"] as? String } == ["/agents/defaults/heartbeat/model", "/agents/defaults/model/fallbacks/1", "/agents/defaults/model/primary"])
        #expect(refs.map { $0["role"] as? String } == ["heartbeat", "fallback", "primary"])
        #expect(alone.json["takeover"] is NSNull)
        #expect((alone.json["summary"] as? String)?.contains("stop working") == true)
        try await t.createAccount(#"{"provider":"anthropic","id":"anthropic:personal","displayName":"Personal"}"#)
        let shared = await t.bearer(.get, "/api/accounts/anthropic:work/impact")
        #expect((shared.json["takeover"] as? [String: Any])?["id"] as? String == "anthropic:personal")
        #expect(shared.json["otherAccounts"] as? Int == 1)
        #expect((shared.json["summary"] as? String)?.contains("Personal") == true)
    }

    @Test func environmentKeysBecomeAccountsOnce() async throws {
        let t = try TestApp()
        let sa = try JSONSerialization.data(withJSONObject: ["type": "service_account", "client_email": "e@p.iam.gserviceaccount.com",
                                                            "private_key": "-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----\n"])
        let saFile = t.directory.appendingPathComponent("sa.json")
        try sa.write(to: saFile)
        let env = ["ANTHROPIC_API_KEY": anthropicKey, "GEMINI_API_KEY": "AIzaEnvTest00000000000000000000000000",
                   "AWS_ACCESS_KEY_ID": "AKIAENVTEST000000000", "AWS_SECRET_ACCESS_KEY": "CANARYSECRETenv/0000000000000000000000000000000",
                   "AWS_REGION": "eu-west-1", "AZURE_OPENAI_API_KEY": "azure-key-only", "GOOGLE_APPLICATION_CREDENTIALS": saFile.path,
                   "OPENAI_API_KEY": "", "PATH": "/usr/bin"]
        let result = try t.app.accounts.importEnvironment(env)
        #expect(Set(result.created) == ["anthropic:env", "google:env", "bedrock:env", "vertex:env"])
        #expect(result.skipped.count == 1 && result.skipped[0].contains("AZURE_OPENAI_ENDPOINT"))
        let accounts = try t.app.accounts.list()
        #expect(accounts.allSatisfy { $0.status == .untested })
        #expect(accounts.first { $0.id == "bedrock:env" }?.credential?.kind == "aws")
        #expect(await t.bearer(.post, "/api/accounts/anthropic:env/credential/reveal").json["value"] as? String == anthropicKey)
        #expect(await t.auditEvents("account.imported").count == 4)
        // Deleted by the operator, never imported again.
        #expect(await t.bearer(.delete, "/api/accounts/anthropic:env").status == .noContent)
        #expect(try t.app.accounts.importEnvironment(env).created.isEmpty)
        #expect(try t.app.accounts.list().count == 3)
    }

    @Test func configChangesAndSignInsAreAudited() async throws {
        let t = try TestApp()
        let etag = try await t.currentETag()
        #expect(await t.patchConfig(#"{"agents":{"defaults":{"runtime":"claude-code-sdk"}}}"#, ifMatch: etag).status == .ok)
        let changed = await t.auditEvents("config.changed")
        #expect((changed.first?["detail"] as? [String: Any])?["revision"] as? Int == 2)
        _ = try await t.signIn()
        _ = await t.send(.post, "/api/session", headers: [.contentType: "application/json"], body: #"{"token":"sbk_wrong"}"#)
        #expect(await t.auditEvents("session.signed_in").count == 1)
        #expect(await t.auditEvents("session.sign_in_failed").count == 1)
        #expect(!(await t.bearer(.get, "/api/audit?limit=200").text.contains(t.token)))
        #expect(try t.database.verifyAuditLog().ok)
    }

    @Test func auditIsPagedNewestFirst() async throws {
        let t = try TestApp()
        for i in 1...5 { try await t.createAccount(#"{"provider":"openai","id":"openai:a\#(i)"}"#) }
        let first = await t.bearer(.get, "/api/audit?limit=2")
        let events = (first.json["events"] as? [[String: Any]]) ?? []
        #expect(events.map { $0["target"] as? String } == ["openai:a5", "openai:a4"])
        let before = try #require(first.json["nextBefore"] as? Int)
        let second = await t.bearer(.get, "/api/audit?limit=2&before=\(before)")
        #expect(((second.json["events"] as? [[String: Any]]) ?? []).map { $0["target"] as? String } == ["openai:a3", "openai:a2"])
        #expect(await t.bearer(.get, "/api/audit?limit=0").status == .badRequest)
    }

    @Test func concurrentReplacementsLeaveExactlyTheReferencedFile() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"openai","credential":{"kind":"api_key","apiKey":"sk-CANARYSECRET-race-start-0000000000000000"}}"#)
        let sent = (0..<8).map { "sk-CANARYSECRET-race-\($0)-00000000000000000000000" }
        await withTaskGroup(of: Void.self) { group in
            for key in sent {
                group.addTask { _ = await t.json(.put, "/api/accounts/openai:default/credential", #"{"kind":"api_key","apiKey":"\#(key)"}"#) }
                group.addTask { _ = await t.json(.patch, "/api/accounts/openai:default", #"{"timeoutSeconds":\#(10 + key.count)}"#, contentType: "application/merge-patch+json") }
            }
        }
        let record = try #require(try t.database.account("openai:default"))
        #expect(try t.credentialFiles() == [record.credentialFile!])
        #expect(record.version == 1 + 8 + 1)
        let value = await t.bearer(.post, "/api/accounts/openai:default/credential/reveal").json["value"] as? String
        #expect(sent.contains(value ?? ""))
        #expect(await t.auditEvents("credential.replaced").count == 8)
    }

    /// Issue 12, item 9: a copy of an OAuth account's token carried its refresh token too.
    @Test func revealAndCopyDiscloseOnlyTheFieldTheirEventNames() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"openai","id":"openai:signed","credential":{"kind":"oauth","accessToken":"at-CANARYSECRET-only-0123456789","refreshToken":"rt-CANARYSECRET-never-0123456789","expiresAt":"2030-01-01T00:00:00Z"}}"#)
        for path in ["copy", "reveal"] {
            let answer = await t.bearer(.post, "/api/accounts/openai:signed/credential/\(path)")
            #expect(answer.status == .ok)
            #expect(answer.json["value"] as? String == "at-CANARYSECRET-only-0123456789")
            #expect(answer.json["field"] as? String == "accessToken")
            #expect(!answer.text.contains("rt-CANARYSECRET-never"), "\(path) disclosed the refresh token: \(answer.text)")
        }
        // Another field only when asked for, and then that field is what the event names.
        let refresh = await t.bearer(.post, "/api/accounts/openai:signed/credential/reveal?field=refreshToken")
        #expect(refresh.json["value"] as? String == "rt-CANARYSECRET-never-0123456789")
        #expect(!refresh.text.contains("at-CANARYSECRET-only"))
        let named = await t.auditEvents("credential.revealed").compactMap { ($0["detail"] as? [String: Any])?["field"] as? String }
        #expect(named.sorted() == ["accessToken", "refreshToken"])
        #expect(await t.auditEvents("credential.copied").count == 1)
        // A field the kind does not have, or one not stored: refused, and nothing is audited.
        #expect(await t.bearer(.post, "/api/accounts/openai:signed/credential/reveal?field=password").problemSlug == "invalid-field")
        #expect(await t.bearer(.post, "/api/accounts/openai:signed/credential/reveal?field=tokenType").problemSlug == "field-not-stored")
        #expect(await t.bearer(.post, "/api/accounts/openai:signed/credential/copy?field=secretAccessKey").problemSlug == "field-not-stored")
        #expect(await t.auditEvents("credential.revealed").count == 2)
    }

    @Test func aPlaceholderKeepsTheOtherStoredFieldsOfItsKind() async throws {
        let t = try TestApp()
        try await t.createAccount(#"{"provider":"bedrock","credential":{"kind":"aws","accessKeyId":"AKIAKEEP000000000000","secretAccessKey":"CANARYSECRETkeep/000000000000000000000000","region":"eu-west-1"}}"#)
        let moved = await t.json(.patch, "/api/accounts/bedrock:default", #"{"baseUrl":"https://bedrock-runtime.eu-west-1.amazonaws.com"}"#, contentType: "application/merge-patch+json")
        #expect(moved.status == .ok)
        let confirmed = await t.json(.put, "/api/accounts/bedrock:default/credential", #"{"kind":"aws","secretAccessKey":"••••0000"}"#)
        #expect(confirmed.status == .ok, "\(confirmed.text)")
        var fields: [String: String] = [:]
        for name in ["accessKeyId", "secretAccessKey", "region"] {
            fields[name] = await t.bearer(.post, "/api/accounts/bedrock:default/credential/reveal?field=\(name)").json["value"] as? String
        }
        #expect(fields == ["accessKeyId": "AKIAKEEP000000000000", "secretAccessKey": "CANARYSECRETkeep/000000000000000000000000", "region": "eu-west-1"])
        // Without a placeholder a PUT replaces the whole credential: missing required fields are errors.
        let partial = await t.json(.put, "/api/accounts/bedrock:default/credential", #"{"kind":"aws","secretAccessKey":"other/0000000000000000000000000000"}"#)
        #expect(partial.errors.first?["pointer"] == "/accessKeyId")
    }
}
