import COpenSSL
import Foundation

/// A failed OpenSSL call, named by the function that failed and the first error on OpenSSL's queue.
public struct OpenSSLError: Error, CustomStringConvertible {
    public let operation: String
    public let detail: String
    public var description: String { "\(operation) failed: \(detail)" }
}

/// The one chokepoint that turns OpenSSL return codes into Swift errors. OpenSSL's EVP functions
/// return 1 on success; anything else is a failure and the reason (if any) sits on the error queue.
@inline(__always)
package func check(_ rc: Int32, _ operation: StaticString) throws {
    guard rc == 1 else {
        let code = ERR_get_error()
        var buffer = [CChar](repeating: 0, count: 256)
        if code != 0 { ERR_error_string_n(code, &buffer, buffer.count) }
        ERR_clear_error()
        throw OpenSSLError(operation: "\(operation)", detail: code == 0 ? "no error reported" : String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}

/// Cryptographically secure random bytes from OpenSSL's DRBG.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        // RAND_bytes only fails when the DRBG cannot be seeded; continuing without randomness is never safe.
        let rc = out.withUnsafeMutableBytes { RAND_bytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) }
        precondition(rc == 1, "RAND_bytes failed: the system has no usable entropy source")
        return out
    }
}

/// Hashes through OpenSSL's EVP interface.
public enum Digest {
    /// SHA-256 fetched once from the default provider. `EVP_sha256()` makes OpenSSL 3 fetch the
    /// implementation again on every digest, under a global lock shared by all threads.
    // nonisolated(unsafe): an EVP_MD fetched once is immutable and documented as safe to share across threads.
    nonisolated(unsafe) static let sha256Method: OpaquePointer = {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else { preconditionFailure("EVP_MD_fetch(SHA256) failed") }
        return md
    }()

    public static func sha256<Bytes: Collection<UInt8>>(_ data: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let input = Array(data)
        let rc = input.withUnsafeBytes { inBuf in
            out.withUnsafeMutableBytes { outBuf in
                EVP_Digest(inBuf.baseAddress, inBuf.count,
                           outBuf.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, sha256Method, nil)
            }
        }
        precondition(rc == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return out
    }

    public static func sha256Hex(_ string: String) -> String {
        Hex.encode(sha256(Array(string.utf8)))
    }

    /// Compares in time that depends only on the length, never on where the first difference is.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 } }
    }
}

public enum Hex {
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

public enum Base64URL {
    /// RFC 4648 §5 alphabet without padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
