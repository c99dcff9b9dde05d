import Core
import Foundation
import Logging
import Storage
import Vault

/// Renews OAuth access tokens in the background before they expire, so an account stays usable when nobody
/// runs a test. Started by `switchboard serve`, stopped at shutdown.
///
/// Every `interval` it looks for OAuth accounts whose access token expires within `margin` and renews them
/// one after another, `spacing` apart, through `OAuthService.refresh`: the same one-at-a-time path a test
/// takes, so a test and the renewer never refresh one account twice, and the rotated refresh token is
/// committed before anything uses it. A failed renewal is recorded on the account as a test's would be
/// (`error`, category `auth` when refused) and the account is left alone for `backoff`, doubled after each
/// further failure up to `maxBackoff`; a new credential (a new sign-in) starts afresh.
///
/// It runs as a detached task on Swift's global executor and its calls go out on NIO, so it holds no acceptor
/// thread. It logs account ids and categories, never a token.
public final class TokenRenewer: Sendable {
    /// When to renew and how often to look (`serve --token-renewal-margin` and `--token-renewal-interval`).
    public struct Schedule: Sendable, Equatable {
        /// An access token that expires within this long is renewed.
        public var margin: Duration
        /// The pause between two looks.
        public var interval: Duration
        /// How long an account is left alone after its first failed renewal; doubled after each further one.
        public var backoff: Duration
        public var maxBackoff: Duration
        /// The pause between two renewals of one look, so accounts that expire together are not renewed at once.
        public var spacing: Duration

        public init(margin: Duration = .seconds(300), interval: Duration = .seconds(60), backoff: Duration = .seconds(60),
                    maxBackoff: Duration = .seconds(3600), spacing: Duration = .milliseconds(200)) {
            self.margin = margin
            self.interval = interval
            self.backoff = backoff
            self.maxBackoff = maxBackoff
            self.spacing = spacing
        }
    }

    /// What one look did with an account it found due.
    public enum Outcome: Sendable, Equatable {
        case renewed
        case failed(TestCategory)
        /// Another credential (a new sign-in) took the renewed one's place meanwhile; it is kept.
        case superseded
    }

    let accounts: AccountService
    let oauth: OAuthService
    public let schedule: Schedule
    let logger: Logger
    private let state = Locked(State())

    private struct State {
        var task: Task<Void, Never>?
        var stopped = false
        var stoppedAt: ContinuousClock.Instant?
        /// Accounts whose renewals failed in a row, by account id.
        var failures: [String: Failures] = [:]
    }

    private struct Failures {
        /// The credential the failures were for: another one (a new sign-in) starts afresh.
        var file: String
        var count: Int
        var notBefore: Date
    }

    public init(accounts: AccountService, oauth: OAuthService, schedule: Schedule = Schedule(), logger: Logger) {
        self.accounts = accounts
        self.oauth = oauth
        self.schedule = schedule
        self.logger = logger
    }

    // MARK: Running

    /// Starts looking (once; a stopped renewer stays stopped).
    public func start() {
        let started = state.withLock { s -> Bool in
            guard s.task == nil, !s.stopped else { return false }
            s.task = Task.detached(priority: .utility) { [self] in await run() }
            return true
        }
        if started {
            logger.info("token renewer started", metadata: ["margin_s": "\(schedule.margin.timeInterval)", "interval_s": "\(schedule.interval.timeInterval)"])
        }
    }

    private func run() async {
        while !Task.isCancelled {
            await renewDue()
            do { try await Task.sleep(for: schedule.interval) } catch { break }
        }
    }

    /// Stops looking. A renewal in flight still finishes: the token endpoint may already have rotated the
    /// refresh token, and only storing the new one keeps the sign-in alive.
    public func stop() {
        let task = state.withLock { s -> Task<Void, Never>? in
            if !s.stopped { s.stopped = true; s.stoppedAt = .now }
            return s.task
        }
        task?.cancel()
    }

    /// Stops and waits until a renewal in flight has finished.
    public func stopAndWait() async {
        stop()
        await state.withLock { $0.task }?.value
    }

