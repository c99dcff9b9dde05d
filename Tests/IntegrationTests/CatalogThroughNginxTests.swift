import Foundation
import Testing
import TestSupport

/// The provider catalog through real nginx: the shipped resource is found by the real binary, and a
/// custom provider is written under the state directory and read back.
@Suite(.ownThread) struct CatalogThroughNginxTests {
    @Test func shippedCatalogAndACustomProviderRoundTrip() throws {
        let stack = try Stack(label: "catalog")
        let list = try stack.http.send("GET", "/api/catalog", headers: [stack.auth])
        #expect(list.status == 200)
        let ids = ((list.json["providers"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        #expect(Set(["openai", "anthropic", "google", "openrouter", "zai", "azureOpenai", "bedrock", "vertex"]).isSubset(of: Set(ids)))

        let body = #"{"id":"lab","name":"Lab vLLM","type":"openai","api_endpoint":"https://vllm.lab.example/v1","models":[{"id":"qwen3","default_max_tokens":8192}]}"#
        let put = try stack.http.send("PUT", "/api/catalog/custom/lab", headers: [stack.auth, ("Content-Type", "application/json")], body: body)
        #expect(put.status == 200)
        #expect(FileManager.default.fileExists(atPath: stack.state.appendingPathComponent("catalog/lab.json").path))
        let detail = try stack.http.send("GET", "/api/catalog/lab", headers: [stack.auth])
        #expect((detail.json["models"] as? [[String: Any]])?.first?["reference"] as? String == "lab/qwen3")
        #expect(try stack.http.send("DELETE", "/api/catalog/custom/lab", headers: [stack.auth]).status == 204)
        #expect(try stack.http.send("GET", "/api/catalog/lab", headers: [stack.auth]).status == 404)
    }

    /// Catwalk's own Anthropic file names its endpoint `$ANTHROPIC_API_ENDPOINT`: the responder reads that variable
    /// from its environment when it starts, and never shows the placeholder as the endpoint.
    @Test func anUpstreamCatwalkFileTakesItsEndpointFromTheEnvironmentAtStart() throws {
        let stack = try Stack(environment: ["ANTHROPIC_API_ENDPOINT": "https://anthropic-gateway.example"], label: "catalog-env")
        let json = [stack.auth, ("Content-Type", "application/json")]
        let put = try stack.http.send("PUT", "/api/catalog/custom/anthropic", headers: json, body: try catwalkFixture("anthropic"))
        #expect(put.status == 200, "\(put.body)")
        #expect(put.json["apiEndpoint"] as? String == "https://anthropic-gateway.example")
        let listed = (try stack.http.send("GET", "/api/catalog", headers: [stack.auth]).json["providers"] as? [[String: Any]])?
            .first { $0["id"] as? String == "anthropic" }
        #expect(listed?["apiEndpoint"] as? String == "https://anthropic-gateway.example")

        let copilot = try stack.http.send("PUT", "/api/catalog/custom/copilot", headers: json, body: try catwalkFixture("copilot"))
        #expect(copilot.status == 200, "a default model missing from models is a warning, not a 422")
        #expect((copilot.json["warnings"] as? [[String: Any]])?.first?["pointer"] as? String == "/default_large_model_id")
    }
}
