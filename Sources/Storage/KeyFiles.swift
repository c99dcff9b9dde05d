import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A key file that exists but cannot be used (mode, size, a symbolic link): named, never skipped silently.
public struct KeyFileProblem: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
}

/// The key files under `<state>/keys/`, one key per file named `<kind>-<id>.key`: the vault's master keys
/// (`master-1.key`) and the audit log's keys (`audit-1.key`). Every kind is written and read the same way:
/// random bytes in a new 0600 file that is never written over; on reading, anything but a regular file (a
/// symbolic link) is refused, and so are a mode others can read and a size other than the key's.
package enum KeyFiles {
    package static func name(_ kind: String, _ id: UInt32) -> String { "\(kind)-\(id).key" }

    /// The id in `<kind>-<id>.key`; nil for any other name.
    static func id(ofFile name: String, kind: String) -> UInt32? {
        let prefix = kind + "-"
        guard name.hasPrefix(prefix), name.hasSuffix(".key") else { return nil }
        let digits = name.dropFirst(prefix.count).dropLast(4)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return UInt32(digits)
    }

    /// Every `<kind>-<id>.key` in `directory` that passes the checks, and a problem for each one that does not.
    /// `noun` names the kind in those problems ("a master key").
    package static func load(_ directory: URL, kind: String, size: Int, noun: String) -> (keys: [UInt32: [UInt8]], problems: [KeyFileProblem]) {
        var keys: [UInt32: [UInt8]] = [:]
        var problems: [KeyFileProblem] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names.sorted() {
            guard let id = id(ofFile: name, kind: kind) else { continue }
            let file = directory.appendingPathComponent(name)
            var st = stat()
            guard lstat(file.path, &st) == 0 else { continue }
            if st.st_mode & S_IFMT != S_IFREG {
                problems.append(KeyFileProblem(file: file.path, message: "is not a regular file (a symbolic link?); refused"))
                continue
            }
            if st.st_mode & 0o077 != 0 {
                problems.append(KeyFileProblem(file: file.path, message: "has mode \(String(st.st_mode & 0o777, radix: 8)); \(noun) must be 0600 (chmod 600 \(file.path))"))
                continue
            }
            do {
                guard let bytes = try DurableFile.read(file) else { continue }
                guard bytes.count == size else {
                    problems.append(KeyFileProblem(file: file.path, message: "holds \(bytes.count) bytes; \(noun) is exactly \(size)"))
                    continue
                }
                keys[id] = bytes
            } catch {
                problems.append(KeyFileProblem(file: file.path, message: "\(error)"))
            }
        }
        return (keys, problems)
    }

    /// The highest id among `<kind>-<id>.key` files named in `problems`: an unusable file still holds its id.
    package static func highestID(in problems: [KeyFileProblem], kind: String) -> UInt32 {
        problems.compactMap { id(ofFile: URL(fileURLWithPath: $0.file).lastPathComponent, kind: kind) }.max() ?? 0
    }

    /// Writes `bytes` (random, from `SecureRandom`) as `<kind>-<id>.key`: 0600, fsynced, never over an existing file.
    package static func create(_ bytes: [UInt8], kind: String, id: UInt32, in directory: URL) throws {
        try DurableFile.create(bytes, at: directory.appendingPathComponent(name(kind, id)))
    }
}
