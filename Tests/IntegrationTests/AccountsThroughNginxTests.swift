import Foundation
import GRDB
@testable import Storage
import TestSupport
import Testing
@testable import Vault

extension Stack {
    func send(_ method: String, _ path: String, json body: String? = nil, contentType: String = "application/json",
              extra: [(String, String)] = []) throws -> HTTPClient.Reply {
        var headers = [auth] + extra
        if body != nil { headers.append(("Content-Type", contentType)) }
        return try http.send(method, path, headers: headers, body: body)
    }

    func auditTypes() throws -> [String] {
        ((try send("GET", "/api/audit?limit=200").json["events"] as? [[String: Any]]) ?? []).compactMap { $0["type"] as? String }
    }

    func accountStatus(_ id: String) throws -> String? {
        try send("GET", "/api/accounts/\(id)").json["status"] as? String
    }
}

/// Accounts, the vault and the audit log through real nginx, the real responder and the real CLI.
@Suite(.ownThread) struct AccountsThroughNginxTests {
    @Test func everyAccountEndpointThroughNginx() throws {
        let stack = try Stack(label: "accounts")
        let key = "sk-ant-CANARYSECRETapi03-NGINXtestKEY0123456789abcdefQRST"
        let created = try stack.send("POST", "/api/accounts", json: #"{"provider":"anthropic","id":"anthropic:work","displayName":"Work","credential":{"kind":"api_key","apiKey":"\#(key)"}}"#)
        #expect(created.status == 201, "\(created)")
        #expect(created.header("Location") == "/api/accounts/anthropic:work")
        #expect(created.header("Cache-Control") == "no-store")
        #expect(!created.body.contains(key))
        #expect(created.json["status"] as? String == "untested")
        let file = stack.state.appendingPathComponent("credentials/anthropic.work.1.cred")
        var st = stat()
        #expect(lstat(file.path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(lstat(stack.state.appendingPathComponent("keys/master-1.key").path, &st) == 0 && st.st_mode & 0o777 == 0o600)

        let list = try stack.send("GET", "/api/accounts")
        #expect(((list.json["accounts"] as? [[String: Any]]) ?? []).count == 1)
        #expect(try stack.send("GET", "/api/accounts/anthropic:work").header("ETag") == "\"1\"")
        #expect(try stack.send("GET", "/api/accounts/anthropic:..").status == 400)
        #expect(try stack.send("GET", "/api/accounts/anthropic:none").status == 404)

        let patched = try stack.send("PATCH", "/api/accounts/anthropic:work", json: #"{"timeoutSeconds":30,"defaultModel":"claude-sonnet-4-5-20250929"}"#,
                                     contentType: "application/merge-patch+json", extra: [("If-Match", "\"1\"")])
        #expect(patched.status == 200, "\(patched)")
        #expect(patched.json["timeoutSeconds"] as? Int == 30)
        let stale = try stack.send("PATCH", "/api/accounts/anthropic:work", json: #"{"timeoutSeconds":31}"#,
                                   contentType: "application/merge-patch+json", extra: [("If-Match", "\"1\"")])
        #expect(stale.status == 412)
        #expect(stale.header("Content-Type") == "application/problem+json")
        let invalid = try stack.send("PATCH", "/api/accounts/anthropic:work", json: #"{"baseUrl":"http://10.0.0.1/v1"}"#, contentType: "application/merge-patch+json")
        #expect(invalid.status == 422)
        #expect(invalid.problemErrors.first?["pointer"] == "/baseUrl")

        #expect(try stack.send("GET", "/api/accounts/anthropic:work/impact").json["account"] as? String == "anthropic:work")

        let replaced = try stack.send("PUT", "/api/accounts/anthropic:work/credential", json: #"{"kind":"api_key","apiKey":"\#(key)2"}"#)
        #expect(replaced.status == 200)
        #expect(!replaced.body.contains(key))
        #expect(!FileManager.default.fileExists(atPath: file.path))
        let reveal = try stack.send("POST", "/api/accounts/anthropic:work/credential/reveal")
        #expect(reveal.status == 200)
        #expect(reveal.json["value"] as? String == key + "2")
        #expect(reveal.header("Cache-Control") == "no-store")
        #expect(try stack.send("POST", "/api/accounts/anthropic:work/credential/copy").json["value"] as? String == key + "2")
        #expect(try stack.send("PUT", "/api/accounts/anthropic:work/credential", json: "{}", contentType: "text/plain").status == 415)

        #expect(try stack.send("DELETE", "/api/accounts/anthropic:work/credential").status == 204)
        #expect(try stack.accountStatus("anthropic:work") == "missing_credential")
        #expect(try stack.send("DELETE", "/api/accounts/anthropic:work").status == 204)
        #expect(try stack.send("GET", "/api/accounts/anthropic:work").status == 404)
        #expect(try FileManager.default.contentsOfDirectory(atPath: stack.state.appendingPathComponent("credentials").path).isEmpty)

        let types = try stack.auditTypes()
        for expected in ["account.created", "credential.set", "account.updated", "credential.replaced", "credential.revealed",
                         "credential.copied", "credential.deleted", "connection.disconnected"] {
            #expect(types.contains(expected), "\(expected) in \(types)")
        }
        let verify = try stack.cli("audit verify")
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("audit log intact"))
    }

    @Test func aCookieSessionNeedsTheCSRFHeaderToReveal() throws {
        let stack = try Stack(label: "accounts-csrf")
        #expect(try stack.send("POST", "/api/accounts", json: #"{"provider":"openai","credential":{"kind":"api_key","apiKey":"sk-csrf-CANARYSECRET000000000000000000000000"}}"#).status == 201)
        let signIn = try stack.http.send("POST", "/api/session", headers: [("Content-Type", "application/json")], body: #"{"token":"\#(stack.token)"}"#)
        let cookie = try #require(signIn.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        let refused = try stack.http.send("POST", "/api/accounts/openai:default/credential/reveal", headers: [("Cookie", cookie)])
        #expect(refused.status == 403)
        #expect(!refused.body.contains("sk-csrf"))
        let allowed = try stack.http.send("POST", "/api/accounts/openai:default/credential/reveal",
                                          headers: [("Cookie", cookie), ("X-Switchboard-CSRF", "1"), ("Sec-Fetch-Site", "same-origin")])
        #expect(allowed.status == 200)
        #expect(try stack.auditTypes().filter { $0 == "credential.revealed" }.count == 1)
    }

    @Test func environmentKeysAreImportedOnFirstStartOnly() throws {
        let stack = try Stack(environment: ["OPENROUTER_API_KEY": "sk-or-CANARYSECRETv1-envIMPORT0000000000000000000000000000"], label: "accounts-env")
        #expect(try stack.accountStatus("openrouter:env") == "untested")
        #expect(try stack.send("POST", "/api/accounts/openrouter:env/credential/reveal").json["value"] as? String == "sk-or-CANARYSECRETv1-envIMPORT0000000000000000000000000000")
        #expect(try stack.send("DELETE", "/api/accounts/openrouter:env").status == 204)
        stack.stopResponder()
        try stack.restartResponder()
        #expect(try stack.send("GET", "/api/accounts/openrouter:env").status == 404)
    }

    @Test func aMissingMasterKeyIsNamedAtStartupAndTheServiceKeepsRunning() throws {
        let stack = try Stack(label: "accounts-key")
        #expect(try stack.send("POST", "/api/accounts", json: #"{"provider":"openai","credential":{"kind":"api_key","apiKey":"sk-keyloss-CANARYSECRET0000000000000000000000"}}"#).status == 201)
        stack.stopResponder()
        let keyFile = stack.state.appendingPathComponent("keys/master-1.key")
        let aside = stack.root.appendingPathComponent("master-1.key.aside")
        try FileManager.default.moveItem(at: keyFile, to: aside)
        try stack.restartResponder()
        #expect(stack.logs.contains("MASTER KEY PROBLEM: \(keyFile.path): missing"))
        #expect(stack.logs.contains("CREDENTIAL UNREADABLE: openai:default"))
        #expect(try stack.send("GET", "/api/health").status == 200)
        #expect(try stack.accountStatus("openai:default") == "credential_unreadable")
        #expect(try stack.send("POST", "/api/accounts/openai:default/credential/reveal").status == 409)
        // New writes use a new key meanwhile; restoring the old file brings the credential back without a restart.
        #expect(try stack.send("POST", "/api/accounts", json: #"{"provider":"anthropic","credential":{"kind":"api_key","apiKey":"sk-ant-CANARYSECRETapi03-newKEY00000000000000000000"}}"#).status == 201)
        try FileManager.default.moveItem(at: aside, to: keyFile)
        #expect(try stack.accountStatus("openai:default") == "untested")
        #expect(try stack.accountStatus("anthropic:default") == "untested")
    }

    @Test func keyRotationKilledMidwayThenResumedWhileServing() throws {
        let stack = try Stack(label: "accounts-rotate")
        var secrets: [String: String] = [:]
        for i in 1...5 {
            let secret = "sk-CANARYSECRET-rotation-\(i)-0000000000000000000000"
            secrets["openai:r\(i)"] = secret
            #expect(try stack.send("POST", "/api/accounts", json: #"{"provider":"openai","id":"openai:r\#(i)","credential":{"kind":"api_key","apiKey":"\#(secret)"}}"#).status == 201)
        }
        // The CLI dies by SIGKILL after re-encrypting two files.
        let killed = try stack.cli("keys rotate --test-kill-after 2")
        #expect(killed.status == 128 + SIGKILL, "\(killed)")
        #expect(FileManager.default.fileExists(atPath: stack.state.appendingPathComponent("keys/rotation").path))
        for (id, secret) in secrets {
            #expect(try stack.send("POST", "/api/accounts/\(id)/credential/reveal").json["value"] as? String == secret, "midway \(id)")
        }
        let resumed = try stack.cli("keys rotate")
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("finished the interrupted rotation to master key 2"))
        #expect(resumed.output.contains("retired master key(s) 1"))
        #expect(!FileManager.default.fileExists(atPath: stack.state.appendingPathComponent("keys/master-1.key").path))
        for (id, secret) in secrets {
            #expect(try stack.send("POST", "/api/accounts/\(id)/credential/reveal").json["value"] as? String == secret, "after \(id)")
            #expect(try stack.accountStatus(id) == "untested")
        }
        // The running responder writes new credentials under the new key.
        #expect(try stack.send("PUT", "/api/accounts/openai:r1/credential", json: #"{"kind":"api_key","apiKey":"sk-after-CANARYSECRETrotation-000000000000000"}"#).status == 200)
        let bytes = try #require(try DurableFile.read(stack.state.appendingPathComponent("credentials/openai.r1.2.cred")))
        #expect(try Envelope(bytes: bytes).keyID == 2)
        #expect(try stack.auditTypes().contains("keys.rotated"))
        #expect(try stack.cli("keys status").output.contains("active"))
    }

    @Test func auditVerifyDetectsAnEditedRow() throws {
        let stack = try Stack(label: "accounts-audit")
        for i in 1...3 { _ = try stack.send("POST", "/api/accounts", json: #"{"provider":"openai","id":"openai:a\#(i)"}"#) }
        #expect(try stack.cli("audit verify").status == 0)
        // Someone with write access to the database goes around the triggers.
        let database = try AppDatabase.open(path: stack.state.appendingPathComponent("switchboard.sqlite").path)
        try database.pool.write { db in
            try db.execute(sql: "DROP TRIGGER audit_event_no_update")
            try db.execute(sql: "UPDATE audit_event SET actor = 'nobody' WHERE seq = 2")
        }
        let broken = try stack.cli("audit verify")
        #expect(broken.status == 1)
        #expect(broken.output.contains("event 2 was edited"))
    }
}
