import COpenSSL

/// AES-256-GCM through OpenSSL's EVP interface: a 32-byte key, a 12-byte nonce, a 16-byte tag.
///
/// The caller supplies the nonce so known-answer vectors can be checked; the vault always passes a fresh
/// random one (`SecureRandom.bytes(12)`).
public enum AESGCM {
    public static let keySize = 32
    public static let nonceSize = 12
    public static let tagSize = 16

    /// Authentication failed: wrong key, wrong associated data, or a changed nonce, ciphertext or tag.
    /// Deliberately carries no detail (PLATFORM.md: a failed tag check leaves nothing on OpenSSL's queue).
    public struct AuthenticationFailure: Error, Equatable, CustomStringConvertible {
        public var description: String { "AES-GCM authentication failed" }

        package init() {}
    }

    // nonisolated(unsafe): an EVP_CIPHER fetched once is immutable and safe to share across threads.
    nonisolated(unsafe) static let cipher: OpaquePointer = {
        guard let c = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil) else { preconditionFailure("EVP_CIPHER_fetch(AES-256-GCM) failed") }
        return c
    }()

    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        precondition(key.count == keySize && nonce.count == nonceSize, "AES-256-GCM needs a 32-byte key and a 12-byte nonce")
        guard let ctx = EVP_CIPHER_CTX_new() else { throw OpenSSLError(operation: "EVP_CIPHER_CTX_new", detail: "out of memory") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        try check(EVP_EncryptInit_ex2(ctx, cipher, nil, nil, nil), "EVP_EncryptInit_ex2")
        try check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceSize), nil), "EVP_CTRL_GCM_SET_IVLEN")
        try check(EVP_EncryptInit_ex2(ctx, nil, key, nonce, nil), "EVP_EncryptInit_ex2(key)")
        var length: Int32 = 0
        if !associatedData.isEmpty {
            try check(EVP_EncryptUpdate(ctx, nil, &length, associatedData, Int32(associatedData.count)), "EVP_EncryptUpdate(aad)")
        }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var total: Int32 = 0
        if !plaintext.isEmpty {
            try check(EVP_EncryptUpdate(ctx, &out, &length, plaintext, Int32(plaintext.count)), "EVP_EncryptUpdate")
            total = length
        }
        try out.withUnsafeMutableBufferPointer { buffer in
            try check(EVP_EncryptFinal_ex(ctx, buffer.baseAddress! + Int(total), &length), "EVP_EncryptFinal_ex")
        }
        total += length
        var tag = [UInt8](repeating: 0, count: tagSize)
        try check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tagSize), &tag), "EVP_CTRL_GCM_GET_TAG")
        return (Array(out.prefix(Int(total))), tag)
    }

    /// Decrypts and authenticates. The tag must be exactly 16 bytes: OpenSSL would otherwise accept a
    /// truncated tag and check only its first bytes.
    public static func open(_ ciphertext: [UInt8], tag: [UInt8], key: [UInt8], nonce: [UInt8],
                            associatedData: [UInt8]) throws(AuthenticationFailure) -> [UInt8] {
        guard key.count == keySize, nonce.count == nonceSize, tag.count == tagSize,
              let ctx = EVP_CIPHER_CTX_new() else { throw AuthenticationFailure() }
        defer { EVP_CIPHER_CTX_free(ctx); ERR_clear_error() }
        var length: Int32 = 0
        var out = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var total: Int32 = 0
        var tagCopy = tag
        guard EVP_DecryptInit_ex2(ctx, cipher, nil, nil, nil) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceSize), nil) == 1,
              EVP_DecryptInit_ex2(ctx, nil, key, nonce, nil) == 1,
              associatedData.isEmpty || EVP_DecryptUpdate(ctx, nil, &length, associatedData, Int32(associatedData.count)) == 1
        else { throw AuthenticationFailure() }
        if !ciphertext.isEmpty {
            guard EVP_DecryptUpdate(ctx, &out, &length, ciphertext, Int32(ciphertext.count)) == 1 else { throw AuthenticationFailure() }
            total = length
        }
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tagSize), &tagCopy) == 1 else { throw AuthenticationFailure() }
        let final = out.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(ctx, buffer.baseAddress! + Int(total), &length)
        }
        // Anything but 1 is a failed authentication; the decrypted bytes are wiped, never returned.
        guard final == 1 else {
            for i in out.indices { out[i] = 0 }
            throw AuthenticationFailure()
        }
        total += length
        return Array(out.prefix(Int(total)))
    }
}
