import Foundation
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
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file): \(message)" }
    }

    public let directory: URL
    public private(set) var keys: [UInt32: MasterKey] = [:]
    /// Key files that exist but cannot be used (mode, size, a symbolic link): named, never skipped silently.
    public private(set) var problems: [Problem] = []

    public var active: MasterKey? { keys.values.max { $0.id < $1.id } }
    public var highestID: UInt32 { max(keys.keys.max() ?? 0, problems.compactMap { Self.id(ofFile: URL(fileURLWithPath: $0.file).lastPathComponent) }.max() ?? 0) }

    public static func fileName(_ id: UInt32) -> String { "master-\(id).key" }
    public func file(_ id: UInt32) -> URL { directory.appendingPathComponent(Self.fileName(id)) }

    static func id(ofFile name: String) -> UInt32? {
        guard name.hasPrefix("master-"), name.hasSuffix(".key") else { return nil }
        let digits = name.dropFirst(7).dropLast(4)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return UInt32(digits)
    }

    public static func load(_ directory: URL) -> Keyring {
        var ring = Keyring(directory: directory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names.sorted() {
            guard let id = id(ofFile: name) else { continue }
            let file = directory.appendingPathComponent(name)
            var st = stat()
            guard lstat(file.path, &st) == 0 else { continue }
            if st.st_mode & S_IFMT != S_IFREG {
                ring.problems.append(Problem(file: file.path, message: "is not a regular file (a symbolic link?); refused"))
                continue
            }
            if st.st_mode & 0o077 != 0 {
                ring.problems.append(Problem(file: file.path, message: "has mode \(String(st.st_mode & 0o777, radix: 8)); a master key must be 0600 (chmod 600 \(file.path))"))
                continue
            }
            do {
                guard let bytes = try DurableFile.read(file) else { continue }
                guard bytes.count == AESGCM.keySize else {
                    ring.problems.append(Problem(file: file.path, message: "holds \(bytes.count) bytes; a master key is exactly \(AESGCM.keySize)"))
                    continue
                }
                ring.keys[id] = MasterKey(id: id, bytes: bytes)
            } catch {
                ring.problems.append(Problem(file: file.path, message: "\(error)"))
            }
        }
        return ring
    }

    /// Writes a new random key as `master-<id>.key` (0600, never over an existing file).
    public static func create(id: UInt32, in directory: URL) throws -> MasterKey {
        let key = MasterKey(id: id, bytes: SecureRandom.bytes(AESGCM.keySize))
        try DurableFile.create(key.bytes, at: directory.appendingPathComponent(fileName(id)))
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
