import Core
import Foundation
import Storage

/// The settings document as a resource: read (cached per revision), patch, history, revert.
///
/// The answer to `GET /api/config` is built once per revision and reused until the next write from this
/// process or a change of the model directory. Only the responder writes the document.
public final class ConfigService: Sendable {
    public let database: AppDatabase
    public let settings: Settings
    private let cache = ReadMostly<Snapshot?>(nil)

    /// A revision, evaluated, with its encoded answer. A class: the cache hands out one reference per
    /// request instead of copying the evaluated document.
    public final class Snapshot: Sendable {
        public let revision: ConfigRevision
        public let evaluation: Settings.Evaluation
        /// The JSON body of `GET /api/config`.
        public let body: [UInt8]
        let generation: Int

        init(revision: ConfigRevision, evaluation: Settings.Evaluation, body: [UInt8], generation: Int) {
            self.revision = revision
            self.evaluation = evaluation
            self.body = body
            self.generation = generation
        }
    }

    /// The body of `GET /api/config` and of a successful change.
    struct View: Encodable {
        let revision: Int
        let updatedAt: Date
        let updatedBy: String
        let config: JSONValue
        let effective: EffectiveSettings
        let warnings: [SettingsIssue]
        let changedPaths: [String]?
    }

    public init(database: AppDatabase, directory: any ModelDirectory) {
        self.database = database
        self.settings = Settings(directory: directory)
    }

    /// The current document, from the cache when it is still current. `atLeast`: a revision known to exist
    /// (another process committed it), so a cached older one is read again.
    public func current(atLeast revision: Int = 0) throws -> Snapshot {
        let generation = settings.directory.generation
        if let cached = cache.read({ $0 }), cached.generation == generation, cached.revision.revision >= revision { return cached }
        let head = try database.currentConfig()
        let snapshot = try makeSnapshot(head, settings.current(head.documentValue), changedPaths: nil)
        remember(snapshot)
        return snapshot
    }

    /// Applies an RFC 7396 patch when `ifMatch` names the current revision; throws `StaleRevision` or
    /// `Settings.Failure.invalid` and then writes nothing.
    ///
    /// The merge and validation run before the write transaction, against the cached current revision, so
    /// writers do not queue behind each other's validation; the transaction then only checks that the
    /// revision is still current and inserts the next one.
    public func patch(_ patch: JSONValue, ifMatch: Set<Int>, actor: String, requestID: String?) throws -> Snapshot {
        try change(ifMatch: ifMatch, actor: actor, requestID: requestID) { base in
            let result = try settings.apply(patch, to: base.stored)
            return (result, ConfigChange(document: result.stored,
                                         changedPaths: MergePatch.changedPaths(from: base.document, to: result.document)))
        }
    }

    /// Makes an older revision's document current again, as a new revision (Undo).
    public func revert(to target: Int, ifMatch: Set<Int>, actor: String, requestID: String?) throws -> Snapshot {
        // Revisions are never edited, so the old one can be read before the write transaction.
        guard let old = try database.configRevision(target) else { throw UnknownRevision(revision: target) }
        let restored = old.documentValue
        return try change(ifMatch: ifMatch, actor: actor, requestID: requestID) { base in
            let result = try settings.restore(restored)
            return (result, ConfigChange(document: result.stored,
                                         changedPaths: MergePatch.changedPaths(from: base.document, to: result.document),
                                         restoredFrom: target))
        }
    }

    private typealias Prepared = (evaluation: Settings.Evaluation, change: ConfigChange)
    /// The revision a change is made against: the operator's values and the document with defaults.
    private typealias Base = (stored: JSONValue, document: JSONValue)

    private func change(ifMatch: Set<Int>, actor: String, requestID: String?,
                        _ make: (Base) throws -> Prepared) throws -> Snapshot {
        let base = try current()
        let baseRevision = base.revision.revision
        var prepared: Prepared?
        if ifMatch.contains(baseRevision) {
            prepared = try make((base.evaluation.stored, base.evaluation.document))
        } else if ifMatch.allSatisfy({ $0 < baseRevision }) {
            // Every tag is older than a revision already committed: stale without opening a transaction.
            throw StaleRevision(current: baseRevision)
        }
        let revision = try database.updateConfig(ifRevision: ifMatch, actor: actor, requestID: requestID) { head in
            // The cache can trail a commit by a moment; then the change is computed again from the real head.
            if head.revision != baseRevision || prepared == nil {
                let stored = head.documentValue
                prepared = try make((stored, Settings.withDefaults(stored)))
            }
            return prepared!.change
        }
        return try committed(revision, prepared!.evaluation, changedPaths: prepared!.change.changedPaths)
    }

    public struct UnknownRevision: Error, Equatable { public var revision: Int }

    private func committed(_ revision: ConfigRevision, _ evaluation: Settings.Evaluation, changedPaths: [String]) throws -> Snapshot {
        // The answer to this change carries its own warnings (e.g. Response length lowered); the cached
        // GET answer is rebuilt from the stored document.
        let answer = try makeSnapshot(revision, evaluation, changedPaths: changedPaths)
        remember(try makeSnapshot(revision, settings.current(evaluation.stored), changedPaths: nil))
        return answer
    }

    private func makeSnapshot(_ revision: ConfigRevision, _ evaluation: Settings.Evaluation, changedPaths: [String]?) throws -> Snapshot {
        let view = View(revision: revision.revision, updatedAt: revision.createdAt, updatedBy: revision.actor,
                        config: evaluation.document, effective: evaluation.effective, warnings: evaluation.warnings,
                        changedPaths: changedPaths)
        return Snapshot(revision: revision, evaluation: evaluation, body: try JSON.encode(view), generation: settings.directory.generation)
    }

    /// Keeps the newest snapshot: two writers finishing out of order never put an older revision back.
    private func remember(_ snapshot: Snapshot) {
        cache.write { cached in
            if let c = cached, c.generation == snapshot.generation, c.revision.revision > snapshot.revision.revision { return }
            // Another process's newer revision replaces whatever was cached.
            cached = snapshot
        }
    }
}
