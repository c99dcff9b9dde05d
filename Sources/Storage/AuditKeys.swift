import Cryptography
import Foundation

/// A 32-byte audit key and the number that names it in the events it sealed (`key_id`) and in its file
/// (`audit-<id>.key`).
public struct AuditKey: Sendable {
    public let id: UInt32
    let bytes: [UInt8]

    /// HMAC-SHA256 of `text` under this key, hex.
    func seal(_ text: String) -> String {
        Hex.encode(Signing.hmacSHA256(key: bytes, Array(text.utf8)))
    }

    /// Whether `seal` is this key's seal of `text`, compared in constant time.
    func isSeal(_ seal: String, of text: String) -> Bool {
        Digest.constantTimeEqual(Array(self.seal(text).utf8), Array(seal.utf8))
    }
}

/// The audit log's keys under `<state>/keys/`: `audit-<id>.key`, 0600, 32 bytes from `RAND_bytes`, read with
/// the same checks as the master keys. Never in the database or the environment. New events are sealed with
/// the highest id; older keys are kept, since they are what verifies the events sealed before a rotation.
public struct AuditKeyring: Sendable {
    public static let keySize = 32
    static let kind = "audit"

    public let directory: URL
    public private(set) var keys: [UInt32: AuditKey] = [:]
    /// Key files that exist but cannot be used: named, never skipped silently.
    public private(set) var problems: [KeyFileProblem] = []

    /// The key new events are sealed with.
    public var current: AuditKey? { keys.values.max { $0.id < $1.id } }
    /// The highest id that has a file, usable or not: a new key takes a higher one.
    public var highestID: UInt32 { max(keys.keys.max() ?? 0, KeyFiles.highestID(in: problems, kind: Self.kind)) }

    public static func fileName(_ id: UInt32) -> String { KeyFiles.name(kind, id) }
    public func file(_ id: UInt32) -> URL { directory.appendingPathComponent(Self.fileName(id)) }

    public static func load(_ directory: URL) -> AuditKeyring {
        var ring = AuditKeyring(directory: directory)
        let found = KeyFiles.load(directory, kind: kind, size: keySize, noun: "an audit key")
        ring.keys = found.keys.reduce(into: [:]) { $0[$1.key] = AuditKey(id: $1.key, bytes: $1.value) }
        ring.problems = found.problems
        return ring
    }

    /// A new random key, not yet written.
    static func generate(id: UInt32) -> AuditKey {
        AuditKey(id: id, bytes: SecureRandom.bytes(keySize))
    }

    /// Writes `key` as `audit-<id>.key` (0600, fsynced, never over an existing file).
    static func store(_ key: AuditKey, in directory: URL) throws {
        try DurableFile.ensureDirectory(directory)
        try KeyFiles.create(key.bytes, kind: kind, id: key.id, in: directory)
    }

    /// Why the key `id` cannot be used, naming its file: the file's problem, or that it is missing.
    func unavailable(_ id: UInt32) -> String {
        let path = file(id).path
        if let problem = problems.first(where: { $0.file == path }) { return "\(path) \(problem.message)" }
        return "\(path) is missing (restore it from the backup of keys/)"
    }
}
