#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the responder accepts connections from the web server.
public enum ListenAddress: Sendable, Equatable {
    /// A Unix socket created at `path` with mode 0660; `group` (a group name) is applied when given,
    /// so that only the web server's group can connect.
    case unixSocket(path: String, group: String?)
    /// A listening socket inherited from the parent: systemd socket activation (`LISTEN_FDS`, fd 3)
    /// when its variables name this process, otherwise fd 0 as spawn-fcgi hands it over.
    case inherited
}

public enum ListenSocketError: Error, CustomStringConvertible, Equatable {
    case pathTooLong(String)
    case notASocket(String)
    case system(String, Int32)
    case unknownGroup(String)
    case inheritedDescriptorIsNotListening(Int32)

    public var description: String {
        switch self {
        case .pathTooLong(let p): "socket path is too long for a Unix socket: \(p)"
        case .notASocket(let p): "refusing to replace \(p): it exists and is not a socket"
        case .system(let op, let e): "\(op) failed: \(String(cString: strerror(e)))"
        case .unknownGroup(let g): "unknown group \(g)"
        case .inheritedDescriptorIsNotListening(let fd): "inherited descriptor \(fd) is not a listening socket"
        }
    }
}

/// Opens (or adopts) the listening descriptor. libfcgi's `FCGX_OpenSocket` is not used: it neither sets
/// the socket's mode atomically nor refuses to unlink a non-socket path.
enum ListenSocket {
    static func open(_ address: ListenAddress, backlog: Int32) throws -> Int32 {
        switch address {
        case .inherited:
            return try adoptInherited()
        case .unixSocket(let path, let group):
            return try bindUnix(path: path, group: group, backlog: backlog)
        }
    }

    private static func adoptInherited() throws -> Int32 {
        var fd: Int32 = 0
        if let pid = getenv("LISTEN_PID").map({ String(cString: $0) }), Int32(pid) == getpid(),
           let count = getenv("LISTEN_FDS").map({ String(cString: $0) }), Int(count) ?? 0 >= 1 {
            fd = 3
        }
        var accepting: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0, accepting == 1 else {
            throw ListenSocketError.inheritedDescriptorIsNotListening(fd)
        }
        return fd
    }

    private static func bindUnix(path: String, group: String?, backlog: Int32) throws -> Int32 {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard path.utf8.count < capacity else { throw ListenSocketError.pathTooLong(path) }

        // A stale socket from an earlier run is replaced; anything else at the path is refused.
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else { throw ListenSocketError.notASocket(path) }
            unlink(path)
        }

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ListenSocketError.system("socket", errno) }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        // bind() creates the socket file with the process umask: narrow it so the file is never
        // wider than 0660, even for the instant before chmod.
        let previous = umask(0o117)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        let bindErrno = errno
        umask(previous)
        guard bound == 0 else { close(fd); throw ListenSocketError.system("bind \(path)", bindErrno) }
        guard chmod(path, 0o660) == 0 else { let e = errno; close(fd); throw ListenSocketError.system("chmod", e) }
        if let group {
            guard let entry = getgrnam(group) else { close(fd); throw ListenSocketError.unknownGroup(group) }
            guard chown(path, uid_t.max, entry.pointee.gr_gid) == 0 else {
                let e = errno; close(fd); throw ListenSocketError.system("chown", e)
            }
        }
        guard listen(fd, backlog) == 0 else { let e = errno; close(fd); throw ListenSocketError.system("listen", e) }
        return fd
    }
}
