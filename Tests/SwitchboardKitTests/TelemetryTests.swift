import Telemetry
import Testing

/// One sample of a Prometheus text exposition: `name{label="value",…} value`.
struct Sample: Equatable, CustomStringConvertible {
    var name: String
    var labels: [String: String]
    var value: Double

    var description: String { "\(name)\(labels.sorted { $0.key < $1.key }) \(value)" }
}

/// Reads the exposition format's sample lines (label values as Switchboard writes them: no escaped quotes).
func samples(_ text: String) -> [Sample] {
    text.split(separator: "\n").compactMap { line -> Sample? in
        guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...])
        else { return nil }
        let series = line[..<space]
        guard let open = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
        var labels: [String: String] = [:]
        for pair in series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: "\",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            labels[String(parts[0])] = String(parts[1].drop { $0 == "\"" }.reversed().drop { $0 == "\"" }.reversed())
        }
        return Sample(name: String(series[..<open]), labels: labels, value: value)
    }
}

/// The value of the one sample named `name` with exactly these labels, nil when there is none.
func value(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
    samples(text).first { $0.name == name && $0.labels == labels }?.value
}

extension Telemetry {
    var text: String { String(decoding: render(), as: UTF8.self) }
}

// MARK: Tests

@Suite struct TelemetryTests {
    @Test func requestsAreCountedByRouteMethodAndStatus() {
        // Given a fresh registry
        let telemetry = Telemetry()
        // When three requests are recorded, two of them alike
        telemetry.request(route: "/api/accounts/{id}", method: "GET", status: 200)
        telemetry.request(route: "/api/accounts/{id}", method: "GET", status: 200)
        telemetry.request(route: "/api/accounts/{id}", method: "GET", status: 404)
        // Then each label set is its own series with its own count
        let text = telemetry.text
        #expect(text.contains("# TYPE switchboard_http_requests_total counter"))
        #expect(value(text, "switchboard_http_requests_total", ["route": "/api/accounts/{id}", "method": "GET", "status": "200"]) == 2)
        #expect(value(text, "switchboard_http_requests_total", ["route": "/api/accounts/{id}", "method": "GET", "status": "404"]) == 1)
    }

    @Test func providerTestLatencyIsAHistogramInSecondsFrom50msTo30s() {
        let telemetry = Telemetry()
        telemetry.providerTest(provider: "openai", category: "ok", latency: .milliseconds(120))
        telemetry.providerTest(provider: "openai", category: "ok", latency: .seconds(3))
        telemetry.providerTest(provider: "anthropic", category: "auth", latency: .milliseconds(40))
        let text = telemetry.text
        let name = "switchboard_provider_test_duration_seconds"
        #expect(text.contains("# TYPE \(name) histogram"))
        let openai = ["provider": "openai", "category": "ok"]
        let bounds = samples(text).filter { $0.name == "\(name)_bucket" && $0.labels["provider"] == "openai" }.compactMap { $0.labels["le"] }
        #expect(bounds == ["0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "30.0", "+Inf"])
        #expect(value(text, "\(name)_bucket", openai.merging(["le": "0.1"]) { a, _ in a }) == 0)
        #expect(value(text, "\(name)_bucket", openai.merging(["le": "0.25"]) { a, _ in a }) == 1)
        #expect(value(text, "\(name)_bucket", openai.merging(["le": "5.0"]) { a, _ in a }) == 2)
        #expect(value(text, "\(name)_bucket", openai.merging(["le": "+Inf"]) { a, _ in a }) == 2)
        #expect(value(text, "\(name)_count", openai) == 2)
        #expect(value(text, "\(name)_sum", openai) == 3.12)
        #expect(value(text, "\(name)_bucket", ["provider": "anthropic", "category": "auth", "le": "0.05"]) == 1)
    }

    @Test func decisionsAndOutcomesAreCountedByTheirValue() {
        let telemetry = Telemetry()
        telemetry.decision(result: "routed")
        telemetry.decision(result: "routed")
        telemetry.decision(result: "unavailable")
        telemetry.outcome("ok")
        telemetry.outcome("rate_limit")
        telemetry.outcome("rate_limit")
        telemetry.outcome("rate_limit")
        let text = telemetry.text
        #expect(text.contains("# TYPE switchboard_route_decisions_total counter"))
        #expect(value(text, "switchboard_route_decisions_total", ["result": "routed"]) == 2)
        #expect(value(text, "switchboard_route_decisions_total", ["result": "unavailable"]) == 1)
        #expect(value(text, "switchboard_route_decisions_total", ["result": "fallback"]) == nil)
        #expect(text.contains("# TYPE switchboard_route_outcomes_total counter"))
        #expect(value(text, "switchboard_route_outcomes_total", ["outcome": "ok"]) == 1)
        #expect(value(text, "switchboard_route_outcomes_total", ["outcome": "rate_limit"]) == 3)
    }

    @Test func accountGaugesShowTheLatestCountsAndStartAtZero() {
        let telemetry = Telemetry()
        #expect(value(telemetry.text, "switchboard_accounts_cooling") == 0)
        #expect(value(telemetry.text, "switchboard_accounts_disabled") == 0)
        telemetry.accounts(cooling: 3, disabled: 1)
        telemetry.accounts(cooling: 2, disabled: 1)
        let text = telemetry.text
        #expect(text.contains("# TYPE switchboard_accounts_cooling gauge"))
        #expect(value(text, "switchboard_accounts_cooling") == 2)
        #expect(value(text, "switchboard_accounts_disabled") == 1)
    }

    /// Tests build many applications in one process: each has its own registry, never a global one.
    @Test func twoInstancesShareNothing() {
        let first = Telemetry()
        let second = Telemetry()
        first.request(route: "/api/health", method: "GET", status: 200)
        first.accounts(cooling: 5, disabled: 0)
        #expect(value(first.text, "switchboard_http_requests_total", ["route": "/api/health", "method": "GET", "status": "200"]) == 1)
        #expect(value(second.text, "switchboard_http_requests_total", ["route": "/api/health", "method": "GET", "status": "200"]) == nil)
        #expect(value(second.text, "switchboard_accounts_cooling") == 0)
    }

    @Test func countsAreExactUnderConcurrentRecording() async {
        let telemetry = Telemetry()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for _ in 0..<1000 { telemetry.request(route: "/api/r\(task % 2)", method: "GET", status: 200) }
                }
            }
        }
        let text = telemetry.text
        #expect(value(text, "switchboard_http_requests_total", ["route": "/api/r0", "method": "GET", "status": "200"]) == 4000)
        #expect(value(text, "switchboard_http_requests_total", ["route": "/api/r1", "method": "GET", "status": "200"]) == 4000)
    }
}
