// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        // For bench/micro (issue 15's in-process decision benchmark), a package of its own.
        .library(name: "Routing", targets: ["Routing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
    ],
    targets: [
        // C libraries, each behind one system-library target.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Outbound HTTP: Debian's libcurl, built on the same system OpenSSL.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // FastCGI over libfcgi; knows nothing about Switchboard. The only importer of CFastCGI.
        .target(
            name: "FastCGI",
            dependencies: [
                "CFastCGI",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The application, one target per layer, lowest first. The dependency lists are the README's
        // "may import" table; `LayeringTests` fails when a file imports what its row does not allow
        // (SwiftPM would let a target import any module it depends on transitively).

        // Shared values with no dependency of ours: JSON value, reader and encoder, field errors,
        // connection-test results, locks, the JSON-lines log handler.
        .target(
            name: "Core",
            dependencies: [.product(name: "Logging", package: "swift-log")]
        ),
        // OpenSSL: the only importer of COpenSSL.
        .target(name: "Cryptography", dependencies: ["COpenSSL", "Core"]),
        // The database and the files beside it: the only importer of GRDB.
        .target(
            name: "Storage",
            dependencies: ["Core", "Cryptography", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The one way out to provider APIs, on libcurl's multi interface: the only importer of CCurl.
        .target(name: "Outbound", dependencies: ["CCurl", "Core"]),

        // Metrics for `GET /api/metrics`: one registry per application (never swift-metrics' process-wide
        // bootstrap), made through swift-metrics' API on swift-prometheus' factory. The only importer of both.
        .target(
            name: "Telemetry",
            dependencies: [
                "Core",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // The domain: knows nothing about HTTP.
        .target(name: "Settings", dependencies: ["Core", "Storage"]),
        .target(
            name: "Catalog",
            dependencies: ["Core", "Settings", "Storage"],
            // The shipped provider catalog, Catwalk's JSON format, one file per provider.
            resources: [.copy("Providers")]
        ),
        .target(name: "Auth", dependencies: ["Core", "Cryptography", "Storage"]),
        .target(name: "Vault", dependencies: ["Catalog", "Core", "Cryptography", "Outbound", "Storage"]),
        // Accounts, the provider families that test them and OAuth: one target, because they call each other
        // (an OAuth account's test renews its token; a sign-in creates an account and tests it).
        .target(
            name: "Accounts",
            dependencies: [
                "Auth", "Catalog", "Core", "Cryptography", "Outbound", "Settings", "Storage", "Telemetry", "Vault",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Routing's decisions, pure and on an explicit clock: the cooldown ledger, the candidates and their order,
        // pins, quotas. Knows nothing about storage or accounts (the micro-benchmark builds only this).
        .target(name: "Routing", dependencies: ["Core"]),
        // Answers agent runtimes: builds routing's view from accounts, catalog and settings, keeps it in step with
        // the store (several processes), hands out credentials, records outcomes.
        .target(name: "Dispatcher", dependencies: ["Accounts", "Catalog", "Core", "LocalTools", "Routing", "Settings", "Storage"]),
        // The one way out to local programs: fixed argv, no shell, allow-listed environment, time limit, output
        // cap, pseudo-terminal. The only importer of swift-subprocess.
        .target(name: "Processes", dependencies: ["Core", .product(name: "Subprocess", package: "swift-subprocess")]),
        // Provider CLIs: detection and versions, accounts with their own homes, typed model parameters, sign-ins
        // relayed from the CLI, model selections and the command a runtime runs.
        .target(
            name: "LocalTools",
            dependencies: ["Accounts", "Core", "Cryptography", "Processes", "Storage"],
            resources: [.copy("Data")]
        ),
        .target(name: "Pairing", dependencies: ["Accounts", "Auth", "Core", "Cryptography", "Storage", "Vault"]),

        // HTTP: request, response, router, problems, one controller per resource. The only place that
        // knows statuses and HTTPTypes (with the app that wires it).
        .target(
            name: "API",
            dependencies: [
                "Accounts", "Auth", "Catalog", "Core", "Cryptography", "Dispatcher", "LocalTools", "Pairing", "Routing", "Settings", "Storage", "Telemetry",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // The whole app behind `Application.respond(to:)`: builds every service and wires them.
        .target(
            name: "App",
            dependencies: [
                "API", "Accounts", "Auth", "Catalog", "Core", "Dispatcher", "LocalTools", "Outbound", "Pairing", "Routing", "Settings", "Storage", "Telemetry", "Vault",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The executable: `serve`, `token`, `keys`, `audit`, `auth pair`.
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "App",
                "FastCGI",
                "LocalTools",
                "Routing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),

        // Test helpers that speak real protocols: a FastCGI client and recording listener, a raw HTTP client,
        // the harness that starts the real binary behind real nginx, and the handles of the fakes in Tests/fakes
        // (Python on the system OpenSSL, run as processes). COpenSSL: the fake OAuth server's S256 check.
        .target(
            name: "TestSupport",
            dependencies: ["COpenSSL"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "SwitchboardKitTests",
            dependencies: ["App", "Dispatcher", "LocalTools", "Processes", "Routing", "Telemetry", "TestSupport", .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "FastCGITests",
            dependencies: ["FastCGI", "TestSupport"]
        ),
        // Starts the real `switchboard` binary behind real nginx on loopback.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["switchboard", "FastCGI", "App", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
