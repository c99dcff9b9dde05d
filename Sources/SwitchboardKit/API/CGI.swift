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
        for (key, value) in params where key.hasPrefix("HTTP_") && key != "HTTP_PROXY" {
            let name = key.dropFirst(5).lowercased().replacingOccurrences(of: "_", with: "-")
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
