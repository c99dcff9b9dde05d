import Cryptography

/// The bytes of one encrypted value: `version(1) | keyId(4, big-endian) | nonce(12) | ciphertext | tag(16)`.
///
/// The associated data binds the ciphertext to where it belongs (version, key id, account, field): moved to
/// another account or field, or relabelled with another key id, it no longer opens.
public struct Envelope: Sendable, Equatable {
    public static let version: UInt8 = 1
    static let headerSize = 1 + 4 + AESGCM.nonceSize

    public var keyID: UInt32
    public var nonce: [UInt8]
    public var ciphertext: [UInt8]
    public var tag: [UInt8]

    public enum Malformed: Error, Equatable, CustomStringConvertible {
        case tooShort(Int)
        case unknownVersion(UInt8)
        public var description: String {
            switch self {
            case .tooShort(let n): "the encrypted file is \(n) bytes, too short to be an envelope"
            case .unknownVersion(let v): "the encrypted file has envelope version \(v); this build reads version \(Envelope.version)"
            }
        }
    }

    public init(keyID: UInt32, nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8]) {
        self.keyID = keyID
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.tag = tag
    }

    /// Parses an envelope. An unknown version is an error, never "treat as plaintext".
    public init(bytes: [UInt8]) throws(Malformed) {
        guard bytes.count >= Self.headerSize + AESGCM.tagSize else { throw .tooShort(bytes.count) }
        guard bytes[0] == Self.version else { throw .unknownVersion(bytes[0]) }
        keyID = bytes[1...4].reduce(0) { $0 << 8 | UInt32($1) }
        nonce = Array(bytes[5..<Self.headerSize])
        ciphertext = Array(bytes[Self.headerSize..<(bytes.count - AESGCM.tagSize)])
        tag = Array(bytes.suffix(AESGCM.tagSize))
    }

    public var bytes: [UInt8] {
        [Self.version] + Self.bigEndian(keyID) + nonce + ciphertext + tag
    }

    static func bigEndian(_ n: UInt32) -> [UInt8] {
        [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
    }

    /// `"switchboard-vault" | version | keyId | len(account) account | len(field) field`, lengths as 4 bytes.
    public static func associatedData(keyID: UInt32, account: String, field: String) -> [UInt8] {
        var out = Array("switchboard-vault".utf8)
        out.append(version)
        out += bigEndian(keyID)
        for part in [account, field] {
            let bytes = Array(part.utf8)
            out += bigEndian(UInt32(bytes.count)) + bytes
        }
        return out
    }

    /// Encrypts under `key` with a fresh random nonce.
    public static func seal(_ plaintext: [UInt8], key: MasterKey, account: String, field: String) throws -> Envelope {
        let nonce = SecureRandom.bytes(AESGCM.nonceSize)
        let sealed = try AESGCM.seal(plaintext, key: key.bytes, nonce: nonce,
                                     associatedData: associatedData(keyID: key.id, account: account, field: field))
        return Envelope(keyID: key.id, nonce: nonce, ciphertext: sealed.ciphertext, tag: sealed.tag)
    }

    public func open(key: MasterKey, account: String, field: String) throws(AESGCM.AuthenticationFailure) -> [UInt8] {
        guard key.id == keyID else { throw AESGCM.AuthenticationFailure() }
        return try AESGCM.open(ciphertext, tag: tag, key: key.bytes, nonce: nonce,
                               associatedData: Self.associatedData(keyID: keyID, account: account, field: field))
    }
}
