import Auth
import Core
import Foundation
import Storage

/// Device-code sign-in (RFC 8628): the user enters a code on another device while the page polls.
extension OAuthService {
    public func startDevice(_ providerID: String, _ body: JSONValue, principal: Principal, at now: Date = Date()) async throws -> Flow {
        let (client, entry) = try usableClient(providerID, .oauthDeviceCode)
        let account = try targetAccount(body, provider: entry.id)
        let server = endpoint(client)
        let device: DeviceAuthorization
        switch await server.deviceAuthorization() {
        case .success(let d): device = d
        case .failure(let f): throw Failure.unavailable(f.message(entry.name))
        }
        let id = OAuthRandom.id("oaf_")
        try database.startDeviceFlow(OAuthFlowRecord(
            id: id, provider: entry.id, account: account, actor: principal.actor, mode: "device", createdAt: now,
            expiresAt: now.addingTimeInterval(TimeInterval(min(device.expiresIn, 1800))),
            deviceCode: try accounts.vault.sealValue(device.deviceCode, context: "oauth-device:\(id)"), userCode: device.userCode,
            verificationURI: device.verificationURI, verificationURIComplete: device.verificationURIComplete, interval: device.interval,
            nextPollAt: now.addingTimeInterval(TimeInterval(device.interval))))
        return try flow(id, principal: principal, at: now)
    }

    /// One poll of a device flow: the provider is asked at most once per interval (growing by 5 s on
    /// `slow_down`); between, the stored state is answered.
    public func poll(_ id: String, principal: Principal, at now: Date = Date()) async throws -> Flow {
        let current = try flow(id, principal: principal, at: now)
        guard current.mode == "device", current.status == "waiting" else { return current }
        // Claim this interval's poll, so two pages polling at once still ask the provider once.
        let claimed = try database.claimDevicePoll(id, at: now)
        guard let claimed, let sealed = claimed.deviceCode, let client = try clients.client(claimed.provider) else { return current }
        guard let deviceCode = accounts.vault.openValue(sealed, context: "oauth-device:\(id)") else {
            fail(claimed, "expired_token", "The device code can no longer be read (the master key changed) — request a new code.", at: now)
            return try flow(id, principal: principal, at: now)
        }
        let server = endpoint(client)
        switch await server.pollDevice(deviceCode) {
        case .success(let tokens):
            if try database.consumeDeviceFlow(id, at: now) { _ = store(tokens, flow: claimed, client: client, at: now) }
        case .failure(.oauth("authorization_pending", _)):
            try database.noteDeviceFlowPending(id)
        case .failure(.oauth("slow_down", _)):
            let interval = (claimed.interval ?? 5) + 5
            try database.slowDownDeviceFlow(id, interval: interval, message: "The provider asked to poll less often; waiting \(interval) s between checks.", at: now)
        case .failure(let failure):
            fail(claimed, failure.category, failure.message(name(claimed.provider)), at: now)
        }
        return try flow(id, principal: principal, at: now)
    }
}
