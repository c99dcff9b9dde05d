import HTTPTypes

extension Request {
    /// Builds a request from CGI/1.1 meta-variables (RFC 3875) as a FastCGI web server sends them.
    ///
    /// `HTTP_*` parameters become headers; `HTTP_PROXY` is ignored whatever its value (HTTPoxy).
    /// Returns nil when the method is missing.
    public init?(cgi params: [String: String], body: Body) {
        guard let methodName = params["REQUEST_METHOD"], let method = HTTPRequest.Method(methodName) else { return nil }
        let uri = params["REQUEST_URI"] ?? params["DOCUMENT_URI"] ?? "/"
        let pathPart: Substring
        if let q = uri.firstIndex(of: "?") { pathPart = uri[..<q] } else { pathPart = Substring(uri) }

        var headers = HTTPFields()
        for (key, value) in params where key.utf8.starts(with: "HTTP_".utf8) && key != "HTTP_PROXY" {
            // HTTP_X_SWITCHBOARD_CSRF -> x-switchboard-csrf, byte by byte (this runs for every header).
            let name = String(decoding: key.utf8.dropFirst(5).map { byte -> UInt8 in
                switch byte {
                case UInt8(ascii: "_"): UInt8(ascii: "-")
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte | 0x20
                default: byte
                }
            }, as: UTF8.self)
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        // CGI moves these two out of the HTTP_* namespace.
        if let type = params["CONTENT_TYPE"], !type.isEmpty { headers[.contentType] = type }
        if let length = params["CONTENT_LENGTH"], !length.isEmpty { headers[.contentLength] = length }

        self.init(method: method, path: String(pathPart), query: params["QUERY_STRING"] ?? "", headers: headers,
                  body: [], clientAddress: params["REMOTE_ADDR"] ?? "",
                  scheme: (params["HTTPS"].map { !$0.isEmpty && $0.lowercased() != "off" } ?? false) ? "https" : (params["REQUEST_SCHEME"] ?? "http"),
                  id: params["REQUEST_ID"].flatMap(RequestID.accept))
        self.body = body
    }
}
