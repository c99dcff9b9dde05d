@testable import Cryptography
import Foundation
@testable import Storage
import Testing
@testable import Vault

private func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2)
        out.append(UInt8(s[i..<j], radix: 16)!)
        i = j
    }
    return out
}

private func tempState() throws -> URL {
    let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vault-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    return url
}

private func mode(_ path: String) -> Int {
    var st = stat()
    return lstat(path, &st) == 0 ? Int(st.st_mode & 0o777) : -1
}

@Suite struct AESGCMTests {
    // The GCM specification's test case 16 (McGrew & Viega; NIST's GCM validation vectors): AES-256,
    // 96-bit IV, with associated data.
    let key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
    let nonce = hex("cafebabefacedbaddecaf888")
    let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
    let plaintext = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
    let ciphertext = hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662")
    let tag = hex("76fc6ece0f4e1768cddf8853bb2d551b")

    @Test func knownAnswerVector() throws {
        let sealed = try AESGCM.seal(plaintext, key: key, nonce: nonce, associatedData: aad)
        #expect(sealed.ciphertext == ciphertext)
        #expect(sealed.tag == tag)
        #expect(try AESGCM.open(ciphertext, tag: tag, key: key, nonce: nonce, associatedData: aad) == plaintext)
    }

    @Test func knownAnswerVectorWithoutPlaintext() throws {
        // Test case 13: zero key and IV, no plaintext, no associated data.
        let sealed = try AESGCM.seal([], key: [UInt8](repeating: 0, count: 32), nonce: [UInt8](repeating: 0, count: 12), associatedData: [])
        #expect(sealed.ciphertext.isEmpty)
        #expect(sealed.tag == hex("530f8afbc74536b9a963b4f1c4cb738b"))
    }

    @Test func everyFlippedBitFailsToOpen() {
        func fails(_ c: [UInt8], _ t: [UInt8], _ n: [UInt8], _ a: [UInt8]) -> Bool {
            (try? AESGCM.open(c, tag: t, key: key, nonce: n, associatedData: a)) == nil
        }
        for i in 0..<(ciphertext.count * 8) {
            var c = ciphertext; c[i / 8] ^= 1 << (i % 8)
            #expect(fails(c, tag, nonce, aad), "ciphertext bit \(i)")
        }
        for i in 0..<(tag.count * 8) {
            var t = tag; t[i / 8] ^= 1 << (i % 8)
            #expect(fails(ciphertext, t, nonce, aad), "tag bit \(i)")
        }
        for i in 0..<(nonce.count * 8) {
            var n = nonce; n[i / 8] ^= 1 << (i % 8)
            #expect(fails(ciphertext, tag, n, aad), "nonce bit \(i)")
        }
        for i in 0..<(aad.count * 8) {
            var a = aad; a[i / 8] ^= 1 << (i % 8)
            #expect(fails(ciphertext, tag, nonce, a), "associated-data bit \(i)")
        }
    }

    @Test func truncatedTagIsRefused() {
        // OpenSSL would check only the first bytes of a shorter tag; every shorter length must fail.
        for length in 0..<16 {
            #expect((try? AESGCM.open(ciphertext, tag: Array(tag.prefix(length)), key: key, nonce: nonce, associatedData: aad)) == nil, "tag of \(length) bytes")
        }
        #expect((try? AESGCM.open(ciphertext, tag: tag + [0], key: key, nonce: nonce, associatedData: aad)) == nil)
    }
}

@Suite struct EnvelopeTests {
    let key = MasterKey(id: 7, bytes: SecureRandom.bytes(32))

    @Test func layoutIsVersionKeyIdNonceCiphertextTag() throws {
        let envelope = try Envelope.seal(Array("secret".utf8), key: key, account: "anthropic:work", field: "credential")
        let bytes = envelope.bytes
        #expect(bytes[0] == 1)
        #expect(Array(bytes[1...4]) == [0, 0, 0, 7])
        #expect(bytes.count == 1 + 4 + 12 + 6 + 16)
        #expect(try Envelope(bytes: bytes) == envelope)
    }

    @Test func freshNonceEveryTime() throws {
        var nonces = Set<[UInt8]>()
        var bodies = Set<[UInt8]>()
        for _ in 0..<1000 {
            let e = try Envelope.seal(Array("same secret".utf8), key: key, account: "openai:default", field: "credential")
            nonces.insert(e.nonce)
            bodies.insert(e.bytes)
        }
        #expect(nonces.count == 1000)
        #expect(bodies.count == 1000)
    }

