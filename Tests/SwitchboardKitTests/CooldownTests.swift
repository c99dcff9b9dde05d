import Foundation
@testable import Routing
import Testing

/// The cooldown rules of issue 15 on an explicit clock: every date below is a moment given to the ledger, so
/// nothing waits and nothing depends on the machine's speed.
@Suite struct CooldownTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }
    func minutes(_ m: Double) -> Double { m * 60 }

    /// The lengths of `count` blocks in a row, each failure coming a second after the block before it ended;
    /// `checked` is the model the block is read for, and sees each block.
    func ladder(_ outcome: RouteOutcome, _ count: Int, readFor checked: String = "claude-sonnet-4-5",
                _ each: (Block?) -> Void = { _ in }) -> [TimeInterval] {
        var ledger = FailureLedger()
        var now = t0
        var lengths: [TimeInterval] = []
        for _ in 0..<count {
            ledger.record(outcome, account: "anthropic:a", model: "claude-sonnet-4-5", at: now)
            let block = ledger.block(account: "anthropic:a", model: checked, at: now)
            each(block)
            guard let until = block?.until else { return lengths }
            lengths.append(until.timeIntervalSince(now))
            now = until.addingTimeInterval(1)
        }
        return lengths
    }

    @Test func rateLimitsBackOffOneFiveTwentyFiveMinutesThenAnHour() {
        #expect(ladder(.rateLimit, 5) == [60, 300, 1500, 3600, 3600])
    }

    @Test func aCooledAccountIsSkippedUntilItsCooldownEndsThenUsedAgain() {
        var ledger = FailureLedger()
        ledger.record(.rateLimit, account: "openai:b", model: "gpt-4o", at: t0)
        let block = ledger.block(account: "openai:b", model: "gpt-4o", at: at(30))
        #expect(block == Block(scope: .model, reason: .rateLimit, until: at(60), strikes: 1))
        #expect(ledger.block(account: "openai:b", model: "gpt-4o", at: at(60)) == nil)
        // Another model of the same account, and another account, were never affected.
        #expect(ledger.block(account: "openai:b", model: "gpt-4o-mini", at: at(30)) == nil)
        #expect(ledger.block(account: "openai:c", model: "gpt-4o", at: at(30)) == nil)
    }

    @Test func aLaterRetryAfterExtendsTheCooldownAndAnEarlierOneNeverShortensIt() {
        var ledger = FailureLedger()
        ledger.record(.rateLimit, account: "a", model: "m", at: t0, retryAfter: .seconds(600))
        #expect(ledger.block(account: "a", model: "m", at: t0)?.until == at(600))
        // A second rate limit whose own step (5 min) and retry-after (10 s) end earlier: the deadline stays.
        ledger.record(.rateLimit, account: "a", model: "m", at: at(10), retryAfter: .seconds(10))
        #expect(ledger.block(account: "a", model: "m", at: at(10))?.until == at(600))
        // A later one moves it.
        ledger.record(.rateLimit, account: "a", model: "m", at: at(20), retryAfter: .seconds(7200))
        #expect(ledger.block(account: "a", model: "m", at: at(20))?.until == at(7220))
    }

    @Test func okClearsFailuresAndCooldownSoARecoveredAccountIsBackInRotation() {
        var ledger = FailureLedger()
        ledger.record(.rateLimit, account: "a", model: "m", at: t0)
        ledger.record(.rateLimit, account: "a", model: "m", at: at(61))
        ledger.record(.ok, account: "a", model: "m", at: at(400))
        #expect(ledger.block(account: "a", model: "m", at: at(400)) == nil)
        // The ladder starts again from its first step.
        ledger.record(.rateLimit, account: "a", model: "m", at: at(500))
        #expect(ledger.block(account: "a", model: "m", at: at(500))?.until == at(560))
        ledger.record(.ok, account: "a", model: "m", at: at(600))
        #expect(ledger == FailureLedger(), "nothing is left behind for a healthy account")
    }

    @Test func quotaExhaustedWaitsForTheProvidersResetAndAnEarlierResetDoesNotShortenIt() {
        var ledger = FailureLedger()
        ledger.record(.quotaExhausted, account: "a", model: "m", at: t0, reset: at(minutes(90)))
        #expect(ledger.block(account: "a", model: "m", at: at(minutes(89)))?.reason == .quotaExhausted)
        ledger.record(.quotaExhausted, account: "a", model: "m", at: at(10), reset: at(minutes(30)))
        #expect(ledger.block(account: "a", model: "m", at: at(minutes(89)))?.until == at(minutes(90)))
        #expect(ledger.block(account: "a", model: "m", at: at(minutes(90))) == nil)
    }

    @Test func billingDisablesTheWholeAccountForFiveHoursDoublingUpToADay() {
        // Read for another model: the whole account is blocked.
        let lengths = ladder(.billing, 4, readFor: "other-model") { #expect($0?.scope == .account) }
        let hour: TimeInterval = 3600
        #expect(lengths == [5 * hour, 10 * hour, 20 * hour, 24 * hour])
        // Longer than any rate limit.
        let longestRateLimit = CooldownRules().ladder.map { TimeInterval($0.components.seconds) }.max() ?? 0
        #expect(lengths[0] > longestRateLimit)
    }

    @Test func authKeepsTheAccountBlockedUntilATestPasses() {
        var ledger = FailureLedger()
        ledger.record(.auth, account: "a", model: "m", at: t0)
        #expect(ledger.block(account: "a", model: "m", at: at(86_400 * 30)) == Block(scope: .account, reason: .auth, until: nil, strikes: 1))
        ledger.testPassed(account: "a")
        #expect(ledger.block(account: "a", model: "m", at: at(1)) == nil)
    }

    @Test func transientFailuresCoolDownOnlyWhenThreeFallWithinFiveMinutes() {
        var ledger = FailureLedger()
        // Three, each more than five minutes after the one before: no cooldown.
        for (i, outcome) in [RouteOutcome.timeout, .network, .serverError].enumerated() {
            ledger.record(outcome, account: "a", model: "m", at: at(Double(i) * 301))
        }
        #expect(ledger.block(account: "a", model: "m", at: at(602)) == nil)
        // Two more within five minutes of the last make three: a cooldown of the first step.
        ledger.record(.overloaded, account: "a", model: "m", at: at(650))
        #expect(ledger.block(account: "a", model: "m", at: at(650)) == nil)
        ledger.record(.timeout, account: "a", model: "m", at: at(700))
        #expect(ledger.block(account: "a", model: "m", at: at(700)) == Block(scope: .model, reason: .timeout, until: at(760), strikes: 1))
    }

    @Test func theRequestsOwnFaultsChangeNothing() {
        var ledger = FailureLedger()
        for _ in 0..<10 {
            ledger.record(.badRequest, account: "a", model: "m", at: t0)
            ledger.record(.contextOverflow, account: "a", model: "m", at: t0)
        }
        #expect(ledger == FailureLedger())
    }

    @Test func countsStartAgainAfterADayWithoutFailures() {
        var ledger = FailureLedger()
        ledger.record(.rateLimit, account: "a", model: "m", at: t0)
        ledger.record(.rateLimit, account: "a", model: "m", at: at(61))
        #expect(ledger.block(account: "a", model: "m", at: at(61))?.strikes == 2)
        // A day and a bit later, the next rate limit is a first one again (1 min, not 25).
        let later = at(61 + 86_400 + 1)
        ledger.record(.rateLimit, account: "a", model: "m", at: later)
        #expect(ledger.block(account: "a", model: "m", at: later) == Block(scope: .model, reason: .rateLimit, until: later.addingTimeInterval(60), strikes: 1))
        // Within the day, counts are kept: billing after 23 h is a second strike.
        ledger.record(.billing, account: "b", model: "m", at: t0)
        ledger.record(.billing, account: "b", model: "m", at: at(23 * 3600))
        #expect(ledger.block(account: "b", model: "m", at: at(23 * 3600))?.strikes == 2)
    }

    @Test func stateIsKeyedByAccountIdNotByPosition() {
        var ledger = FailureLedger()
        ledger.record(.rateLimit, account: "openai:second", model: "m", at: t0)
        // Accounts before and after it in any list are untouched, whatever order a list has.
        for id in ["openai:first", "openai:third", "openai:zeroth"] {
            #expect(ledger.block(account: id, model: "m", at: t0) == nil)
        }
        #expect(ledger.block(account: "openai:second", model: "m", at: t0) != nil)
    }
}
