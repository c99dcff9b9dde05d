import HTTPTypes

extension HTTPField.Name {
    /// HTTPTypes models the host as the `:authority` pseudo-header; CGI delivers a plain `Host`.
    package static let host = HTTPField.Name("Host")!
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    /// The custom header a cookie-authenticated write must carry (`X-Switchboard-CSRF: 1`).
    public static let csrf = HTTPField.Name("X-Switchboard-CSRF")!
    package static let requestID = HTTPField.Name("X-Request-Id")!
}
