import CCurl
import Core
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How one transfer may go: the rules `OutboundClient` derives from its policy, or the `auth pair` command's
/// own (the operator's server and token endpoint, no address rules).
package struct TransferRules: Sendable {
    /// An address the host is pinned to. curl matches the URL's host and port (the URL is written with exactly
    /// this name) and connects to this address instead of looking the name up (`CURLOPT_CONNECT_TO`), while TLS
    /// still verifies the name; the socket callback refuses any other address, so no second lookup can ever be
    /// used (DNS rebinding), whatever curl's caches hold. Connections are reused per (host, address).
    package struct Pin: Sendable, Equatable {
        package var host: String
        package var port: Int
        package var address: String
        package init(host: String, port: Int, address: String) {
            self.host = host
            self.port = port
            self.address = address
        }
    }

    /// Plain http is allowed besides https (a host the operator listed with --allow-insecure-host).
    package var allowPlainHTTP = false
    /// A CA (PEM) trusted besides the system's.
    package var extraCAFile: String?
    package var pin: Pin?
    /// The largest body read; a larger one ends the transfer (`tooLarge`).
    package var maxResponseBytes = 8 << 20
    /// Connecting (TCP and TLS) takes at most this long, within the request's own timeout.
    package var connectTimeout: Duration = .seconds(10)

    package init(allowPlainHTTP: Bool = false, extraCAFile: String? = nil, pin: Pin? = nil,
                 maxResponseBytes: Int = 8 << 20, connectTimeout: Duration = .seconds(10)) {
        self.allowPlainHTTP = allowPlainHTTP
        self.extraCAFile = extraCAFile
        self.pin = pin
        self.maxResponseBytes = maxResponseBytes
        self.connectTimeout = connectTimeout
    }
}

/// libcurl's multi interface on a thread of its own: every outbound transfer of the process runs there, so a
/// provider that takes 5 s holds no request thread and no task, only a few kilobytes of state. Each transfer
/// completes a Swift continuation; cancelling the awaiting task removes the transfer. The multi handle keeps
/// the connection cache: keep-alive connections and TLS sessions are reused per host and TLS settings, with
/// no limit per host (tests of many accounts of one provider do not queue behind each other).
package final class CurlMulti: @unchecked Sendable {
    // @unchecked Sendable: `multi` and `running` are touched only on the transfer thread; the queue that
    // hands transfers over is behind its lock.
    package static let shared = CurlMulti()

    private let multi: UnsafeMutableRawPointer?
    private var running: [UnsafeMutableRawPointer: Transfer] = [:]
    private let inbox = Locked(Inbox())

    private struct Inbox {
        var adding: [Transfer] = []
        var cancelling: [Transfer] = []
    }

    private init() {
        guard case .success = Curl.ready, let handle = curl_multi_init() else {
            multi = nil // every transfer fails with `unavailable`, saying why
            return
        }
        multi = handle
        // Idle connections kept for reuse, across all hosts.
        _ = sb_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, 64)
        let thread = Thread { [self] in loop() }
        thread.name = "switchboard-outbound"
        thread.start()
    }

    /// Sends `request` under `rules`. `host` names the host in failures.
    package func perform(_ request: OutboundRequest, url: String, host: String, rules: TransferRules) async
        -> Result<OutboundResponse, OutboundFailure> {
        if case .failure(let error) = Curl.ready { return .failure(.unavailable(reason: error.description)) }
        guard multi != nil else { return .failure(.unavailable(reason: "curl_multi_init: out of memory")) }
        let transfer: Transfer
        do {
            transfer = try Transfer(request, url: url, host: host, rules: rules)
        } catch {
            return .failure(.unavailable(reason: error.description))
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.continuation = continuation
                enqueue { $0.adding.append(transfer) }
            }
        } onCancel: {
            transfer.cancelRequested.withLock { $0 = true }
            enqueue { $0.cancelling.append(transfer) }
        }
    }

    /// Hands work to the transfer thread and wakes it from its poll.
    private func enqueue(_ change: (inout Inbox) -> Void) {
        inbox.withLock { change(&$0) }
        if let multi { _ = curl_multi_wakeup(multi) }
    }

    private func loop() {
        guard let multi else { return }
        while true {
            let work = inbox.withLock { inbox -> Inbox in
                defer { inbox.adding = []; inbox.cancelling = [] }
                return inbox
            }
            for transfer in work.adding {
                if transfer.cancelRequested.withLock({ $0 }) {
                    transfer.finish(.failure(.cancelled(host: transfer.host)))
                } else if let failure = Self.failure(curl_multi_add_handle(multi, transfer.easy), "curl_multi_add_handle") {
                    transfer.finish(.failure(failure))
                } else {
                    running[transfer.easy] = transfer
                }
            }
            for transfer in work.cancelling where running[transfer.easy] != nil {
                remove(transfer)
                transfer.finish(.failure(.cancelled(host: transfer.host)))
            }

            var active: Int32 = 0
            _ = curl_multi_perform(multi, &active)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let transfer = running[easy] else { continue }
                let code = message.pointee.data.result
                remove(transfer)
                transfer.complete(code)
            }
            // Sleeps until a socket is ready, curl's next timeout, or `curl_multi_wakeup` (new work).
            // A poll that fails (it cannot, short of a broken handle) must not turn this loop into a spin.
            var ready: Int32 = 0
            if (try? Curl.check(curl_multi_poll(multi, nil, 0, 1000, &ready), "curl_multi_poll")) == nil { usleep(100_000) }
        }
    }

    private func remove(_ transfer: Transfer) {
        if let multi { _ = curl_multi_remove_handle(multi, transfer.easy) }
        running[transfer.easy] = nil
    }

    private static func failure(_ code: CURLMcode, _ operation: StaticString) -> OutboundFailure? {
        do { try Curl.check(code, operation) } catch { return .unavailable(reason: error.description) }
        return nil
    }
}

