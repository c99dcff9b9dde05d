import Benchmark
import Foundation
import Routing

// Issue 15: one routing decision, in process, p99 ≤ 10 µs with 50 accounts and 500 models.
//
// Each sample is one decision for one model (the next of the 500 each time, so no single model's entries stay
// hot in cache). `Fleet` is the state a decision reads; `decide` is the decision. Until the router lands, the
// decision is its inner loop: the cooldown lookup of each of the 50 accounts for the model. When it lands, only
// `Fleet.init` (build the router's view from the same accounts, models and ledger) and the body of `decide`
// (call the router) change.

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        timeUnits: .microseconds,
        warmupIterations: 1_000,
        maxDuration: .seconds(5),
        maxIterations: 500_000
    )
    func decisions(_ name: String, in fleet: @escaping @Sendable () -> Fleet) {
        Benchmark(name, configuration: configuration, closure: { benchmark, fleet in
            blackHole(decide(fleet, model: fleet.models[benchmark.currentIteration % fleet.models.count]))
        }, setup: fleet)
    }
    // The target: bench/micro.sh checks this one's p99.
    decisions("RouteDecision: 50 accounts x 500 models") { Fleet() }
    // For reference: the same decisions when nothing has failed (every lookup a miss), the loop's floor.
    decisions("RouteDecision: 50 accounts x 500 models, no failures") { Fleet(failures: false) }
}

/// The decision under measurement. Today: every account's cooldown lookup for `model`, keeping the first account
/// that is free (all 50 are looked up, as a decision must to order its candidates).
@inline(never)
func decide(_ fleet: Fleet, model: String) -> String? {
    var chosen: String?
    for account in fleet.accounts where fleet.ledger.block(account: account, model: model, at: fleet.now) == nil {
        if chosen == nil { chosen = account }
    }
    return chosen
}

/// 50 accounts that each offer all 500 models, with failures recorded the way a busy fleet collects them (or none).
struct Fleet: Sendable {
    let accounts: [String]
    let models: [String]
    let ledger: FailureLedger
    let now: Date

    init(accountCount: Int = 50, modelCount: Int = 500, failures: Bool = true) {
        accounts = (0..<accountCount).map { "anthropic:account-\($0)" }
        models = (0..<modelCount).map { "claude-model-\($0)" }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        now = start.addingTimeInterval(120)
        ledger = failures ? Self.busy(accounts, models, since: start) : FailureLedger()
    }

    private static func busy(_ accounts: [String], _ models: [String], since start: Date) -> FailureLedger {
        var ledger = FailureLedger()
        for (a, account) in accounts.enumerated() {
            for (m, model) in models.enumerated() {
                // A third of the accounts are rate limited on a tenth of the models (still cooling 2 min later);
                // every seventh has a transient failure, below the threshold, on another tenth (an entry, no block).
                if a % 3 == 0, m % 10 == a % 10 {
                    ledger.record(.rateLimit, account: account, model: model, at: start)
                }
                if a % 7 == 0, m % 10 == (a + 5) % 10 {
                    ledger.record(.timeout, account: account, model: model, at: start)
                }
            }
        }
        // Whole-account blocks: one out of billing, one waiting for a passing test.
        ledger.record(.billing, account: accounts[13 % accounts.count], model: models[0], at: start)
        ledger.record(.auth, account: accounts[29 % accounts.count], model: models[0], at: start)
        return ledger
    }
}