    @Test func tamperingWithAnyRegionFails() throws {
        let bytes = try Envelope.seal(Array("sk-ant-api03-tamper".utf8), key: key, account: "anthropic:work", field: "credential").bytes
        // Every bit of the envelope: version, key id, nonce, ciphertext and tag.
        for i in 0..<(bytes.count * 8) {
            var b = bytes; b[i / 8] ^= 1 << (i % 8)
            let opened = (try? Envelope(bytes: b)).flatMap { try? $0.open(key: key, account: "anthropic:work", field: "credential") }
            #expect(opened == nil, "bit \(i) of \(bytes.count * 8)")
        }
    }

    @Test func associatedDataBindsAccountAndField() throws {
        let envelope = try Envelope.seal(Array("secret".utf8), key: key, account: "anthropic:work", field: "credential")
        #expect(try envelope.open(key: key, account: "anthropic:work", field: "credential") == Array("secret".utf8))
        #expect((try? envelope.open(key: key, account: "anthropic:personal", field: "credential")) == nil)
        #expect((try? envelope.open(key: key, account: "anthropic:work", field: "other")) == nil)
        // The same bytes under another key id (relabelled) do not open with a key of that id either.
        var relabelled = envelope
        relabelled.keyID = 8
        #expect((try? relabelled.open(key: MasterKey(id: 8, bytes: key.bytes), account: "anthropic:work", field: "credential")) == nil)
    }

    @Test func unknownVersionIsAnErrorNotPlaintext() {
        var bytes = [UInt8](repeating: 0x41, count: 40)
        bytes[0] = 2
        #expect(throws: Envelope.Malformed.unknownVersion(2)) { try Envelope(bytes: bytes) }
        #expect(throws: Envelope.Malformed.tooShort(10)) { try Envelope(bytes: [UInt8](repeating: 1, count: 10)) }
    }
}

@Suite struct VaultFileTests {
    @Test func keyAndCredentialFilesAre0600InA0700Directory() throws {
        let state = try tempState()
        let vault = Vault(stateDirectory: state)
        let report = try vault.prepare()
        #expect(report.createdKey == 1)
        #expect(report.problems.isEmpty)
        let keyFile = state.appendingPathComponent("keys/master-1.key").path
        #expect(mode(keyFile) == 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: keyFile)[.size] as? Int == 32)
        #expect(mode(state.appendingPathComponent("keys").path) == 0o700)
        #expect(mode(state.appendingPathComponent("credentials").path) == 0o700)
        let name = try vault.store(Array("sk-CANARYSECRET-test".utf8), account: "openai:default", version: 1)
        #expect(name == "openai.default.1.cred")
        #expect(mode(state.appendingPathComponent("credentials/\(name)").path) == 0o600)
        #expect(try vault.open(file: name, account: "openai:default") == Array("sk-CANARYSECRET-test".utf8))
        // The file holds no plaintext.
        let raw = try #require(FileManager.default.contents(atPath: state.appendingPathComponent("credentials/\(name)").path))
        #expect(!String(decoding: raw, as: UTF8.self).contains("sk-CANARYSECRET-test"))
    }

    @Test func plantedSymlinkIsRefusedAndItsTargetUntouched() throws {
        let state = try tempState()
        let vault = Vault(stateDirectory: state)
        _ = try vault.prepare()
        let victim = state.appendingPathComponent("victim.txt")
        try Data("original".utf8).write(to: victim)
        let planted = state.appendingPathComponent("credentials/openai.default.1.cred")
        try FileManager.default.createSymbolicLink(at: planted, withDestinationURL: victim)
        #expect(throws: DurableFile.Failure.self) { try vault.store(Array("secret".utf8), account: "openai:default", version: 1) }
        #expect(try String(contentsOf: victim, encoding: .utf8) == "original")
        // Reading through a symlink is refused as well.
        #expect(throws: VaultReadError.self) { try vault.open(file: "openai.default.1.cred", account: "openai:default") }
    }

    @Test func crossAccountCopyDoesNotOpen() throws {
        let state = try tempState()
        let vault = Vault(stateDirectory: state)
        _ = try vault.prepare()
        let a = try vault.store(Array("secret-a".utf8), account: "anthropic:a", version: 1)
        let dir = state.appendingPathComponent("credentials")
        try FileManager.default.copyItem(at: dir.appendingPathComponent(a), to: dir.appendingPathComponent("anthropic.b.1.cred"))
        #expect(throws: VaultReadError.authenticationFailed(keyID: 1)) { try vault.open(file: "anthropic.b.1.cred", account: "anthropic:b") }
    }

