import CCurl

/// A libcurl call that failed, named by the operation and curl's own message. Every `CURLcode` and `CURLMcode`
/// this target sees goes through `Curl.check` (or `Curl.failure(of:)` for a finished transfer): the one place
/// C errors become Swift values, as `check` is for OpenSSL in Cryptography.
package struct CurlError: Error, CustomStringConvertible, Equatable {
    package let operation: String
    package let code: Int
    package let message: String
    package var description: String { "\(operation): \(message) (curl \(code))" }
}

package enum Curl {
    /// libcurl's process-wide setup, once, before the first handle (thread-safe since 7.84, but done once anyway).
    /// Debian's libcurl 7.88 is the oldest this is built for: `CURLOPT_PROTOCOLS_STR` needs 7.85.
    package static let ready: Result<Void, CurlError> = {
        let code = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        guard code == CURLE_OK else { return .failure(error(code, "curl_global_init")) }
        guard let info = sb_version_info(), info.pointee.version_num >= 0x07_55_00 else {
            return .failure(CurlError(operation: "curl_version_info", code: -1,
                                      message: "libcurl \(version) is too old: 7.85 or later is needed (CURLOPT_PROTOCOLS_STR)"))
        }
        return .success(())
    }()

    /// The linked libcurl's version and TLS library, for logs and `--version`.
    package static var version: String {
        guard let info = sb_version_info() else { return "unknown" }
        let number = info.pointee.version.map { String(cString: $0) } ?? "?"
        let tls = info.pointee.ssl_version.map { String(cString: $0) } ?? "no TLS"
        return "\(number) (\(tls))"
    }

    /// Throws unless `code` is CURLE_OK.
    static func check(_ code: CURLcode, _ operation: StaticString) throws(CurlError) {
        if code != CURLE_OK { throw error(code, "\(operation)") }
    }

    /// Throws unless `code` is CURLM_OK.
    static func check(_ code: CURLMcode, _ operation: StaticString) throws(CurlError) {
        if code != CURLM_OK {
            throw CurlError(operation: "\(operation)", code: Int(code.rawValue), message: String(cString: curl_multi_strerror(code)))
        }
    }

    static func error(_ code: CURLcode, _ operation: String) -> CurlError {
        CurlError(operation: operation, code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)))
    }

    /// What a finished transfer's result means for the caller: nil when it succeeded. The host names the
    /// failure (never the URL: a query string could carry a key).
    static func failure(of code: CURLcode, host: String, limit: Int) -> OutboundFailure? {
        switch code {
        case CURLE_OK: return nil
        case CURLE_OPERATION_TIMEDOUT: return .timeout(host: host)
        case CURLE_COULDNT_RESOLVE_HOST: return .dns(host: host)
        case CURLE_FILESIZE_EXCEEDED: return .tooLarge(host: host, limit: limit)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_ENGINE_INITFAILED,
             CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls(host: host)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .invalidURL("cannot be called (\(String(cString: curl_easy_strerror(code))))")
        default:
            // Refused, reset, nothing received, a send or receive error: the host could not be talked to.
            return .network(host: host)
        }
    }
}
