import Foundation
import Testing
import TestSupport

/// SECURITY.md's canary test for the vault: distinctive fake secrets go in through every path that takes
/// one, the failing paths included; afterwards none of them appears in the responder's log, nginx's logs,
/// the audit log, any HTTP body (except the answers of the audited reveal and copy, whose purpose it is),
/// CLI output, or any raw file under the state directory (SQLite database, WAL, credential and key files).
@Suite(.ownThread) struct CanaryTests {
    @Test func secretsAppearNowhereButTheirEncryptedFiles() throws {
        let tag = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12)
        let canaries = [
            "apiKey": "sk-ant-api03-CANARYSECRETapikey\(tag)",
            "envKey": "sk-proj-CANARYSECRETenvkey\(tag)",
            "awsSecret": "CANARYSECRETaws\(tag)/wJalrXUtnFEMI",
            "privateKey": "CANARYSECRETprivateKey\(tag)",
            "refreshToken": "CANARYSECRETrefreshToken\(tag)",
            "accessToken": "CANARYSECRETaccessToken\(tag)",
            "wrongToken": "sbk_CANARYSECRETwrongToken\(tag)",
        ]
        let stack = try Stack(environment: ["OPENAI_API_KEY": canaries["envKey"]!], label: "canary")
        var bodies: [String] = []
        var outputs: [String] = []
        func call(_ method: String, _ path: String, _ body: String? = nil, contentType: String = "application/json") throws -> HTTPClient.Reply {
            let reply = try stack.send(method, path, json: body, contentType: contentType)
            bodies.append(reply.body)
            return reply
        }

        // Stored through every credential kind.
        #expect(try call("POST", "/api/accounts", #"{"provider":"anthropic","credential":{"kind":"api_key","apiKey":"\#(canaries["apiKey"]!)"}}"#).status == 201)
        #expect(try call("POST", "/api/accounts", #"{"provider":"bedrock","credential":{"kind":"aws","accessKeyId":"AKIACANARY0000000000","secretAccessKey":"\#(canaries["awsSecret"]!)","region":"us-east-1"}}"#).status == 201)
        let pem = "-----BEGIN PRIVATE KEY-----\\\\n\(canaries["privateKey"]!)\\\\n-----END PRIVATE KEY-----\\\\n"
        let sa = #"{\"type\":\"service_account\",\"client_email\":\"c@p.iam.gserviceaccount.com\",\"private_key\":\"\#(pem)\"}"#
        #expect(try call("POST", "/api/accounts", #"{"provider":"vertex","credential":{"kind":"service_account","json":"\#(sa)"}}"#).status == 201)
        #expect(try call("POST", "/api/accounts", #"{"provider":"openai","id":"openai:oauth","authMethod":"oauth_browser","credential":{"kind":"oauth","accessToken":"\#(canaries["accessToken"]!)","refreshToken":"\#(canaries["refreshToken"]!)","scopes":["models.read"]}}"#).status == 201)

