import Foundation

/// A throwaway CA and a certificate for `localhost`/127.0.0.1 (and `rebind.test`, `bücher.test` for the DNS-pinning
/// tests, whose resolver the test controls) signed by it, made once per test process with the `openssl` command by
/// the fakes' own recipe (`Tests/fakes/tls.py`, which the browser tests use too). The fakes serve its certificate;
/// only tests trust this CA (`--outbound-ca-file`).
public enum TestCA {
    public struct Files: Sendable {
        public let directory: String
        public var caCertificate: String { directory + "/ca.pem" }
        public var serverCertificate: String { directory + "/server.pem" }
        public var serverKey: String { directory + "/server.key" }
        /// An RSA key for test service accounts (PKCS#8 PEM).
        public var serviceAccountKey: String { directory + "/sa.key" }
    }

    public static let files: Files = {
        let dir = NSTemporaryDirectory() + "sb-test-ca-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let recipe = Paths.repoRoot.appendingPathComponent("Tests/fakes/tls.py").path
        let result = try? shell("python3 -B '\(recipe)' '\(dir)'")
        precondition(result?.status == 0, "openssl could not make the test CA: \(result?.output ?? "")")
        return Files(directory: dir)
    }()
}
