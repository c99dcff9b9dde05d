import Foundation
import Testing
import TestSupport

/// The provider catalog through real nginx: the shipped resource is found by the real binary, and a
/// custom provider is written under the state directory and read back.
@Suite struct CatalogThroughNginxTests {
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
}
