import Cryptography
import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// A 32-byte master key and the number that names it in envelopes and in its file (`master-<id>.key`).
public struct MasterKey: Sendable {
    public let id: UInt32
    let bytes: [UInt8]
}

/// The master keys found under `<state>/keys/`: one file each, 0600, exactly 32 bytes from `RAND_bytes`.
/// Never from an environment variable, never in the database. New writes use the highest id.
public struct Keyring: Sendable {
    public typealias Problem = KeyFileProblem

    public let directory: URL
    public private(set) var keys: [UInt32: MasterKey] = [:]
    /// Key files that exist but cannot be used (mode, size, a symbolic link): named, never skipped silently.
    public private(set) var problems: [Problem] = []

    static let kind = "master"

    public var active: MasterKey? { keys.values.max { $0.id < $1.id } }
    public var highestID: UInt32 { max(keys.keys.max() ?? 0, KeyFiles.highestID(in: problems, kind: Self.kind)) }

    public static func fileName(_ id: UInt32) -> String { KeyFiles.name(kind, id) }
    public func file(_ id: UInt32) -> URL { directory.appendingPathComponent(Self.fileName(id)) }

    public static func load(_ directory: URL) -> Keyring {
        var ring = Keyring(directory: directory)
        let found = KeyFiles.load(directory, kind: kind, size: AESGCM.keySize, noun: "a master key")
        ring.keys = found.keys.reduce(into: [:]) { $0[$1.key] = MasterKey(id: $1.key, bytes: $1.value) }
        ring.problems = found.problems
        return ring
    }

    /// Writes a new random key as `master-<id>.key` (0600, never over an existing file).
    public static func create(id: UInt32, in directory: URL) throws -> MasterKey {
        let key = MasterKey(id: id, bytes: SecureRandom.bytes(AESGCM.keySize))
        try KeyFiles.create(key.bytes, kind: kind, id: id, in: directory)
        return key
    }
}

/// An advisory lock on `<state>/keys/.lock`: writers of credential files hold it shared, key rotation holds
/// it exclusively, so no file is written under a key that rotation is about to retire.
struct KeyLock {
    private let fd: Int32

    init(_ directory: URL, exclusive: Bool) throws {
        try DurableFile.ensureDirectory(directory)
        let path = directory.appendingPathComponent(".lock").path
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw DurableFile.Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            close(fd)
            throw DurableFile.Failure(description: "cannot lock \(path): \(reason)")
        }
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
