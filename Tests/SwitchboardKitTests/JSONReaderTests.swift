@testable import API
@testable import Core
import Foundation
import HTTPTypes
import Testing

/// The one-pass JSON reader every body goes through (issue 12, item 1).
@Suite struct JSONReaderTests {
    func parse(_ text: String, maxDepth: Int = JSONReader.defaultMaxDepth) throws -> JSONValue {
        try JSONReader.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    func failure(_ text: String) -> JSONReader.Failure? {
        do { _ = try JSONReader.parse(Array(text.utf8)); return nil } catch { return error }
    }

    @Test func readsWhatJSONDecoderReads() throws {
        let samples = [
            #"{"a":1,"b":[true,false,null],"c":{"d":"e","f":-1.5e3},"g":""}"#,
            #"  [ 0 , -0 , 1.25 , 1E2 , 1e-2 , 12345678901234567890 ]  "#,
            #""\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00 plain""#,
            #"{"nested":{"deeper":{"deepest":[[[]],{}]}}}"#,
            "\"b\u{fc}cher \u{1F600}\"",
            "null", "true", "false", "0", "-7",
        ]
        for text in samples {
            let ours = try parse(text)
            let theirs = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(ours == theirs, "\(text)")
        }
    }

    @Test func refusesWhatIsNotJSON() {
        let bad = [
            "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "[1 2]", "01", "1.", ".5", "-", "1e", "+1",
            "tru", "nul", "\"open", "\"bad \\x escape\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
            "\"tab\there\"", "[1] x", "1e400", "NaN", "'single'",
        ]
        for text in bad {
            #expect(failure(text)?.kind == .syntax, "\(text.debugDescription) was accepted")
        }
        // Invalid UTF-8 (a lone continuation byte; an overlong encoding).
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse([0x22, 0x80, 0x22]) }
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse([0x22, 0xC0, 0xAF, 0x22]) }
        #expect(throws: JSONReader.Failure.self) { try JSONReader.parse([0x22, 0x5C, 0x6E, 0xFF, 0x22]) }
    }

    @Test func aMemberNamedTwiceIsRefused() {
        let f = failure(#"{"role":"user","role":"admin"}"#)
        #expect(f?.kind == .syntax)
        #expect(f?.message.contains("appears twice") == true)
    }

    @Test func nestingIsLimited() throws {
        func nested(_ depth: Int, _ open: String, _ close: String) -> String {
            String(repeating: open, count: depth) + String(repeating: close, count: depth)
        }
        _ = try parse(nested(64, "[", "]"))
        _ = try parse(String(repeating: #"{"a":"#, count: 63) + "[]" + String(repeating: "}", count: 63))
        #expect(failure(nested(65, "[", "]"))?.kind == .tooDeep(limit: 64))
        #expect(failure(String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65))?.kind == .tooDeep(limit: 64))
        // Refused where the limit is crossed, whatever follows (an unterminated 100 000-deep body).
        let deep = failure(String(repeating: "[", count: 100_000))
        #expect(deep?.kind == .tooDeep(limit: 64) && deep?.offset == 64)
        #expect(throws: JSONReader.Failure.self) { try parse(nested(3, "[", "]"), maxDepth: 2) }
    }

    @Test func aFailureSaysWhere() {
        let f = failure(#"{"a":[1,2,}"#)
        #expect(f?.offset == 10)
        #expect(f?.description.hasPrefix("at byte 10:") == true)
    }
}

/// Every body the API takes goes through the reader: too deep is 400 `json-too-deep`, in one problem shape.
@Suite struct BodyNestingTests {
    static let tooDeep = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)

    @Test func everyJSONBodyRefusesDeepNestingWith400() async throws {
        let t = try TestApp()
        let routes: [(HTTPRequest.Method, String, String)] = [
            (.post, "/api/session", "application/json"),
            (.post, "/api/pairing/check", "application/json"),
            (.post, "/api/pairing/complete", "application/json"),
            (.post, "/api/accounts", "application/json"),
            (.patch, "/api/config", "application/merge-patch+json"),
            (.post, "/api/config/revert", "application/json"),
            (.put, "/api/catalog/custom/deep", "application/json"),
            (.post, "/api/pairing", "application/json"),
            (.put, "/api/oauth/clients/openai", "application/json"),
            (.post, "/api/providers/openai/test", "application/json"),
        ]
        for (method, path, type) in routes {
            let r = await t.bearer(method, path, headers: [.contentType: type, .ifMatch: "\"1\""], body: Self.tooDeep)
            #expect(r.status == .badRequest, "\(method) \(path): \(r.status) \(r.text)")
            #expect(r.problemSlug == "json-too-deep", "\(method) \(path): \(r.text)")
            #expect(r.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func malformedBodiesSayWhere() async throws {
        let t = try TestApp()
        let r = await t.bearer(.post, "/api/accounts", headers: [.contentType: "application/json"], body: #"{"provider":"openai",}"#)
        #expect(r.status == .badRequest)
        #expect(r.problemSlug == "malformed-json")
        #expect((r.json["detail"] as? String)?.contains("at byte 21") == true, "\(r.text)")
    }
}

/// Failed guesses are throttled per address; valid credentials never are (issue 12, items 1 and 7).
@Suite struct ThrottleTests {
    @Test func aValidTokenIsNeverThrottledAfterWrongOnesFromItsAddress() async throws {
        let t = try TestApp()
        for _ in 0..<10 {
            #expect(await t.send(.get, "/api/config", headers: [.authorization: "Bearer sbk_wrong"], client: "10.5.5.5").status == .unauthorized)
        }
        let wrong = await t.send(.get, "/api/config", headers: [.authorization: "Bearer sbk_wrong"], client: "10.5.5.5")
        #expect(wrong.status == .tooManyRequests)
        #expect(wrong.headers[.retryAfter] != nil)
        let right = await t.send(.get, "/api/config", headers: [.authorization: "Bearer \(t.token)"], client: "10.5.5.5")
        #expect(right.status == .ok, "a valid token was throttled: \(right.status)")
    }

    @Test func aThrottledAddressIsRefusedFromTheRequestHeadOnGuardedRoutes() async throws {
        let t = try TestApp()
        let address = "10.6.6.6"
        func head(_ method: HTTPRequest.Method, _ path: String, _ headers: HTTPFields = [:], client: String = address) -> Request {
            Request(method: method, path: path, headers: headers, clientAddress: client)
        }
        // Nothing is refused while nobody is throttled.
        #expect(!t.app.mayRefuseBeforeBody)
        #expect(t.app.refusal(beforeBody: head(.post, "/api/session")) == nil)

        for i in 0..<10 {
            _ = await t.send(.post, "/api/session", headers: [.contentType: "application/json"], body: #"{"token":"sbk_guess\#(i)"}"#, client: address)
        }
        #expect(t.app.mayRefuseBeforeBody)
        for (method, path) in [(HTTPRequest.Method.post, "/api/session"), (.post, "/api/pairing/check"), (.post, "/api/pairing/complete"),
                               (.get, "/api/oauth/openai/callback"), (.post, "/api/oauth/openai/paste"), (.patch, "/api/config")] {
            let refused = t.app.refusal(beforeBody: head(method, path))
            #expect(refused?.status == .tooManyRequests, "\(method) \(path)")
            #expect(refused?.headers[.retryAfter] != nil)
            #expect(refused?.headers[.contentType] == "application/problem+json")
        }
        // Valid credentials pass; health, and other addresses, are never refused.
        #expect(t.app.refusal(beforeBody: head(.patch, "/api/config", [.authorization: "Bearer \(t.token)"])) == nil)
        #expect(t.app.refusal(beforeBody: head(.get, "/api/health")) == nil)
        #expect(t.app.refusal(beforeBody: head(.post, "/api/session", client: "10.6.6.7")) == nil)
        // In-process the same rule holds after the body: the right token cannot sign in from there for now.
        let signIn = await t.send(.post, "/api/session", headers: [.contentType: "application/json"], body: #"{"token":"\#(t.token)"}"#, client: address)
        #expect(signIn.status == .tooManyRequests)
    }

    @Test func unusableOAuthStatesCountAsFailedGuesses() async throws {
        let t = try TestApp()
        for i in 0..<10 {
            let r = await t.send(.get, "/api/oauth/openai/callback?code=x&state=guess\(i)", client: "10.7.7.7")
            #expect(r.status == .badRequest)
        }
        #expect(await t.send(.get, "/api/oauth/openai/callback?code=x&state=guess", client: "10.7.7.7").status == .tooManyRequests)
    }
}