/// One transfer: its easy handle, the lists curl reads while it runs, and what arrives. Built on the caller's
/// thread, then touched only on the transfer thread (curl's callbacks run there too).
final class Transfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let host: String
    let limit: Int
    /// The pinned address as `inet_ntop` writes it, or nil (connect where the name leads).
    let pinned: String?
    let started = ContinuousClock.now
    let cancelRequested = Locked(false)
    var continuation: CheckedContinuation<Result<OutboundResponse, OutboundFailure>, Never>?

    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var connectTo: UnsafeMutablePointer<curl_slist>?
    private var headers: [(String, String)] = []
    private var body: [UInt8] = []
    private var overLimit = false
    private var refusedAddress: String?
    private var finished = false

    init(_ request: OutboundRequest, url: String, host: String, rules: TransferRules) throws(CurlError) {
        guard let easy = curl_easy_init() else { throw CurlError(operation: "curl_easy_init", code: -1, message: "out of memory") }
        self.easy = easy
        self.host = host
        limit = rules.maxResponseBytes
        pinned = rules.pin.flatMap { Self.normalized($0.address) }
        try configure(request, url: url, rules: rules)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        curl_slist_free_all(connectTo)
    }

    private func configure(_ request: OutboundRequest, url: String, rules: TransferRules) throws(CurlError) {
        func set(_ option: CURLoption, _ value: Int, _ name: StaticString) throws(CurlError) {
            try Curl.check(sb_easy_setopt_long(easy, option, value), name)
        }
        func set(_ option: CURLoption, _ value: String, _ name: StaticString) throws(CurlError) {
            try Curl.check(sb_easy_setopt_string(easy, option, value), name)
        }
        try set(CURLOPT_URL, url, "CURLOPT_URL")
        try set(CURLOPT_NOSIGNAL, 1, "CURLOPT_NOSIGNAL")
        // https only, plain http where the operator allowed it; no redirects; no proxy, whatever the environment says.
        try set(CURLOPT_PROTOCOLS_STR, rules.allowPlainHTTP ? "http,https" : "https", "CURLOPT_PROTOCOLS_STR")
        try set(CURLOPT_FOLLOWLOCATION, 0, "CURLOPT_FOLLOWLOCATION")
        try set(CURLOPT_PROXY, "", "CURLOPT_PROXY")
        try set(CURLOPT_NOPROXY, "*", "CURLOPT_NOPROXY")
        try set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1), "CURLOPT_HTTP_VERSION")
        try set(CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2), "CURLOPT_SSLVERSION")
        try set(CURLOPT_SSL_VERIFYPEER, 1, "CURLOPT_SSL_VERIFYPEER")
        try set(CURLOPT_SSL_VERIFYHOST, 2, "CURLOPT_SSL_VERIFYHOST")
        if let file = rules.extraCAFile {
            // The extra CA's file, and the system's CAs by their directory (OpenSSL looks an issuer up there).
            try set(CURLOPT_CAINFO, file, "CURLOPT_CAINFO")
            try set(CURLOPT_CAPATH, Self.systemCAPath, "CURLOPT_CAPATH")
        }
        // Size and time caps: a declared length over the cap is refused before the body; the write callback stops
        // one that only turns out too large.
        try Curl.check(sb_easy_setopt_off(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(rules.maxResponseBytes)), "CURLOPT_MAXFILESIZE_LARGE")
        try set(CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout), "CURLOPT_TIMEOUT_MS")
        try set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(min(rules.connectTimeout, request.timeout)), "CURLOPT_CONNECTTIMEOUT_MS")

        if let pin = rules.pin, AddressPolicy.forbiddenReason(pin.host) == "is not an IP address" {
            // CONNECT_TO rather than RESOLVE: curl then keeps connections apart per (host, address), so when the
            // name moves to another checked address the next call connects there instead of reusing the old one,
            // and nothing is written into the multi handle's shared DNS cache.
            let address = pin.address.contains(":") ? "[\(pin.address)]" : pin.address
            connectTo = curl_slist_append(nil, "\(pin.host):\(pin.port):\(address):\(pin.port)")
            try Curl.check(sb_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, connectTo), "CURLOPT_CONNECT_TO")
        }

        // Only the headers given go out (and the user agent): curl's default Accept and Expect are removed.
        var lines = request.headers.map { "\($0.0): \($0.1)" }
        if !request.headers.contains(where: { $0.0.caseInsensitiveCompare("Accept") == .orderedSame }) { lines.append("Accept:") }
        lines.append("Expect:")
        for line in lines { headerList = curl_slist_append(headerList, line) }
        try Curl.check(sb_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER")
        try set(CURLOPT_USERAGENT, "switchboard/1", "CURLOPT_USERAGENT")

        switch (request.method, request.body) {
        case (.GET, nil): break
        case (.HEAD, _): try set(CURLOPT_NOBODY, 1, "CURLOPT_NOBODY")
        case (let method, let body):
            let bytes = body ?? []
            try Curl.check(sb_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count)), "CURLOPT_POSTFIELDSIZE_LARGE")
            // COPYPOSTFIELDS copies the bytes (any bytes, NUL included: the size above says how many; an empty
            // body is the empty string).
            if bytes.isEmpty {
                try set(CURLOPT_COPYPOSTFIELDS, "", "CURLOPT_COPYPOSTFIELDS")
            } else {
                try bytes.withUnsafeBufferPointer { (buffer) throws(CurlError) in
                    try Curl.check(sb_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress!)),
                                   "CURLOPT_COPYPOSTFIELDS")
                }
            }
            if method != .POST { try set(CURLOPT_CUSTOMREQUEST, method.rawValue, "CURLOPT_CUSTOMREQUEST") }
        }

        let me = Unmanaged.passUnretained(self).toOpaque()
        try Curl.check(sb_easy_setopt_write(easy, CURLOPT_WRITEFUNCTION, Self.onBody), "CURLOPT_WRITEFUNCTION")
        try Curl.check(sb_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me), "CURLOPT_WRITEDATA")
        try Curl.check(sb_easy_setopt_write(easy, CURLOPT_HEADERFUNCTION, Self.onHeader), "CURLOPT_HEADERFUNCTION")
        try Curl.check(sb_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me), "CURLOPT_HEADERDATA")
        try Curl.check(sb_easy_setopt_opensocket(easy, Self.onOpenSocket), "CURLOPT_OPENSOCKETFUNCTION")
        try Curl.check(sb_easy_setopt_pointer(easy, CURLOPT_OPENSOCKETDATA, me), "CURLOPT_OPENSOCKETDATA")
    }

    /// Resumes the awaiting task, once.
    func finish(_ result: Result<OutboundResponse, OutboundFailure>) {
        guard !finished else { return }
        finished = true
        continuation?.resume(returning: result)
        continuation = nil
    }

    /// The transfer ended with `code`: the response, or why there is none.
    func complete(_ code: CURLcode) {
        if let address = refusedAddress {
            return finish(.failure(.refusedAddress(host: host, reason: "\(address), not the address that was checked")))
        }
        if overLimit { return finish(.failure(.tooLarge(host: host, limit: limit))) }
        if let failure = Curl.failure(of: code, host: host, limit: limit) { return finish(.failure(failure)) }
        var status = 0
        _ = sb_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        if (300..<400).contains(status) { return finish(.failure(.redirect(host: host, status: status))) }
        finish(.success(OutboundResponse(status: status, headers: headers, body: body, latency: started.duration(to: .now))))
    }

    // MARK: curl's callbacks (on the transfer thread)

    private static let onBody: curl_write_callback = { data, size, count, me in
        guard let me, let data else { return 0 }
        let transfer = Unmanaged<Transfer>.fromOpaque(me).takeUnretainedValue()
        let length = size * count
        if transfer.body.count + length > transfer.limit {
            transfer.overLimit = true
            return 0 // ends the transfer (CURLE_WRITE_ERROR)
        }
        data.withMemoryRebound(to: UInt8.self, capacity: length) { transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length)) }
        return length
    }

    /// One header line at a time; a new status line (after a 100 Continue, say) starts the list again.
    private static let onHeader: curl_write_callback = { data, size, count, me in
        guard let me, let data else { return 0 }
        let transfer = Unmanaged<Transfer>.fromOpaque(me).takeUnretainedValue()
        let length = size * count
        let line = data.withMemoryRebound(to: UInt8.self, capacity: length) { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) }
        if line.hasPrefix("HTTP/") {
            transfer.headers = []
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespacesAndNewlines)
            if !name.isEmpty { transfer.headers.append((name, value)) }
        }
        return length
    }

    /// Every socket curl opens: to the pinned address only (curl's caches cannot lead anywhere else).
    private static let onOpenSocket: curl_opensocket_callback = { me, _, address in
        guard let me, let address else { return -1 }
        let transfer = Unmanaged<Transfer>.fromOpaque(me).takeUnretainedValue()
        if let pinned = transfer.pinned {
            let actual = Transfer.text(of: address) ?? "an unknown address"
            guard actual == pinned else {
                transfer.refusedAddress = actual
                return -1 // CURL_SOCKET_BAD: the connection is not made
            }
        }
        return socket(address.pointee.family, address.pointee.socktype, address.pointee.protocol)
    }

    // MARK: Helpers

    static func text(of address: UnsafeMutablePointer<curl_sockaddr>) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return withUnsafeMutablePointer(to: &address.pointee.addr) { raw -> String? in
            switch Int32(address.pointee.family) {
            case AF_INET:
                return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    inet_ntop(AF_INET, &v4.pointee.sin_addr, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
                }
            case AF_INET6:
                return raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    inet_ntop(AF_INET6, &v6.pointee.sin6_addr, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
                }
            default:
                return nil
            }
        }
    }

    /// An address as `inet_ntop` writes it (so `::1`, `0:0::1` and the like compare equal).
    static func normalized(_ address: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return inet_ntop(AF_INET, &v4, &buffer, socklen_t(buffer.count)).map { String(cString: $0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 { return inet_ntop(AF_INET6, &v6, &buffer, socklen_t(buffer.count)).map { String(cString: $0) } }
        return nil
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    /// The system's CA directory, as this libcurl was built to use it (Debian: /etc/ssl/certs).
    static let systemCAPath: String = {
        if let info = sb_version_info(), let path = info.pointee.capath { return String(cString: path) }
        return "/etc/ssl/certs"
    }()
}
