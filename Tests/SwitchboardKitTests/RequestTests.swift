@testable import API
import HTTPTypes
import Testing

@Suite struct RequestTests {
    @Test func cgiParametersBecomeARequest() throws {
        let request = try #require(Request(cgi: [
            "REQUEST_METHOD": "PATCH", "REQUEST_URI": "/api/config?x=1&y=a%20b", "QUERY_STRING": "x=1&y=a%20b",
            "CONTENT_TYPE": "application/merge-patch+json", "CONTENT_LENGTH": "2", "REMOTE_ADDR": "10.1.2.3",
            "HTTP_HOST": "example.test", "HTTP_X_SWITCHBOARD_CSRF": "1", "HTTPS": "on", "REQUEST_ID": "abc123",
        ], body: .bytes(Array("{}".utf8))))
        #expect(request.method == .patch)
        #expect(request.path == "/api/config")
        #expect(request.queryItems == ["x": "1", "y": "a b"])
        #expect(request.mediaType == "application/merge-patch+json")
        #expect(request.headers[.host] == "example.test")
        #expect(request.headers[.csrf] == "1")
        #expect(request.scheme == "https")
        #expect(request.clientAddress == "10.1.2.3")
        #expect(request.id == "abc123")
        #expect(request.bodyBytes == Array("{}".utf8))
    }

    @Test func proxyHeaderNeverBecomesAHeader() throws {
        let request = try #require(Request(cgi: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/", "HTTP_PROXY": "http://evil:8080"],
                                           body: .bytes([])))
        #expect(request.headers[HTTPField.Name("Proxy")!] == nil)
    }

    @Test func unsafeRequestIDFromTheWebServerIsReplaced() throws {
        let request = try #require(Request(cgi: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/", "REQUEST_ID": "a b\nforged=1"],
                                           body: .bytes([])))
        #expect(request.id != "a b\nforged=1")
        #expect(request.id.count == 16)
    }

    @Test func missingMethodIsRejected() {
        #expect(Request(cgi: ["REQUEST_URI": "/"], body: .bytes([])) == nil)
    }

    @Test func cookiesAreParsed() {
        var request = Request(method: .get, path: "/")
        request.headers[.cookie] = "a=1; sb_session=sbs_xyz; b=2"
        #expect(request.cookie(named: "sb_session") == "sbs_xyz")
        #expect(request.cookie(named: "missing") == nil)
    }

    @Test func mediaTypeIgnoresParametersAndCase() {
        var request = Request(method: .post, path: "/")
        request.headers[.contentType] = "Application/JSON; charset=utf-8"
        #expect(request.mediaType == "application/json")
    }
}
