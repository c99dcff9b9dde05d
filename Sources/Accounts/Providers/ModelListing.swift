import Core
import Foundation
import Outbound

/// The request that lists a family's models and how to read its answer. Every family's probe is this one
/// skeleton (send it, read an error the family's way, read the list or say the answer was none), written once in
/// `Probe.list(_:)`; a family says only what differs.
struct ModelListing {
    var url: String
    var headers: [(String, String)]
    /// What a 200 should have held, for the summary when it did not (`an OpenAI-style model list; check the base URL`).
    var expected: String
    /// The family's answers carry rate-limit headers, read from every answer (`RateLimitReport`).
    var readsQuota = false
    /// The models in a 200's body; nil when the body is not the family's list.
    var models: @Sendable (JSONValue) -> [DiscoveredModel]?
    /// The family's reading of a non-200 answer.
    var error: @Sendable (Probe, OutboundResponse, Quota?) -> ProbeOutcome
}

extension Probe {
    /// What sending a listing came to: the models (and the quota the answer carried), or the outcome that ends
    /// the probe (a transport failure, an error, a 200 that holds no list).
    enum Listed {
        case models([DiscoveredModel], Quota?)
        case ended(ProbeOutcome)
    }

    func fetch(_ listing: ModelListing) async -> Listed {
        switch await send(.GET, listing.url, headers: listing.headers) {
        case .failure(let f): return .ended(failed(f))
        case .success(let r):
            let quota = listing.readsQuota ? Quota(r) : nil
            guard r.status == 200 else { return .ended(listing.error(self, r, quota)) }
            guard let json = r.json, let models = listing.models(json) else {
                return .ended(result(.badResponse, "\(name) answered 200, but not with \(listing.expected).", status: 200))
            }
            return .models(models, quota)
        }
    }

    /// The whole probe of a family whose cheapest authenticated call is its model list.
    func list(_ listing: ModelListing, summary: ((Int) -> String)? = nil) async -> ProbeOutcome {
        switch await fetch(listing) {
        case .ended(let outcome): return outcome
        case .models(let models, let quota):
            let text = summary?(models.count) ?? "\(name) \(accepted); \(models.count) models available."
            return result(.ok, text, status: 200, models: models, quota: quota)
        }
    }

    /// A family's error read by status alone: `<provider> answered 503.`
    static func plainError(_ p: Probe, _ r: OutboundResponse, _ quota: Quota?) -> ProbeOutcome {
        p.result(category(status: r.status), "\(p.name) answered \(r.status).", status: r.status, quota: quota)
    }
}

extension Quota {
    /// The allowance an answer states, read by the same reader routing uses.
    init(_ r: OutboundResponse) {
        self.init(RateLimitReport.parse(Dictionary(r.headers, uniquingKeysWith: { _, last in last }), at: Date()), at: Date())
    }
}
