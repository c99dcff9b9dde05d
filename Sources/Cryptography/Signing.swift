import COpenSSL
import Core
import Foundation

/// HMAC-SHA256 and RSA-SHA256 (RS256) signatures through OpenSSL's EVP interface.
public enum Signing {
    public static func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length = 0
        let rc = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                out.withUnsafeMutableBytes { o in
                    EVP_Q_mac(nil, "HMAC", nil, "SHA256", nil, k.baseAddress, k.count, d.baseAddress, d.count,
                              o.baseAddress!.assumingMemoryBound(to: UInt8.self), 32, &length)
                }
            }
        }
        precondition(rc != nil && length == 32, "HMAC-SHA256 failed")
        return out
    }

    public struct KeyFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Signs `data` with the PEM private key (PKCS#8, as Google's service-account files hold it), RS256.
    public static func rs256(pem: String, _ data: [UInt8]) throws -> [UInt8] {
        let bytes = Array(pem.utf8)
        guard let bio = bytes.withUnsafeBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else {
            throw KeyFailure(description: "cannot read the private key")
        }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
            ERR_clear_error()
            throw KeyFailure(description: "the private key is not a PEM key OpenSSL can read")
        }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { throw KeyFailure(description: "out of memory") }
        defer { EVP_MD_CTX_free(ctx) }
        try check(EVP_DigestSignInit_ex(ctx, nil, "SHA256", nil, nil, key, nil), "EVP_DigestSignInit_ex")
        var length = 0
        try check(data.withUnsafeBytes { EVP_DigestSign(ctx, nil, &length, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count) }, "EVP_DigestSign(size)")
        var signature = [UInt8](repeating: 0, count: length)
        try check(data.withUnsafeBytes { d in
            signature.withUnsafeMutableBytes { s in
                EVP_DigestSign(ctx, s.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count)
            }
        }, "EVP_DigestSign")
        return Array(signature.prefix(length))
    }
}

/// AWS Signature Version 4 for a request without a body (or with the body's hash given), header-signed.
public struct SigV4 {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var region: String
    public var service: String

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, region: String, service: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
    }

    static func amzDate(_ date: Date) -> (full: String, day: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ n: Int?, _ width: Int) -> String { let s = String(n ?? 0); return String(repeating: "0", count: max(0, width - s.count)) + s }
        let day = pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2)
        return (day + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2) + "Z", day)
    }

    /// RFC 3986 unreserved characters stay; everything else is %XX (upper case), as SigV4 wants.
    static func encode(_ s: String, keepSlash: Bool) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(UnicodeScalar(b))
            if (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || "-._~".contains(c) || (keepSlash && b == 0x2F) {
                out.append(c)
            } else {
                out += "%" + String(format: "%02X", b)
            }
        }
        return out
    }

    /// The headers to add (`X-Amz-Date`, `Authorization`, and `X-Amz-Security-Token` with a session token).
    /// `path` is the URI path, unencoded; `query` the decoded query items.
    public func sign(method: String, host: String, path: String, query: [(String, String)], headers: [(String, String)] = [],
                     payload: [UInt8] = [], at date: Date) -> [(String, String)] {
        let (amzDate, day) = Self.amzDate(date)
        var all: [(String, String)] = headers.map { (item: (String, String)) -> (String, String) in (item.0.lowercased(), item.1.trimmed) }
        all.append(("host", host))
        all.append(("x-amz-date", amzDate))
        if let sessionToken { all.append(("x-amz-security-token", sessionToken)) }
        all.sort { (a: (String, String), b: (String, String)) -> Bool in a.0 < b.0 }
        let canonicalHeaders = all.map { (item: (String, String)) -> String in item.0 + ":" + item.1 + "\n" }.joined()
        let signedHeaders = all.map(\.0).joined(separator: ";")
        var encoded: [(String, String)] = query.map { item in
            (Self.encode(item.0, keepSlash: false), Self.encode(item.1, keepSlash: false))
        }
        encoded.sort { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        let canonicalQuery = encoded.map { (item: (String, String)) -> String in item.0 + "=" + item.1 }.joined(separator: "&")
        let canonicalPath = path.isEmpty ? "/" : Self.encode(path, keepSlash: true)
        let payloadHash: String = Hex.encode(Digest.sha256(payload))
        let parts: [String] = [method, canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash]
        let canonicalRequest = parts.joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let requestHash: String = Hex.encode(Digest.sha256(Array(canonicalRequest.utf8)))
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, requestHash].joined(separator: "\n")
        var key = Signing.hmacSHA256(key: Array("AWS4\(secretAccessKey)".utf8), Array(day.utf8))
        for part in [region, service, "aws4_request"] { key = Signing.hmacSHA256(key: key, Array(part.utf8)) }
        let signature = Hex.encode(Signing.hmacSHA256(key: key, Array(stringToSign.utf8)))
        var out = [("X-Amz-Date", amzDate),
                   ("Authorization", "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)")]
        if let sessionToken { out.append(("X-Amz-Security-Token", sessionToken)) }
        return out
    }
}
