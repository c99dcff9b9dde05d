import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Which addresses an outbound call may connect to. Loopback, private, link-local (cloud metadata at
/// 169.254.169.254 included), shared, unique-local, multicast and reserved ranges are refused, and so are
/// IPv6 forms that embed such an IPv4 address (mapped, compatible, NAT64, 6to4) and the IPv6 forms that only
/// exist inside a network (IPv4-translated, local-use NAT64, Teredo, discard-only, ORCHID, documentation).
/// Hosts the operator allows (`--allow-private-host`) are exempt.
public enum AddressPolicy {
    /// Why `address` may not be used, or nil when it is a public address.
    public static func forbiddenReason(_ address: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return reason(ipv4: UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            return reason(ipv6: bytes)
        }
        return "is not an IP address"
    }

    static func reason(ipv4 a: UInt32) -> String? {
        func within(_ base: UInt32, _ bits: UInt32) -> Bool { bits == 0 || (a >> (32 - bits)) == (base >> (32 - bits)) }
        let ranges: [(UInt32, UInt32, String)] = [
            (0x0000_0000, 8, "a reserved address (0.0.0.0/8)"),
            (0x0A00_0000, 8, "a private address (10.0.0.0/8)"),
            (0x6440_0000, 10, "a shared address (100.64.0.0/10)"),
            (0x7F00_0000, 8, "a loopback address"),
            (0xA9FE_0000, 16, "a link-local address (169.254.0.0/16, where cloud metadata lives)"),
            (0xAC10_0000, 12, "a private address (172.16.0.0/12)"),
            (0xC000_0000, 24, "a reserved address (192.0.0.0/24)"),
            (0xC000_0200, 24, "a documentation address"),
            (0xC058_6300, 24, "a 6to4 relay address (192.88.99.0/24)"),
            (0xC0A8_0000, 16, "a private address (192.168.0.0/16)"),
            (0xC612_0000, 15, "a benchmarking address (198.18.0.0/15)"),
            (0xC633_6400, 24, "a documentation address"),
            (0xCB00_7100, 24, "a documentation address"),
            (0xE000_0000, 4, "a multicast address"),
            (0xF000_0000, 4, "a reserved address (240.0.0.0/4)"),
        ]
        for (base, bits, why) in ranges where within(base, bits) { return why }
        return nil
    }

    static func reason(ipv6 b: [UInt8]) -> String? {
        let zero10 = b[0..<10].allSatisfy { $0 == 0 }
        func embedded(_ offset: Int) -> UInt32 { b[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        if b.allSatisfy({ $0 == 0 }) { return "the unspecified address" }
        if zero10 && b[10] == 0 && b[11] == 0 && b[12..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "a loopback address" }
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible): judged by the IPv4 address inside.
        if zero10 && b[10] == 0xFF && b[11] == 0xFF { return reason(ipv4: embedded(12)).map { "\($0), written as IPv6" } }
        if zero10 && b[10] == 0 && b[11] == 0 { return reason(ipv4: embedded(12)).map { "\($0), written as IPv6" } ?? "an IPv4-compatible address" }
        // ::ffff:0:a.b.c.d (IPv4-translated, RFC 2765): only stateless translators inside a network use it.
        if b[0..<8].allSatisfy({ $0 == 0 }) && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0 {
            return "an IPv4-translated address (::ffff:0:0/96)"
        }
        // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) carry an IPv4 address too.
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..<12].allSatisfy({ $0 == 0 }) {
            return reason(ipv4: embedded(12)).map { "\($0), through NAT64" }
        }
        // 64:ff9b:1::/48: NAT64 for local use (RFC 8215), a translator inside some network, whatever it embeds.
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4] == 0x00 && b[5] == 0x01 {
            return "a local-use NAT64 address (64:ff9b:1::/48)"
        }
        if b[0] == 0x01 && b[1..<8].allSatisfy({ $0 == 0 }) { return "a discard-only address (100::/64)" }
        // 2001::/32 is Teredo, which carries an obfuscated IPv4 address; 2001:20::/28 is ORCHIDv2 (not routable).
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00 { return "a Teredo address (2001::/32)" }
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] & 0xF0 == 0x20 { return "an ORCHIDv2 address (2001:20::/28)" }
        if b[0] == 0x3F && b[1] & 0xF0 == 0xF0 { return "a documentation address (3fff::/20)" }
        if b[0] == 0x20 && b[1] == 0x02 { return reason(ipv4: embedded(2)).map { "\($0), through 6to4" } }
        if b[0] & 0xFE == 0xFC { return "a unique-local address (fc00::/7)" }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return "a link-local address (fe80::/10)" }
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return "a site-local address (fec0::/10)" }
        if b[0] == 0xFF { return "a multicast address" }
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return "a documentation address" }
        return nil
    }

    /// The host's addresses by the system resolver; nil when it has none. Blocking: call it off the request threads.
    public static func systemAddresses(of host: String) -> [String]? {
        try? resolve(host).get()
    }

    /// The host's addresses (IPv4 and IPv6), by the system resolver. Blocking: call it off the request threads.
    static func resolve(_ host: String) -> Result<[String], ResolveFailure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &list)
        guard rc == 0, let first = list else { return .failure(ResolveFailure(message: String(cString: gai_strerror(rc)))) }
        defer { freeaddrinfo(list) }
        var out: [String] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let n = node {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if n.pointee.ai_family == AF_INET {
                var a = n.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
            } else if n.pointee.ai_family == AF_INET6 {
                var a = n.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
            }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !text.isEmpty && !out.contains(text) { out.append(text) }
            node = n.pointee.ai_next
        }
        return out.isEmpty ? .failure(ResolveFailure(message: "no addresses")) : .success(out)
    }

    struct ResolveFailure: Error { let message: String }
}
