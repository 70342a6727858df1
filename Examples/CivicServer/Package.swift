// swift-tools-version: 6.1
//
// CivicServer: a Hummingbird service that embeds CivicLedger, as the proof
// that the library is a component a service runs. A package of its own, so
// that the library's users never build SwiftNIO for it; `make test` builds
// and tests it, `make serve` runs it on the demo ledger.

import PackageDescription

let package = Package(
    name: "CivicServer",
    platforms: [.macOS(.v15)],
    dependencies: [
        // With the PostgreSQL trait (the default): the service runs on a
        // SQLite file or a PostgreSQL ledger, as --db says.
        .package(name: "CivicLedger", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "CivicServer",
            dependencies: [
                .product(name: "CivicLedger", package: "CivicLedger"),
                .product(name: "CivicGovernance", package: "CivicLedger"),
                .product(name: "CivicReporting", package: "CivicLedger"),
                .product(name: "CivicLedgerSQLite", package: "CivicLedger"),
                .product(name: "CivicLedgerPostgres", package: "CivicLedger"),
                .product(name: "CivicWitnessHTTP", package: "CivicLedger"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        )
    ]
)
