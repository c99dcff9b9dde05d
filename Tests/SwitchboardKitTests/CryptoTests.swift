@testable import API
@testable import Core
@testable import Cryptography
import Foundation
import Logging
import Testing

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

@Suite struct LogSinkTests {
    /// A temp file opened for appending, as the service's log is.
    func withLogFile(_ body: (Int32, () -> String) throws -> Void) rethrows {
        let path = NSTemporaryDirectory() + "sink-\(UUID().uuidString)"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        defer { close(fd); unlink(path) }
        try body(fd, { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" })
    }

    @Test func infoLinesWaitForTheBatchAndKeepTheirOrder() {
        withLogFile { fd, contents in
            let sink = LogSink(fileDescriptor: fd, interval: .seconds(3600))
            var logger = Logger(label: "t") { JSONLogHandler(label: $0, sink: sink) }
            logger.logLevel = .info
            for n in 0..<50 { logger.info("line", metadata: ["n": "\(n)"]) }
            #expect(contents().isEmpty, "info lines are batched")
            sink.flush()
            let lines = contents().split(separator: "\n")
            #expect(lines.count == 50)
            #expect(lines.enumerated().allSatisfy { $0.element.contains(#""n":"\#($0.offset)""#) })
        }
    }

    @Test func warningsAreWrittenAtOnceWithWhatCameBefore() {
        withLogFile { fd, contents in
            let sink = LogSink(fileDescriptor: fd, interval: .seconds(3600))
            let logger = Logger(label: "t") { JSONLogHandler(label: $0, sink: sink) }
            logger.info("before")
            logger.warning("now")
            let lines = contents().split(separator: "\n")
            #expect(lines.count == 2 && lines[0].contains("before") && lines[1].contains("now"))
        }
    }

    @Test func theTimerWritesIdleLines() {
        withLogFile { fd, contents in
            let sink = LogSink(fileDescriptor: fd, interval: .milliseconds(20))
            let logger = Logger(label: "t") { JSONLogHandler(label: $0, sink: sink) }
            logger.info("idle")
            for _ in 0..<500 where contents().isEmpty { usleep(10_000) }   // polls up to 5 s
            #expect(contents().contains("idle"))
        }
    }
}
