import Foundation
import Testing
import TestSupport

/// What nginx.conf.example puts on the wire, seen by a raw FastCGI listener (no libfcgi, no filtering).
@Suite(.ownThread) struct NginxConfigTests {
    @Test func proxyHeaderNeverReachesTheResponderAndParamsAreExplicit() throws {
        let dir = try Paths.temporaryDirectory("nginxcfg")
        defer { try? FileManager.default.removeItem(at: dir) }
        let listener = try RecordingFastCGIListener(socketPath: dir.appendingPathComponent("rec.sock").path)
        defer { listener.stop() }
        let nginx = try NginxOnly(socketPath: listener.socketPath, dir: dir)
        defer { nginx.stop() }

        let reply = try HTTPClient(port: nginx.port).send("GET", "/api/health?x=1", headers: [("Proxy", "http://attacker.example:3128"), ("X-Custom", "kept")])
        #expect(reply.status == 200 && reply.body == "recorded")
        let params = try #require(listener.requests.first)
        #expect(params["HTTP_PROXY"] == nil, "the Proxy header reached the responder as HTTP_PROXY")
        #expect(params["HTTP_X_CUSTOM"] == "kept")
        #expect(params["REQUEST_URI"] == "/api/health?x=1")
        #expect(params["QUERY_STRING"] == "x=1")
        #expect(params["REQUEST_ID"]?.count == 32)
        #expect(params["REMOTE_ADDR"] == "127.0.0.1")
        for unwanted in ["SCRIPT_FILENAME", "PATH_INFO", "SCRIPT_NAME", "DOCUMENT_ROOT"] {
            #expect(params[unwanted] == nil, "\(unwanted) is sent")
        }
    }
}
