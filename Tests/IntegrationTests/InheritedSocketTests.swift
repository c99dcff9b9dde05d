import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `serve --inherit-socket`: the listening socket arrives as fd 0, the way spawn-fcgi (and systemd with
/// `StandardInput=socket`) hand it over.
@Suite(.ownThread) struct InheritedSocketTests {
    @Test func servesOnAListeningSocketInheritedAsStandardInput() throws {
        let dir = try Paths.temporaryDirectory("inherit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let socketPath = dir.appendingPathComponent("inherited.sock").path
        let listenFd = try UnixSocket.listen(socketPath)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, listenFd, 0)
        let logPath = dir.appendingPathComponent("serve.log").path
        posix_spawn_file_actions_addopen(&actions, 1, dir.appendingPathComponent("serve.stdout").path, O_WRONLY | O_CREAT, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT, 0o600)
        let words = [Paths.binary, "serve", "--inherit-socket", "--state-dir", dir.appendingPathComponent("state").path]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        #expect(posix_spawn(&pid, Paths.binary, &actions, nil, argv, environ) == 0)
        close(listenFd)   // only the child holds the socket now

        var reply: FastCGIClient.Reply?
        for _ in 0..<100 {
            reply = try? FastCGIClient(socketPath: socketPath).send(params: FastCGIClient.params(method: "GET", uri: "/api/health"))
            if reply != nil { break }
            usleep(50_000)
        }
        #expect(reply?.status == 200)
        #expect(reply?.body == #"{"status":"ok"}"#)

        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect((status & 0x7F) == 0 && (status >> 8) & 0xFF == 0, "serve exited with status \(status)")
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        #expect(log.contains("fastcgi stopped"), "\(log)")
    }

    @Test func refusesAStandardInputThatIsNotAListeningSocket() throws {
        let dir = try Paths.temporaryDirectory("inherit")
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try shell("'\(Paths.binary)' serve --inherit-socket --state-dir '\(dir.path)/state' </dev/null")
        #expect(result.status != 0)
        #expect(result.output.contains("not a listening socket"), "\(result.output)")
    }
}
