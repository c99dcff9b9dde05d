import Foundation
import Storage

extension Vault {
    public struct RotationReport: Sendable, Equatable {
        public var keyID: UInt32
        /// True when an interrupted rotation was finished rather than a new one started.
        public var resumed: Bool
        public var reencrypted: Int
        public var alreadyCurrent: Int
        /// Files that could not be opened; while any remain, the old keys are kept.
        public var failed: [String]
        public var retiredKeys: [UInt32]
    }

    var rotationMarker: URL { keysDirectory.appendingPathComponent("rotation") }

    /// Re-encrypts every credential file under a new master key, crash-safe: the target key id is written
    /// down (`keys/rotation`) before the key, each file is replaced atomically, and old keys are deleted only
    /// after every file opens with the new one. Interrupted at any point, running it again finishes the same
    /// rotation; until then old and new ciphertexts both open. `afterEach` runs after each re-encrypted file
    /// (tests stop there to simulate a crash).
    public func rotate(afterEach: (Int) throws -> Void = { _ in }) throws -> RotationReport {
        try DurableFile.ensureDirectory(keysDirectory)
        try DurableFile.ensureDirectory(credentialsDirectory)
        let lock = try KeyLock(keysDirectory, exclusive: true)
        defer { lock.release() }

        var ring = Keyring.load(keysDirectory)
        let target: UInt32
        var resumed = false
        if let text = try DurableFile.read(rotationMarker), let id = UInt32(String(decoding: text, as: UTF8.self).trimmed) {
            target = id
            resumed = true
        } else {
            target = max(ring.highestID, census(ring).keys.max() ?? 0) + 1
            try DurableFile.write(Array("\(target)\n".utf8), to: rotationMarker)
        }
        if ring.keys[target] == nil {
            guard !FileManager.default.fileExists(atPath: ring.file(target).path) else {
                throw DurableFile.Failure(description: "\(ring.file(target).path) exists but cannot be used: \(ring.problems.map(\.message).joined(separator: "; "))")
            }
            _ = try Keyring.create(id: target, in: keysDirectory)
            ring = Keyring.load(keysDirectory)
        }
        guard let newKey = ring.keys[target] else { throw DurableFile.Failure(description: "master key \(target) did not load") }

        var report = RotationReport(keyID: target, resumed: resumed, reencrypted: 0, alreadyCurrent: 0, failed: [], retiredKeys: [])
        for file in credentialFiles() {
            let name = file.lastPathComponent
            guard let account = Self.account(ofFile: name) else { continue }
            do {
                guard let bytes = try DurableFile.read(file) else { continue }
                let envelope = try Envelope(bytes: bytes)
                if envelope.keyID == target {
                    _ = try envelope.open(key: newKey, account: account, field: Self.field)
                    report.alreadyCurrent += 1
                    continue
                }
                guard let oldKey = ring.keys[envelope.keyID] else {
                    report.failed.append("\(name): master key \(envelope.keyID) is missing (\(ring.file(envelope.keyID).path))")
                    continue
                }
                let plaintext = try envelope.open(key: oldKey, account: account, field: Self.field)
                try DurableFile.write(Envelope.seal(plaintext, key: newKey, account: account, field: Self.field).bytes, to: file)
                report.reencrypted += 1
                try afterEach(report.reencrypted)
            } catch let stop as RotationStopped {
                throw stop
            } catch {
                report.failed.append("\(name): \(error)")
            }
        }
        guard report.failed.isEmpty else { return report }

        for id in ring.keys.keys.sorted() where id != target {
            DurableFile.remove(ring.file(id))
            report.retiredKeys.append(id)
        }
        DurableFile.remove(rotationMarker)
        replaceKeyring(Keyring.load(keysDirectory))
        return report
    }
}

/// Thrown from `rotate(afterEach:)` by tests to stop a rotation midway, as a crash would.
public struct RotationStopped: Error {
    public init() {}
}
