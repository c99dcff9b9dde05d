@testable import API
@testable import Cryptography
import Foundation
import GRDB
import HTTPTypes
@testable import Pairing
@testable import Storage
import TestSupport
import Testing

/// SECURITY.md "Pairing codes", in-process.
@Suite struct PairingTests {
    @Test func codesAreRandomGroupedAndFreeOfLookAlikes() {
        let codes = (0..<2000).map { _ in PairingService.newCode() }
        #expect(Set(codes).count == codes.count)
        for code in codes.prefix(200) {
            #expect(code.count == 11)
            #expect(code.split(separator: "-").map(\.count) == [3, 3, 3])
            #expect(code.allSatisfy { $0 == "-" || PairingService.alphabet.contains($0) })
        }
        for lookAlike in "01OIL" { #expect(!PairingService.alphabet.contains(lookAlike)) }
        // ≥ 40 bits.
        #expect(Double(PairingService.length) * log2(Double(PairingService.alphabet.count)) >= 40)
        // Case, dashes and spaces do not matter.
        #expect(PairingService.hash("abc-def-ghj") == PairingService.hash("ABC DEF GHJ"))
        #expect(PairingService.hash("ABCDEFGHJ") == PairingService.hash(" abc-DEF-ghj "))
    }

    func create(_ t: TestApp, _ body: String = #"{"provider":"openai","account":"openai:paired"}"#) async throws -> [String: Any] {
        let r = await t.json(.post, "/api/pairing", body)
        guard r.status == .created else { throw TestFailure("create: \(r.status) \(r.text)") }
        if let code = r.json["code"] as? String { Canary.remember(code) }
        return r.json
    }

    func complete(_ t: TestApp, code: String, provider: String = "openai", key: String = "sk-CANARYSECRET-paired-0123456789abcdef",
                  client: String = "10.0.0.7") async -> Response {
        await t.send(.post, "/api/pairing/complete", headers: [.contentType: "application/json"],
                     body: #"{"code":"\#(code)","provider":"\#(provider)","credential":{"kind":"api_key","apiKey":"\#(key)"}}"#, client: client)
    }

    @Test func aCodeCompletesOnceForItsProviderIntoTheVault() async throws {
        let t = try TestApp()
        let emulator = try ProviderEmulator()
        try await t.createAccount(#"{"provider":"openai","id":"openai:paired","baseUrl":"\#(emulator.baseURL)/openai/v1"}"#)
        let pairing = try await create(t)
        let code = pairing["code"] as! String
        #expect(pairing["status"] as? String == "waiting")
        #expect(pairing["command"] as? String == "switchboard auth pair --server http://localhost --provider openai --account paired")

        // Stored only as a hash.
        let stored = try await t.database.pool.read { db in try String.fetchAll(db, sql: "SELECT code_hash FROM pairing") }
        #expect(stored == [PairingService.hash(code)])

        let check = await t.send(.post, "/api/pairing/check", headers: [.contentType: "application/json"],
                                 body: #"{"code":"\#(code.lowercased())","provider":"openai"}"#)
        #expect(check.status == .ok)
        #expect(check.json["account"] as? String == "openai:paired")

        let wrongProvider = await complete(t, code: code, provider: "anthropic")
        #expect(wrongProvider.status == .conflict)
        #expect(wrongProvider.problemSlug == "pairing-wrong-provider")

        let done = await complete(t, code: code.replacingOccurrences(of: "-", with: " "))
        #expect(done.status == .ok, "\(done.text)")
        #expect(done.json["account"] as? String == "openai:paired")
        #expect(done.json["status"] as? String == "connected")   // tested at once against the emulator
        let again = await complete(t, code: code)
        #expect(again.status == .badRequest)

        let status = await t.bearer(.get, "/api/pairing/\(pairing["id"] as! String)").json
        #expect(status["status"] as? String == "completed")
        #expect(status["code"] is NSNull)
        let revealed = await t.bearer(.post, "/api/accounts/openai:paired/credential/reveal").json
        #expect(revealed["value"] as? String == "sk-CANARYSECRET-paired-0123456789abcdef")
        let events = await t.auditEvents("pairing.completed")
        #expect(events.count == 1)
        // The audit log never holds the code.
        let audit = await t.bearer(.get, "/api/audit?limit=200").text
        #expect(!audit.contains(code) && !audit.contains(code.replacingOccurrences(of: "-", with: "")))
    }

    @Test func fiveWrongTriesBurnTheCodeAndAnAddressIsThrottled() async throws {
        let t = try TestApp()
        let pairing = try await create(t)
        let code = pairing["code"] as! String
        for i in 0..<5 {
            let r = await complete(t, code: "ZZZ-ZZZ-ZZ\(i + 2)", client: "10.0.0.\(i + 10)")
            #expect(r.problemSlug == "pairing-code-invalid")
        }
        // Burned: the right code no longer works.
        #expect(await complete(t, code: code).problemSlug == "pairing-code-invalid")
        #expect(await t.bearer(.get, "/api/pairing/\(pairing["id"] as! String)").json["status"] as? String == "burned")

        // One address guessing is answered 429 after ten misses.
        let other = try await create(t, #"{"provider":"anthropic"}"#)
        var last: Response?
        for i in 0..<11 { last = await complete(t, code: "YYY-YYY-YY\(i % 8 + 2)", provider: "openrouter", client: "10.9.9.9") }
        #expect(last?.status == .tooManyRequests)
        #expect(last?.headers[.retryAfter] != nil)
        _ = other
    }

    @Test func codesExpireAndARefreshKillsTheOldCode() async throws {
        let t = try TestApp()
        let pairing = try await create(t)
        let old = pairing["code"] as! String
        let refreshed = await t.bearer(.post, "/api/pairing/\(pairing["id"] as! String)/refresh")
        #expect(refreshed.status == .ok)
        let new = refreshed.json["code"] as! String
        Canary.remember(new)
        #expect(new != old)
        #expect(await complete(t, code: old).problemSlug == "pairing-code-invalid")

        do {
            _ = try await t.app.pairing.complete(
                .object(["code": .string(new), "provider": .string("openai"),
                         "credential": .object(["kind": .string("api_key"), "apiKey": .string("sk-CANARYSECRET-late-0123456789")])]),
                client: "10.0.0.8", at: Date().addingTimeInterval(PairingService.lifetime + 1))
            Issue.record("an expired code was accepted")
        } catch let failure as PairingService.Failure {
            #expect(failure == .wrongCode(expired: true))
            #expect(failure.problem?.detail?.contains("expired — request a new code") == true)
        }
        let status = try t.app.pairing.get(pairing["id"] as! String, origin: "http://x", at: Date().addingTimeInterval(PairingService.lifetime + 1))
        #expect(status.status == "expired")
    }
}

/// Issue 12, item 6: wrong guesses count whatever provider they name, and no answer names another provider.
@Suite struct PairingGuessTests {
    func create(_ t: TestApp, _ provider: String) async throws -> (id: String, code: String) {
        let r = await t.json(.post, "/api/pairing", #"{"provider":"\#(provider)"}"#)
        guard r.status == .created, let code = r.json["code"] as? String, let id = r.json["id"] as? String else {
            throw TestFailure("create: \(r.status) \(r.text)")
        }
        Canary.remember(code)
        return (id, code)
    }

    func check(_ t: TestApp, code: String, provider: String, client: String) async -> Response {
        await t.send(.post, "/api/pairing/check", headers: [.contentType: "application/json"],
                     body: #"{"code":"\#(code)","provider":"\#(provider)"}"#, client: client)
    }

    func status(_ t: TestApp, _ id: String) async -> String? {
        await t.bearer(.get, "/api/pairing/\(id)").json["status"] as? String
    }

    @Test func guessesNamingAMadeUpProviderStillBurnEveryWaitingCode() async throws {
        let t = try TestApp()
        let openai = try await create(t, "openai")
        let anthropic = try await create(t, "anthropic")
        for i in 0..<PairingService.maxWrongTries {
            let r = await check(t, code: "ZZZ-ZZZ-ZZ\(i + 2)", provider: "no-such-provider", client: "10.1.0.\(i)")
            #expect(r.problemSlug == "pairing-code-invalid")
        }
        #expect(await status(t, openai.id) == "burned")
        #expect(await status(t, anthropic.id) == "burned")
        #expect(await check(t, code: openai.code, provider: "openai", client: "10.1.1.1").problemSlug == "pairing-code-invalid")
        #expect(await t.auditEvents("pairing.burned").count == 1)
    }

    @Test func aRightCodeWithTheWrongProviderIsAWrongTryThatNamesNoProvider() async throws {
        let t = try TestApp()
        let pairing = try await create(t, "openai")
        let r = await check(t, code: pairing.code, provider: "anthropic", client: "10.2.0.1")
        #expect(r.status == .conflict)
        #expect(r.problemSlug == "pairing-wrong-provider")
        #expect(!r.text.contains("openai") && !r.text.contains("OpenAI"), "the answer names the code's provider: \(r.text)")
        let attempts = try await t.database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT failed_attempts FROM pairing WHERE id = ?", arguments: [pairing.id])
        }
        #expect(attempts == 1)
        // Four more wrong tries of any kind burn it.
        for i in 0..<(PairingService.maxWrongTries - 1) {
            _ = await check(t, code: pairing.code, provider: "google", client: "10.2.0.\(i + 2)")
        }
        #expect(await status(t, pairing.id) == "burned")
    }

    @Test func failuresCountAgainstTheGuessingAddressWhateverProviderIsNamed() async throws {
        let t = try TestApp()
        var last: Response?
        for i in 0..<11 {
            last = await check(t, code: "YYY-YYY-YY\(i % 8 + 2)", provider: "made-up-\(i)", client: "10.3.3.3")
        }
        #expect(last?.status == .tooManyRequests)
        #expect(last?.headers[.retryAfter] != nil)
        // Another address is not affected.
        #expect(await check(t, code: "YYY-YYY-YY2", provider: "openai", client: "10.3.3.4").status == .badRequest)
    }
}
