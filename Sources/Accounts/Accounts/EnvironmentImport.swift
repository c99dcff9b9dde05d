import Catalog
import Core
import Foundation
import Storage

extension AccountService {
    /// On first start, turns existing environment keys (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, AWS and
    /// Azure variables, `GOOGLE_APPLICATION_CREDENTIALS`, ...) into accounts named `<provider>:env`, once:
    /// the import is marked done in the same transaction, so later starts never import again, and an account
    /// the operator deleted never comes back. Returns the ids created and, per variable, why it was skipped.
    public func importEnvironment(_ environment: [String: String], at now: Date = Date()) throws -> (created: [String], skipped: [String]) {
        let caller = Caller(actor: "system:environment")
        var candidates: [(provider: CatalogProvider, variables: [String], input: JSONValue)] = []
        var skipped: [String] = []
        func value(_ name: String) -> String? {
            guard let v = environment[name]?.trimmed, !v.isEmpty else { return nil }
            return v
        }
        for provider in catalog.current.providers {
            // What is read follows the kind of credential the provider's first way in stores (its catalog entry).
            let kind = provider.authMethods.lazy.compactMap { provider.credentialKind(for: $0.method) }.first
            switch kind {
            case "aws":
                guard let id = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") else { continue }
                var fields: [String: JSONValue] = ["kind": .string("aws"), "accessKeyId": .string(id), "secretAccessKey": .string(secret)]
                if let token = value("AWS_SESSION_TOKEN") { fields["sessionToken"] = .string(token) }
                if let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") { fields["region"] = .string(region) }
                candidates.append((provider, ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"], .object(fields)))
            case "azure":
                guard let key = value("AZURE_OPENAI_API_KEY") else { continue }
                guard let endpoint = value("AZURE_OPENAI_ENDPOINT") else {
                    skipped.append("AZURE_OPENAI_API_KEY: AZURE_OPENAI_ENDPOINT is not set, so the Azure account needs its endpoint; connect it in Settings")
                    continue
                }
                let version = value("AZURE_OPENAI_API_VERSION") ?? value("OPENAI_API_VERSION") ?? "2024-10-21"
                candidates.append((provider, ["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT"],
                                   .object(["kind": .string("azure"), "endpoint": .string(endpoint), "apiKey": .string(key), "apiVersion": .string(version)])))
            case "service_account":
                guard let path = value("GOOGLE_APPLICATION_CREDENTIALS") else { continue }
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    skipped.append("GOOGLE_APPLICATION_CREDENTIALS: \(path) cannot be read")
                    continue
                }
                candidates.append((provider, ["GOOGLE_APPLICATION_CREDENTIALS"],
                                   .object(["kind": .string("service_account"), "json": .string(String(decoding: bytes, as: UTF8.self))])))
            case "api_key":
                // The catalog's `api_key` variable first, then the names other tools use (`switchboard.key_variables`).
                let names = (provider.apiKeyVariable.map { [$0] } ?? []) + provider.descriptor.keyVariables
                guard let name = names.first(where: { value($0) != nil }) else { continue }
                candidates.append((provider, [name], .object(["kind": .string("api_key"), "apiKey": .string(value(name)!)])))
            default:
                continue
            }
        }
        var created: [String] = []
        // Marked done after the accounts exist: a crash in between imports again, and the accounts already
        // created are then skipped as existing.
        guard try !database.flagIsSet("environment_import") else { return ([], []) }
        for c in candidates {
            let body: JSONValue = .object(["provider": .string(c.provider.id), "id": .string("\(c.provider.id):env"),
                                           "displayName": .string("\(c.provider.name) (from \(c.variables[0]))"),
                                           "credential": c.input])
            do {
                _ = try create(body, by: caller, at: now)
                try database.audit(AuditEntry("account.imported", actor: caller.actor, target: "\(c.provider.id):env",
                                              detail: .object(["variables": .array(c.variables.map(JSONValue.string))])))
                created.append("\(c.provider.id):env")
            } catch Failure.invalid(let errors) {
                skipped.append("\(c.variables.joined(separator: ", ")): " + errors.map { "\($0.pointer) \($0.message)" }.joined(separator: "; "))
            } catch Failure.exists {
                continue
            }
        }
        try database.setFlag("environment_import", at: now)
        return (created, skipped)
    }
}
