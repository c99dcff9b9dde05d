import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 12, item 11, through the real binary: `serve` renews an expiring OAuth sign-in by itself, with no
/// request, and still stops at once on SIGTERM.
@Suite(.ownThread) struct TokenRenewalThroughNginxTests {
    @Test func theServerRenewsAnExpiringSignInWithNoRequestAndStillStopsOnSIGTERM() throws {
        // Given a server that looks every second, and a sign-in done elsewhere that expires in two minutes
        // (inside the default five-minute margin)
        let fake = try FakeAuthorizationServer()
        let stack = try Stack(serveArguments: ["--outbound-ca-file", TestCA.files.caCertificate, "--allow-private-host", "localhost",
                                               "--token-renewal-interval", "1"], label: "renewal")
        #expect(try stack.send("PUT", "/api/oauth/clients/openai", json: fake.clientSettings()).status == 200)
        fake.behaviour.expiresIn = 120
        let tokens = fake.signInElsewhere()
        fake.behaviour.expiresIn = 3600
        let expires = Date().addingTimeInterval(120).formatted(.iso8601)
        let created = try stack.send("POST", "/api/accounts", json: #"""
            {"provider":"openai","id":"openai:renewed","credential":{"kind":"oauth","accessToken":"\#(tokens.accessToken)",
             "refreshToken":"\#(tokens.refreshToken)","expiresAt":"\#(expires)","clientKind":"provider_cli"}}
            """#)
        #expect(created.status == 201, "\(created)")
        let hint = (created.json["credential"] as? [String: Any])?["hint"] as? String

        // When nobody asks the server anything, the fake sees the refresh
        let deadline = Date().addingTimeInterval(30)
        while fake.refreshGrants.isEmpty && Date() < deadline { usleep(100_000) }
        #expect(fake.refreshGrants.map { $0.form["refresh_token"] } == [tokens.refreshToken])

        // Then the account holds the renewed sign-in
        var renewedHint = hint
        let stored = Date().addingTimeInterval(10)
        while renewedHint == hint && Date() < stored {
            renewedHint = ((try? stack.send("GET", "/api/accounts/openai:renewed").json["credential"] as? [String: Any]))?["hint"] as? String
            if renewedHint == hint { usleep(100_000) }
        }
        #expect(renewedHint != hint)
        #expect(try stack.auditTypes().contains("credential.refreshed"))

        // And SIGTERM still stops it cleanly; the logs name the account, never a token
        let pid = stack.responderPID
        stack.stopResponder()
        #expect(processHasExited(pid))
        let logs = stack.logs
        #expect(logs.contains("token renewed"))
        #expect(logs.contains("fastcgi stopped"))
        #expect(!logs.contains("CANARYSECRET"))
    }
}
