import Core
import Foundation

/// What disconnecting an account would affect: the settings that use its provider's models, and which account
/// takes over.
extension AccountService {
    public struct Impact: Sendable, Encodable {
        public struct Reference: Sendable, Encodable, Equatable {
            public let pointer: String
            public let reference: String
            public let role: String
        }
        public struct Takeover: Sendable, Encodable, Equatable {
            public let id: String
            public let displayName: String
            public let status: AccountStatus
        }
        public let account: String
        public let references: [Reference]
        @EncodedAsNull public var takeover: Takeover?
        public let otherAccounts: Int
        public let summary: String

    }

    public func impact(_ id: String) throws -> Impact {
        let current = try record(id)
        let snapshot = try config.current()
        var references: [Impact.Reference] = []
        for (pointer, resolved) in snapshot.evaluation.resolved where resolved.provider == current.provider {
            references.append(.init(pointer: pointer, reference: resolved.reference, role: Self.role(of: pointer)))
        }
        let ccsdk = "/agents/defaults/mainCcsdkProvider"
        if snapshot.evaluation.document.value(at: ["agents", "defaults", "mainCcsdkProvider"])?.stringValue == current.provider {
            references.append(.init(pointer: ccsdk, reference: current.provider, role: "system_brain"))
        }
        references.sort { $0.pointer < $1.pointer }
        let catalog = catalog.current
        let others = try database.accounts().filter { $0.provider == current.provider && $0.id != id }.map { view($0, catalog) }
        let preferred = others.first { $0.status == .connected } ?? others.first { $0.status == .untested } ?? others.first
        let takeover = preferred.map { Impact.Takeover(id: $0.id, displayName: $0.displayName, status: $0.status) }
        let uses = references.count == 1 ? "1 setting uses" : "\(references.count) settings use"
        let name = catalog.entry(current.provider)?.name ?? current.provider
        let summary: String = if references.isEmpty {
            "No setting uses \(name) models; disconnecting affects nothing else."
        } else if let takeover {
            "\(uses) \(name) models; \(takeover.displayName) (\(takeover.id)) takes over."
        } else {
            "\(uses) \(name) models and no other \(name) account is connected: they stop working until you connect one."
        }
        return Impact(account: id, references: references, takeover: takeover, otherAccounts: others.count, summary: summary)
    }

    static func role(of pointer: String) -> String {
        switch true {
        case pointer == "/agents/defaults/model/primary": "primary"
        case pointer.hasPrefix("/agents/defaults/model/fallbacks/"): "fallback"
        case pointer.hasPrefix("/agents/defaults/imageModel/"): "image"
        case pointer.hasPrefix("/agents/defaults/heartbeat/"): "heartbeat"
        case pointer.hasPrefix("/agents/main/"), pointer.hasPrefix("/agents/defaults/main"): "system_brain"
        default: "other"
        }
    }
}
