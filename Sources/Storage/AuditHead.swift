import Core
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The newest event of the audit log as its writers last recorded it, kept outside the database in
/// `<state>/audit.head` and sealed with an audit key: cutting events off the end shows even when the
/// database's own head (`audit_head`) was moved along with them.
///
/// One line of fixed size, readable with `cat`:
/// `sbaudit-head-v1 key=0000000002 seq=00000000000000000042 hash=<64 hex> mac=<64 hex>`, where `mac` is
/// HMAC-SHA256 under audit key `key` of everything before ` mac=`.
struct AuditHead: Sendable, Equatable {
    var seq: Int
    var hash: String
    var keyID: UInt32

    static let size = 195
    static let tag = "sbaudit-head-v1"

    /// What the seal covers.
    var body: String {
        "\(Self.tag) key=\(Self.zeroPadded(Int(keyID), 10)) seq=\(Self.zeroPadded(seq, 20)) hash=\(hash)"
    }

    func record(sealedWith key: AuditKey) -> [UInt8] {
        precondition(key.id == keyID, "a head is sealed with the key it names")
        return Array("\(body) mac=\(key.seal(body))\n".utf8)
    }

    private static func zeroPadded(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A record as read back: its fields and its seal, not yet checked.
    struct Sealed: Sendable {
        var head: AuditHead
        var body: String
        var mac: String

        func isSealed(by key: AuditKey) -> Bool { key.id == head.keyID && key.isSeal(mac, of: body) }
    }

    /// The record in `bytes`; nil when they are not one (the file was overwritten, or torn). Read at fixed
    /// offsets: it runs twice per appended event, and splitting strings cost ten times as much.
    static func parse(_ bytes: [UInt8]) -> Sealed? {
        guard bytes.count == size, bytes[size - 1] == 0x0A else { return nil }
        func literal(_ text: String, at offset: Int) -> Bool {
            let expected = Array(text.utf8)
            return bytes[offset..<(offset + expected.count)].elementsEqual(expected)
        }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for c in bytes[range] {
                guard (0x30...0x39).contains(c) else { return nil }
                n = n &* 10 &+ Int(c - 0x30)
            }
            return n
        }
        func hex(_ range: Range<Int>) -> String? {
            guard bytes[range].allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
            return String(decoding: bytes[range], as: UTF8.self)
        }
        guard literal(tag + " key=", at: 0), literal(" seq=", at: 30), literal(" hash=", at: 55), literal(" mac=", at: 125),
              let key = number(20..<30).flatMap({ UInt32(exactly: $0) }), let seq = number(35..<55),
              let hash = hex(61..<125), let mac = hex(130..<194) else { return nil }
        return Sealed(head: AuditHead(seq: seq, hash: hash, keyID: key), body: String(decoding: bytes[0..<125], as: UTF8.self), mac: mac)
    }
}

/// `<state>/audit.head`, opened once and kept open (0600, created only with the first audit key).
///
/// Advancing it costs one flock, one pread and one pwrite of the fixed-size record, without fsync: it runs
/// after every commit that appended events (each `PATCH /api/config`), where an fsync and a rename would
/// double the cost of the commit. A crash can lose that last write and leave the file behind the
/// database, which verify accepts; it is never ahead, since it is written only after the commit. The first
/// key's head and a rotation's head are written durably.
final class AuditHeadFile: Sendable {
    let url: URL
    /// The kept descriptor, -1 until the file exists.
    private let descriptor = Locked<Int32>(-1)

    enum Reading: Sendable {
        case missing
        case unreadable(String)
        /// The file holds something that is not a head record.
        case malformed
        case sealed(AuditHead.Sealed)
    }

    init(url: URL) {
        self.url = url
    }

    deinit {
        descriptor.withLock { if $0 >= 0 { close($0) } }
    }

    /// The record, through the kept descriptor.
    func read() -> Reading {
        descriptor.withLock { fd in
            if let failure = Self.openIfNeeded(&fd, url) { return failure }
            flock(fd, LOCK_SH)
            defer { flock(fd, LOCK_UN) }
            return Self.record(in: fd)
        }
    }

    /// The record in the file at `url` now, through a descriptor of its own (verify: the file may have been
    /// replaced since this process opened it).
    static func read(at url: URL) -> Reading {
        var fd: Int32 = -1
        if let failure = openIfNeeded(&fd, url, flags: O_RDONLY) { return failure }
        defer { close(fd) }
        flock(fd, LOCK_SH)
        return record(in: fd)
    }

    /// Writes `record` (for `head`) over the file once the transaction has committed, unless the file already
    /// names this event or a later one (another process got there first), or no longer holds a head record
    /// (left as it is, for verify to report).
    func advance(to head: AuditHead, record: [UInt8]) {
        descriptor.withLock { fd in
            if Self.openIfNeeded(&fd, url) != nil { return }
            flock(fd, LOCK_EX)
            defer { flock(fd, LOCK_UN) }
            guard case .sealed(let current) = Self.record(in: fd), current.head.seq < head.seq else { return }
            _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
    }

    /// Replaces the record durably (fsynced), creating the file when it is missing: the first key's head and a
    /// rotation's.
    func replace(with record: [UInt8]) throws {
        try descriptor.withLock { fd in
            if let failure = Self.openIfNeeded(&fd, url) {
                guard case .missing = failure else { throw DurableFile.Failure(description: "cannot write \(url.path): \(failure)") }
                try DurableFile.create(record, at: url)
                if let failure = Self.openIfNeeded(&fd, url) { throw DurableFile.Failure(description: "cannot open \(url.path): \(failure)") }
                return
            }
            flock(fd, LOCK_EX)
            defer { flock(fd, LOCK_UN) }
            let written = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            guard written == record.count, ftruncate(fd, off_t(record.count)) == 0, fsync(fd) == 0 else {
                throw DurableFile.Failure(description: "cannot write \(url.path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Opens `url` into `fd` when it is not open yet, or no longer the file at `url` (deleted, or replaced by a
    /// re-anchoring in another process: one fstat), refusing a symbolic link or anything but a regular file.
    /// Returns why it cannot be read, or nil once `fd` is open.
    private static func openIfNeeded(_ fd: inout Int32, _ url: URL, flags: Int32 = O_RDWR) -> Reading? {
        if fd >= 0 {
            var st = stat()
            if fstat(fd, &st) == 0 && st.st_nlink > 0 { return nil }
            close(fd)
            fd = -1
        }
        let opened = open(url.path, flags | O_NOFOLLOW | O_CLOEXEC)
        guard opened >= 0 else {
            if errno == ENOENT { return .missing }
            return .unreadable(errno == ELOOP ? "it is a symbolic link; refused" : String(cString: strerror(errno)))
        }
        var st = stat()
        guard fstat(opened, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(opened)
            return .unreadable("it is not a regular file")
        }
        fd = opened
        return nil
    }

    private static func record(in fd: Int32) -> Reading {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n >= 0 else { return .unreadable(String(cString: strerror(errno))) }
        return AuditHead.parse(Array(buffer.prefix(n))).map { .sealed($0) } ?? .malformed
    }
}
