import Benchmark
import Foundation
import Routing

// Issue 15: one routing decision, in process, p99 ≤ 10 µs with 50 accounts and 500 models.
//
// Each sample is one decision for one model (the next of the 500 each time, so no single model's entries stay
// hot in cache): `RouteState.decide`, exactly what `POST /api/route` runs under its lock — every candidate's
// status, policy, cooldown, concurrency and quota checked, the least recently used chosen, the explanation built —
// followed by `finish` (the outcome taking it out of flight), so the state stays the same from sample to sample.

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

/// The decision under measurement.
@inline(never)
func decide(_ fleet: Fleet, model: String) -> String? {
    let query = RouteQuery(chain: [ChainStep(reference: "anthropic/" + model, from: "request")])
    switch fleet.router.state.decide(query, in: fleet.catalog, at: fleet.now) {
    case .routed(let routed):
        fleet.router.state.finish(account: routed.account.id, in: fleet.catalog)
        return routed.account.id
    case .unavailable:
        return nil
    }
}

/// The routing state, changed by each decision (in flight, least recently used), as the service keeps it.
final class Router: @unchecked Sendable {
    // @unchecked Sendable: the benchmark runs one decision at a time.
    var state: RouteState
    init(_ state: RouteState) { self.state = state }
}

/// 50 accounts that each offer all 500 models, with failures recorded the way a busy fleet collects them (or none).
struct Fleet: Sendable {
    let accounts: [String]
    let models: [String]
    let ledger: FailureLedger
    let now: Date
    /// The view a decision reads: the accounts and the models they offer.
    let catalog: RouteCatalog
    let router: Router

    init(accountCount: Int = 50, modelCount: Int = 500, failures: Bool = true) {
        let accounts = (0..<accountCount).map { "anthropic:account-\($0)" }
        let models = (0..<modelCount).map { "claude-model-\($0)" }
        self.accounts = accounts
        self.models = models
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        now = start.addingTimeInterval(120)
        ledger = failures ? Self.busy(accounts, models, since: start) : FailureLedger()
        catalog = RouteCatalog(
            accounts: accounts.map { RouteAccount(id: $0, provider: "anthropic", family: "anthropic", baseURL: "https://api.anthropic.com",
                                                  status: "connected") },
            models: models.map { RouteModel(reference: "anthropic/" + $0, provider: "anthropic", model: $0, accounts: accounts,
                                            maxOutputTokens: 64_000) })
        router = Router(RouteState(ledger: ledger))
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
