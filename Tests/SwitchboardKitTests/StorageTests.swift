@testable import API
@testable import Auth
@testable import Cryptography
import Foundation
@testable import Storage
import Testing

@Suite struct StorageTests {
    func temporaryPath() -> String {
        URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sbk-\(UUID().uuidString)").path
    }

    @Test func stateDirectoryIsCreated0700() throws {
        let path = temporaryPath() + "/nested/state"
        _ = try StateDirectory(path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }

    @Test func stateDirectoryReadableByOthersIsRefused() throws {
        let path = temporaryPath()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        #expect(throws: StateDirectory.Failure.self) { try StateDirectory(path: path) }
    }

    @Test func databaseIsInWALModeAndSound() throws {
        let database = try AppDatabase.open(stateDirectory: StateDirectory(path: temporaryPath()))
        #expect(try database.journalMode == "wal")
        #expect(try database.integrityCheck() == "ok")
    }

    @Test func reopeningRunsMigrationsOnce() throws {
        let state = try StateDirectory(path: temporaryPath())
        let first = try AppDatabase.open(stateDirectory: state)
        _ = try AdminTokens(database: first).create(name: "one")
        let second = try AppDatabase.open(stateDirectory: state)
        #expect(try second.tokens().count == 1)
    }

    @Test func onlyTheTokensHashIsStored() throws {
        let state = try StateDirectory(path: temporaryPath())
        let database = try AppDatabase.open(stateDirectory: state)
        let minted = try AdminTokens(database: database).create(name: "ci")
        #expect(minted.secret.hasPrefix("sbk_"))
        // 32 random bytes in base64url: 43 characters, 256 bits.
        #expect(minted.secret.count == 4 + 43)
        // Search every file of the state directory (database, WAL, shared memory) for the token.
        let files = try FileManager.default.contentsOfDirectory(atPath: state.url.path)
        for file in files {
            let bytes = try Data(contentsOf: state.url.appendingPathComponent(file))
            #expect(bytes.range(of: Data(minted.secret.utf8)) == nil, "token found in \(file)")
        }
        #expect(try database.tokens().first?.hash == Digest.sha256Hex(minted.secret))
    }

    @Test func initialTokenIsMintedOnlyOnEmptyState() throws {
        let database = try AppDatabase.open(stateDirectory: StateDirectory(path: temporaryPath()))
        let tokens = AdminTokens(database: database)
        #expect(try tokens.createInitialIfNone() != nil)
        #expect(try tokens.createInitialIfNone() == nil)
        #expect(try tokens.list().count == 1)
    }

    @Test func tokensAreUniqueAndRevocable() throws {
        let database = try AppDatabase.open(stateDirectory: StateDirectory(path: temporaryPath()))
        let tokens = AdminTokens(database: database)
        let a = try tokens.create(name: "a"), b = try tokens.create(name: "b")
        #expect(a.secret != b.secret && a.record.id != b.record.id)
        #expect(try tokens.revoke(id: a.record.id))
        #expect(try !tokens.revoke(id: a.record.id), "revoking twice reports nothing to revoke")
        #expect(try tokens.list().first { $0.id == a.record.id }?.revokedAt != nil)
    }

    @Test func tokenUseIsRecordedAtMostOnceAMinute() async throws {
        let database = try AppDatabase.open(stateDirectory: StateDirectory(path: temporaryPath()))
        let minted = try AdminTokens(database: database).create(name: "ci")
        let start = Date()
        try await database.recordUse(of: minted.record, at: start)
        let used = try #require(try database.tokens().first)
        #expect(used.lastUsedAt.map { abs($0.timeIntervalSince(start)) < 0.01 } == true)
        // Thirty seconds later: nothing is written.
        try await database.recordUse(of: used, at: start.addingTimeInterval(30))
        #expect(try database.tokens().first?.lastUsedAt == used.lastUsedAt)
        // Two minutes later: recorded again.
        try await database.recordUse(of: used, at: start.addingTimeInterval(120))
        #expect(try database.tokens().first?.lastUsedAt.map { abs($0.timeIntervalSince(start) - 120) < 0.01 } == true)
    }
}

@Suite struct CredentialCacheTests {
    @Test func aRevokedTokenIsRefusedAtOnceByThisProcess() async throws {
        let t = try TestApp()
        #expect(await t.bearer(.get, "/api/config").status == .ok)   // now cached
        #expect(try AdminTokens(database: t.database).revoke(id: t.tokenID))
        #expect(await t.bearer(.get, "/api/config").status == .unauthorized)
    }

    @Test func aSignedOutSessionIsRefusedAtOnce() async throws {
        let t = try TestApp()
        let cookie = try await t.signIn()
        #expect(await t.send(.get, "/api/session", headers: [.cookie: cookie]).status == .ok)   // now cached
        let out = await t.send(.delete, "/api/session", headers: [.cookie: cookie, .csrf: "1", .secFetchSite: "same-origin"])
        #expect(out.status == .noContent)
        #expect(await t.send(.get, "/api/session", headers: [.cookie: cookie]).status == .unauthorized)
    }

    @Test func useIsRecordedOnceAMinuteEvenWhenServedFromTheCache() async throws {
        let t = try TestApp()
        for _ in 0..<5 { #expect(await t.bearer(.get, "/api/config").status == .ok) }
        let first = try #require(try t.database.tokens().first?.lastUsedAt)
        for _ in 0..<5 { #expect(await t.bearer(.get, "/api/config").status == .ok) }
        #expect(try t.database.tokens().first?.lastUsedAt == first)
    }
}