        // The failing paths, each with a canary inside.
        #expect(try call("PUT", "/api/accounts/anthropic:default/credential", #"{"kind":"api_key","apiKey":"\#(canaries["apiKey"]!) trailing"}"#).status == 422)
        #expect(try call("PUT", "/api/accounts/vertex:default/credential", #"{"kind":"service_account","json":{"type":"user","private_key":"\#(canaries["privateKey"]!)"}}"#).status == 422)
        #expect(try call("PUT", "/api/accounts/anthropic:default/credential", #"{"kind":"aws","secretAccessKey":"\#(canaries["awsSecret"]!)"}"#).status == 422)
        #expect(try call("POST", "/api/accounts", #"{"provider":"anthropic","apiKey":"\#(canaries["apiKey"]!)"}"#).status == 422)
        #expect(try call("POST", "/api/accounts", #"{"provider":"\#(canaries["apiKey"]!)"}"#).status == 422)
        #expect(try call("POST", "/api/accounts", #"{"provider":"openai","baseUrl":"https://u:\#(canaries["apiKey"]!)@api.example.com"}"#).status == 422)
        #expect(try call("POST", "/api/accounts", #"{"provider":"openai","headers":{"X-Key":"\#(canaries["apiKey"]!)"}}"#).status == 422)
        #expect(try call("PATCH", "/api/accounts/anthropic:default", #"{"defaultModel":"\#(canaries["apiKey"]!)"}"#, contentType: "application/merge-patch+json").status == 422)
        #expect(try call("PUT", "/api/accounts/anthropic:default/credential", #"{"kind":"api_key","apiKey":"\#(canaries["apiKey"]!)"#).status == 400)
        let etag = try #require(try stack.send("GET", "/api/config").header("ETag"))
        let secretPatch = try stack.http.send("PATCH", "/api/config", headers: [stack.auth, ("Content-Type", "application/merge-patch+json"), ("If-Match", etag)],
                                              body: #"{"agents":{"defaults":{"apiKey":"\#(canaries["apiKey"]!)"}}}"#)
        bodies.append(secretPatch.body)
        #expect(secretPatch.status == 422)
        let badSignIn = try stack.http.send("POST", "/api/session", headers: [("Content-Type", "application/json")], body: #"{"token":"\#(canaries["wrongToken"]!)"}"#)
        bodies.append(badSignIn.body)
        #expect(badSignIn.status == 401)

        // Reads, a placeholder round trip, reveal and copy (their answers are the one place a secret may be).
        #expect(try call("PUT", "/api/accounts/anthropic:default/credential", #"{"kind":"api_key","apiKey":"••••\#(canaries["apiKey"]!.suffix(4))"}"#).status == 200)
        for path in ["/api/accounts", "/api/accounts/anthropic:default", "/api/accounts/vertex:default/impact", "/api/audit?limit=200", "/api/config"] {
            #expect(try call("GET", path).status == 200)
        }
        for id in ["anthropic:default", "bedrock:default", "vertex:default", "openai:oauth", "openai:env"] {
            #expect(try stack.send("POST", "/api/accounts/\(id)/credential/reveal").status == 200)
            #expect(try stack.send("POST", "/api/accounts/\(id)/credential/copy").status == 200)
        }
        #expect(try stack.send("POST", "/api/accounts/anthropic:default/credential/reveal").json["value"] as? String == canaries["apiKey"])

        // The CLI, a crash and a restart.
        outputs.append(try stack.cli("keys rotate").output)
        outputs.append(try stack.cli("audit verify").output)
        outputs.append(try stack.cli("keys status").output)
        stack.killResponder()
        try stack.restartResponder()
        #expect(try call("GET", "/api/accounts").status == 200)
        #expect(try call("DELETE", "/api/accounts/bedrock:default").status == 204)
        stack.stopResponder()

        // Search everything.
        var haystacks: [(String, String)] = [("stack logs", stack.logs)]
        haystacks += bodies.enumerated().map { ("HTTP body \($0.offset)", $0.element) }
        haystacks += outputs.enumerated().map { ("CLI output \($0.offset)", $0.element) }
        var files: [String] = []
        for directory in [stack.state, stack.run] {
            let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
            while let url = walker?.nextObject() as? URL {
                guard let data = FileManager.default.contents(atPath: url.path) else { continue }
                files.append(url.lastPathComponent)
                haystacks.append((url.path, String(decoding: data, as: UTF8.self)))
            }
        }
        #expect(files.contains("switchboard.sqlite"))
        #expect(files.contains("switchboard.sqlite-wal") || files.contains("switchboard.sqlite"))
        #expect(files.contains { $0.hasSuffix(".cred") })
        #expect(stack.logs.contains("POST /api/accounts"), "nginx's access log was searched")
        for (name, canary) in canaries.sorted(by: { $0.key < $1.key }) {
            for (place, text) in haystacks where text.contains(canary) {
                Issue.record("canary \(name) found in \(place)")
            }
        }
    }
}
