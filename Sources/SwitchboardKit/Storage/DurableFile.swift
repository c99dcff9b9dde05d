import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files replaced atomically and durably: written to a temp file created 0600 with O_EXCL|O_NOFOLLOW,
/// fsynced, renamed over the target, and the directory fsynced, so a crash leaves the old file or the new
/// one, never a torn one. The directory is created 0700 when missing.
public enum DurableFile {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func write(_ bytes: [UInt8], to target: URL) throws {
        let directory = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temp = directory.appendingPathComponent(".\(target.lastPathComponent).\(Hex.encode(SecureRandom.bytes(6))).tmp")
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(temp.path): errno \(errno)") }
        let ok = FileDescriptor.writeAll(fd, bytes) && fsync(fd) == 0
        close(fd)
        guard ok, rename(temp.path, target.path) == 0 else {
            unlink(temp.path)
            throw Failure(description: "cannot write \(target.path): errno \(errno)")
        }
        syncDirectory(directory)
    }

    public static func syncDirectory(_ directory: URL) {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