    /// After `stop()`: waits, blocking the calling thread (not a task's), until the renewal in flight has
    /// finished or `grace` has passed since the stop; true when it finished. `serve` gives it the same grace
    /// as requests in flight, so the process still exits within two seconds of SIGTERM.
    public func waitUntilStopped(grace: Duration) -> Bool {
        let (task, stoppedAt) = state.withLock { ($0.task, $0.stoppedAt ?? .now) }
        guard let task else { return true }
        let finished = DispatchSemaphore(value: 0)
        Task.detached { await task.value; finished.signal() }
        let left = max(0, (grace - stoppedAt.duration(to: .now)).timeInterval)
        return finished.wait(timeout: .now() + left) == .success
    }

    // MARK: One look

    /// Renews every OAuth account whose access token expires within the margin at `now` and is not backed off,
    /// one after another; answers what happened to each.
    @discardableResult
    public func renewDue(at now: Date = Date()) async -> [String: Outcome] {
        let records: [AccountRecord]
        do {
            records = try accounts.database.accounts().filter { $0.credentialKind == CredentialKind.oauth.rawValue }
        } catch {
            logger.warning("token renewer cannot read the accounts", metadata: ["error": "\(error)"])
            return [:]
        }
        var outcomes: [String: Outcome] = [:]
        for record in records {
            guard !Task.isCancelled else { break }
            guard let file = record.credentialFile, let credential = try? accounts.credential(of: record),
                  isDue(credential, at: now), !isBackedOff(record.id, file: file, at: now) else { continue }
            if !outcomes.isEmpty {
                do { try await Task.sleep(for: schedule.spacing) } catch { break }
            }
            outcomes[record.id] = await renew(record, credential, file: file, at: now)
        }
        return outcomes
    }

    /// Whether the access token expires within the margin (or has expired) and can be renewed.
    func isDue(_ credential: Credential, at now: Date) -> Bool {
        guard credential.kind == .oauth, credential.fields["refreshToken"] != nil,
              let text = credential.fields["expiresAt"]?.stringValue, let expires = try? Date(text, strategy: .iso8601) else { return false }
        return expires.timeIntervalSince(now) <= schedule.margin.timeInterval
    }

    private func isBackedOff(_ id: String, file: String, at now: Date) -> Bool {
        state.withLock { s in
            guard let failures = s.failures[id] else { return false }
            guard failures.file == file else { s.failures[id] = nil; return false }
            return failures.notBefore > now
        }
    }

    private func renew(_ record: AccountRecord, _ credential: Credential, file: String, at now: Date) async -> Outcome {
        let name = accounts.provider(record.provider)?.name ?? record.provider
        let started = ContinuousClock.now
        switch await oauth.refresh(record.id) {
        case .success:
            _ = state.withLock { $0.failures.removeValue(forKey: record.id) }
            logger.info("token renewed", metadata: ["account": "\(record.id)"])
            if !DirectAPIUse(credential, directApiAllowed: record.directApiAllowed).isAllowed,
               let current = try? accounts.record(record.id) {
                // For an account kept from the API the renewal is its whole connection test: its status follows.
                let result = DirectAPIUse.renewalChecked(name, latencyMs: Probe.milliseconds(started.duration(to: .now)), at: now)
                try? await accounts.recordTest(ProbeOutcome(result: result, models: nil), for: current, always: false)
            }
            return .renewed
        case .failure(.superseded):
            // A new sign-in or credential took its place meanwhile: nothing failed, and nothing is recorded.
            return .superseded
        case .failure(let failure):
            let count = state.withLock { s -> Int in
                let count = (s.failures[record.id].map { $0.file == file ? $0.count : 0 } ?? 0) + 1
                s.failures[record.id] = Failures(file: file, count: count, notBefore: now.addingTimeInterval(backoff(after: count)))
                return count
            }
            try? accounts.database.recordTestNow(record.id, failure.renewalResult(name, at: now))
            logger.warning("token renewal failed", metadata: ["account": "\(record.id)", "category": "\(failure.category)",
                                                              "failures": "\(count)"])
            return .failed(failure.testCategory)
        }
    }

    /// Seconds to leave an account alone after `count` failed renewals in a row.
    func backoff(after count: Int) -> TimeInterval {
        min(schedule.backoff.timeInterval * pow(2, Double(min(count - 1, 30))), schedule.maxBackoff.timeInterval)
    }
}
