import Testing
@testable import SwitchboardKit

@Suite struct CryptoTests {
    @Test func sha256MatchesKnownVectors() {
        // FIPS 180-2 examples.
        #expect(Digest.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func base64URLHasNoPaddingOrUnsafeCharacters() {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.encode(Array("foobar".utf8)) == "Zm9vYmFy")
    }

    @Test func randomBytesDiffer() {
        #expect(SecureRandom.bytes(16) != SecureRandom.bytes(16))
        #expect(SecureRandom.bytes(32).count == 32)
    }

    @Test func constantTimeEqualCompares() {
        #expect(Digest.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Digest.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!Digest.constantTimeEqual([1, 2], [1, 2, 3]))
    }

    @Test func problemEncodesRFC9457Members() throws {
        let problem = Problem(.unprocessableContent, type: "invalid-config", title: "Invalid",
                              errors: [.init(pointer: "/a", code: "range", message: "too big")])
        let text = String(decoding: try JSON.encode(problem), as: UTF8.self)
        #expect(text == #"{"errors":[{"code":"range","message":"too big","pointer":"/a"}],"status":422,"title":"Invalid","type":"urn:switchboard:problem:invalid-config"}"#)
    }
}

@Suite struct JSONLogHandlerTests {
    @Test func escapesEverythingJSONRequires() throws {
        var out: [UInt8] = []
        JSONLogHandler.appendString(&out, "a\"b\\c\nd\u{01}é")
        #expect(String(decoding: out, as: UTF8.self) == #""a\"b\\c\nd\u0001é""#)
    }

    @Test func timestampIsRFC3339UTCWithMilliseconds() {
        var out: [UInt8] = []
        JSONLogHandler.appendTimestamp(&out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.count == 24 && text.hasSuffix("Z") && text.dropFirst(10).first == "T")
    }
}
