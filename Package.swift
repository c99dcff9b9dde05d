// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Outbound calls to provider APIs: HTTP/1.1 and TLS on NIO.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // C libraries, each behind one system-library target.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // FastCGI over libfcgi; knows nothing about Switchboard. The only importer of CFastCGI.
        .target(
            name: "FastCGI",
            dependencies: [
                "CFastCGI",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The application, transport-free: HTTP layer, storage, auth, and later the domain.
        .target(
            name: "SwitchboardKit",
            dependencies: [
                "COpenSSL",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            // The shipped provider catalog, Catwalk's JSON format, one file per provider.
            resources: [.copy("Catalog/Providers")]
        ),

        // The executable: `serve`, `token create|list|revoke`.
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "SwitchboardKit",
                "FastCGI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                // `switchboard auth pair`: talks to the server and the provider's token endpoint.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),

        // Test helpers that speak real protocols: a FastCGI client and recording listener, a raw HTTP client,
        // and the harness that starts the real binary behind real nginx.
        .target(
            name: "TestSupport",
            dependencies: [
                "COpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "SwitchboardKitTests",
            dependencies: ["SwitchboardKit", "TestSupport", .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "FastCGITests",
            dependencies: ["FastCGI", "TestSupport"]
        ),
        // Starts the real `switchboard` binary behind real nginx on loopback.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["switchboard", "FastCGI", "SwitchboardKit", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