    @Test func missingOrWrongKeyIsReportedNotFatal() throws {
        let state = try tempState()
        let vault = Vault(stateDirectory: state)
        _ = try vault.prepare()
        let name = try vault.store(Array("secret".utf8), account: "openai:default", version: 1)
        let keyFile = state.appendingPathComponent("keys/master-1.key")

        // Wrong key: same id, other bytes.
        try FileManager.default.removeItem(at: keyFile)
        try DurableFile.create(SecureRandom.bytes(32), at: keyFile)
        let wrong = Vault(stateDirectory: state)
        let wrongReport = try wrong.prepare().problems
        #expect(wrongReport.count == 1 && wrongReport[0].contains(keyFile.path) && wrongReport[0].contains("opens none of the 1 credential file(s)"))
        #expect(throws: VaultReadError.authenticationFailed(keyID: 1)) { try wrong.open(file: name, account: "openai:default") }

        // Missing key: startup names the file, makes key 2 for new writes, and the credential says why.
        try FileManager.default.removeItem(at: keyFile)
        let missing = Vault(stateDirectory: state)
        let report = try missing.prepare()
        #expect(report.createdKey == 2)
        #expect(report.problems.count == 1)
        #expect(report.problems[0].contains(keyFile.path))
        #expect(throws: VaultReadError.missingKey(id: 1, file: keyFile.path)) { try missing.open(file: name, account: "openai:default") }

        // A key readable by others is refused by name.
        let key2 = state.appendingPathComponent("keys/master-2.key")
        chmod(key2.path, 0o644)
        let open = Vault(stateDirectory: state)
        let problems = try open.prepare().problems
        #expect(problems.contains { $0.contains(key2.path) && $0.contains("0600") })
    }

    @Test func rotationKilledMidwayThenResumedOpensEverything() throws {
        let state = try tempState()
        let vault = Vault(stateDirectory: state)
        _ = try vault.prepare()
        var files: [(String, String, String)] = []
        for i in 1...6 {
            let account = "openai:acct\(i)"
            let secret = "sk-CANARYSECRET-rotate-\(i)-\(UUID().uuidString)"
            files.append((try vault.store(Array(secret.utf8), account: account, version: 1), account, secret))
        }
        // Stopped after 3 of 6 files, as a crash would leave it.
        #expect(throws: RotationStopped.self) { _ = try vault.rotate(afterEach: { if $0 == 3 { throw RotationStopped() } }) }
        let midway = Vault(stateDirectory: state)
        #expect(Set(midway.keyring.keys.keys) == [1, 2])
        for (file, account, secret) in files {
            #expect(try midway.open(file: file, account: account) == Array(secret.utf8), "midway: \(file)")
        }
        // A new write midway uses the new key.
        let extra = try midway.store(Array("sk-CANARYSECRET-midway".utf8), account: "openai:extra", version: 1)
        #expect(try Envelope(bytes: DurableFile.read(state.appendingPathComponent("credentials/\(extra)"))!).keyID == 2)

        let report = try Vault(stateDirectory: state).rotate()
        #expect(report.resumed)
        #expect(report.keyID == 2)
        #expect(report.reencrypted == 3)
        #expect(report.alreadyCurrent == 4)
        #expect(report.retiredKeys == [1])
        let after = Vault(stateDirectory: state)
        #expect(Set(after.keyring.keys.keys) == [2])
        for (file, account, secret) in files {
            #expect(try after.open(file: file, account: account) == Array(secret.utf8), "after: \(file)")
        }
        #expect(!FileManager.default.fileExists(atPath: state.appendingPathComponent("keys/rotation").path))
        #expect(mode(state.appendingPathComponent("keys/master-2.key").path) == 0o600)

        // A second rotation starts a new one.
        let next = try Vault(stateDirectory: state).rotate()
        #expect(!next.resumed)
        #expect(next.keyID == 3)
    }

    @Test func sweepRemovesOnlyUnreferencedFiles() throws {
        let state = try tempState()
        let vault = Vault(stateDirectory: state)
        _ = try vault.prepare()
        let kept = try vault.store(Array("a".utf8), account: "openai:a", version: 1)
        let orphan = try vault.store(Array("b".utf8), account: "openai:b", version: 1)
        #expect(try vault.sweep(keeping: [kept]) == [orphan])
        #expect(try vault.open(file: kept, account: "openai:a") == Array("a".utf8))
    }
}
