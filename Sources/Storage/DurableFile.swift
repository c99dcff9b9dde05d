import Core
import Cryptography
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files replaced atomically and durably: written to a temp file created 0600 with O_EXCL|O_NOFOLLOW,
/// fsynced, renamed over the target (or linked to it when it must not exist yet), and the directory
/// fsynced, so a crash leaves the old file or the new one, never a torn one. The directory is created 0700
/// when missing. A symbolic link (or anything but a regular file) where the target goes is refused.
public enum DurableFile {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        package init(description: String) {
            self.description = description
        }
    }

    /// Replaces `target` (or creates it).
    public static func write(_ bytes: [UInt8], to target: URL) throws {
        try put(bytes, at: target, replace: true)
    }

    /// Creates `target`; fails when anything already exists there.
    public static func create(_ bytes: [UInt8], at target: URL) throws {
        try put(bytes, at: target, replace: false)
    }

    private static func put(_ bytes: [UInt8], at target: URL, replace: Bool) throws {
        let directory = target.deletingLastPathComponent()
        try ensureDirectory(directory)
        var st = stat()
        if lstat(target.path, &st) == 0 {
            if st.st_mode & S_IFMT != S_IFREG {
                throw Failure(description: "refusing to write \(target.path): something other than a regular file (a symbolic link?) is in its place")
            }
            if !replace { throw Failure(description: "refusing to write \(target.path): it already exists") }
        }
        let temp = directory.appendingPathComponent(".\(target.lastPathComponent).\(Hex.encode(SecureRandom.bytes(6))).tmp")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(temp.path): \(String(cString: strerror(errno)))") }
        let ok = FileDescriptor.writeAll(fd, bytes) && fsync(fd) == 0
        close(fd)
        // rename() replaces; link() fails with EEXIST instead, so a file that appeared meanwhile is never lost.
        let placed = ok && (replace ? rename(temp.path, target.path) == 0 : link(temp.path, target.path) == 0)
        let reason = String(cString: strerror(errno))
        if !placed || !replace { unlink(temp.path) }
        guard placed else { throw Failure(description: "cannot write \(target.path): \(reason)") }
        syncDirectory(directory)
    }

    /// The bytes of a regular file, not following a symbolic link; nil when it does not exist.
    public static func read(_ file: URL) throws -> [UInt8]? {
        let fd = open(file.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw Failure(description: errno == ELOOP ? "\(file.path) is a symbolic link; refused" : "cannot read \(file.path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { throw Failure(description: "\(file.path) is not a regular file") }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "cannot read \(file.path): short read") }
            done += n
        }
        return out
    }

    /// Creates the directory 0700 when missing; refuses a symbolic link or a directory others can enter.
    public static func ensureDirectory(_ directory: URL) throws {
        var st = stat()
        if lstat(directory.path, &st) != 0 {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            return
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw Failure(description: "\(directory.path) is not a directory (a symbolic link?); refused")
        }
        if st.st_mode & 0o077 != 0 {
            throw Failure(description: "\(directory.path) has mode \(String(st.st_mode & 0o777, radix: 8)); it must be 0700 (chmod 700 \(directory.path))")
        }
    }

    public static func remove(_ file: URL) {
        if unlink(file.path) == 0 { syncDirectory(file.deletingLastPathComponent()) }
    }

    public static func syncDirectory(_ directory: URL) {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
