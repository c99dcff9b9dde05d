import CoreMetrics
import Metrics
import Prometheus

/// What Switchboard counts and times, for `GET /api/metrics`: requests by route and status, provider tests'
/// latency, routing decisions and outcomes, accounts out of rotation.
///
/// Every value owns its registry. `MetricsSystem.bootstrap` is once per process and the tests build many
/// applications in one, so the metrics are made with swift-metrics' API and an explicit factory
/// (`Counter(label:dimensions:factory:)`) backed by this value's `PrometheusCollectorRegistry`.
///
/// ```swift
/// let telemetry = Telemetry()
/// telemetry.request(route: "/api/accounts/{id}", method: "GET", status: 200)
/// let text = telemetry.render()   // Prometheus text exposition, `Telemetry.contentType`
/// ```
///
/// Every label value must come from a bounded set (a route template, never a raw path; a catalog provider id;
/// an outcome name): each distinct value is a time series kept for the life of the process.
public struct Telemetry: Sendable {
    /// The media type of `render()`'s text (Prometheus text exposition format 0.0.4).
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    /// The route label of a request no route served (404, 405): one series however many paths were tried.
    public static let unmatchedRoute = "unmatched"

    /// Provider-test latency buckets: a healthy API answers its cheapest call in 50–500 ms, a slow one in
    /// seconds, and a test gives up at its timeout (at most 60 s, 30 s for most accounts).
    static let latencyBuckets: [Duration] = [
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]

    private enum Name {
        static let requests = "switchboard_http_requests_total"
        static let providerTests = "switchboard_provider_test_duration_seconds"
        static let decisions = "switchboard_route_decisions_total"
        static let outcomes = "switchboard_route_outcomes_total"
        static let cooling = "switchboard_accounts_cooling"
        static let disabled = "switchboard_accounts_disabled"
    }

    private struct RequestSeries: Hashable, Sendable {
        var route: String
        var method: String
        var status: Int
    }

    private struct TestSeries: Hashable, Sendable {
        var provider: String
        var category: String
    }

    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let requests = SeriesTable<RequestSeries, CoreMetrics.Counter>()
    private let providerTests = SeriesTable<TestSeries, CoreMetrics.Timer>()
    private let decisions = SeriesTable<String, CoreMetrics.Counter>()
    private let outcomes = SeriesTable<String, CoreMetrics.Counter>()
    private let cooling: CoreMetrics.Gauge
    private let disabled: CoreMetrics.Gauge

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [Name.providerTests: Self.latencyBuckets]
        self.factory = factory
        // Made now, so a scrape shows 0 before routing first reports.
        cooling = CoreMetrics.Gauge(label: Name.cooling, factory: factory)
        disabled = CoreMetrics.Gauge(label: Name.disabled, factory: factory)
    }

    /// One answered request, by its route's template (`/api/accounts/{id}`, or `unmatchedRoute`), method and
    /// status. On every request: after the first of a kind it costs a shared-lock dictionary lookup and an
    /// atomic increment.
    public func request(route: String, method: String, status: Int) {
        requests.metric(RequestSeries(route: route, method: method, status: status)) {
            CoreMetrics.Counter(label: Name.requests,
                                dimensions: [("route", route), ("method", method), ("status", String(status))],
                                factory: factory)
        }.increment()
    }

    /// How long one call to a provider's API took in a connection test, by catalog provider id and the
    /// test's category (`ok`, `auth`, `rate_limit`, …).
    public func providerTest(provider: String, category: String, latency: Duration) {
        providerTests.metric(TestSeries(provider: provider, category: category)) {
            CoreMetrics.Timer(label: Name.providerTests, dimensions: [("provider", provider), ("category", category)],
                              factory: factory)
        }.record(duration: latency)
    }

    /// One routing decision, by its result (`routed`, `fallback`, `unavailable`).
    public func decision(result: String) {
        decisions.metric(result) {
            CoreMetrics.Counter(label: Name.decisions, dimensions: [("result", result)], factory: factory)
        }.increment()
    }

    /// One outcome a runtime reported for a decision (`ok`, `rate_limit`, `quota_exhausted`, …).
    public func outcome(_ outcome: String) {
        outcomes.metric(outcome) {
            CoreMetrics.Counter(label: Name.outcomes, dimensions: [("outcome", outcome)], factory: factory)
        }.increment()
    }

    /// How many accounts are cooling down and how many are disabled now.
    public func accounts(cooling: Int, disabled: Int) {
        self.cooling.record(cooling)
        self.disabled.record(disabled)
    }

    /// Every metric in the Prometheus text exposition format (`contentType`).
    public func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}
