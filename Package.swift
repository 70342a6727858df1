// swift-tools-version: 6.1
//
// CivicLedger: an actor-signed, append-only governance ledger.
// See README.md for the quick start and docs/architecture.md for the layout.

import PackageDescription

let package = Package(
    name: "CivicLedger",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CivicLedger", targets: ["CivicLedger"]),
        .library(name: "CivicGovernance", targets: ["CivicGovernance"]),
        .library(name: "CivicReporting", targets: ["CivicReporting"]),
        .library(name: "CivicLinks", targets: ["CivicLinks"]),
        .library(name: "CivicSimulator", targets: ["CivicSimulator"]),
        .library(name: "CivicLedgerSQLite", targets: ["CivicLedgerSQLite"]),
        .library(name: "CivicLedgerPostgres", targets: ["CivicLedgerPostgres"]),
        .library(name: "CivicLedgerTesting", targets: ["CivicLedgerTesting"]),
        .library(name: "CivicWitnessHTTP", targets: ["CivicWitnessHTTP"]),
        .executable(name: "civic-ledger", targets: ["civic-ledger"]),
    ],
    // PostgreSQL (CivicLedgerPostgres, on postgres-nio and so SwiftNIO) and
    // WitnessHTTP (CivicWitnessHTTP, on SwiftNIO) are traits, on by default:
    // a package that depends on this one with `traits: []` uses SQLite alone
    // and never resolves or builds SwiftNIO.
    traits: [
        .trait(name: "PostgreSQL", description: "The PostgreSQL store, CivicLedgerPostgres (postgres-nio, SwiftNIO)."),
        .trait(name: "WitnessHTTP", description: "The C2SP tlog-witness HTTP server and client, CivicWitnessHTTP (SwiftNIO)."),
        .default(enabledTraits: ["PostgreSQL", "WitnessHTTP"]),
    ],
    // Ranges from the versions tested, so that an embedder on a newer minor
    // release of GRDB, SwiftNIO or postgres-nio still resolves.
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        .target(
            name: "CivicLedger",
            dependencies: [
                "CSodium",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CivicGovernance",
            dependencies: ["CivicLedger"]
        ),
        .target(
            name: "CivicReporting",
            dependencies: ["CivicLedger", "CivicGovernance"]
        ),
        // Ledgers linked across levels (a street over its communities):
        // reads other ledgers, writes only to its own.
        .target(
            name: "CivicLinks",
            dependencies: ["CivicLedger"]
        ),
        .target(
            name: "CivicSimulator",
            dependencies: ["CivicLedger", "CivicGovernance"]
        ),
        .target(
            name: "CivicLedgerSQLite",
            dependencies: [
                "CivicLedger",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "CivicLedgerPostgres",
            dependencies: [
                "CivicLedger",
                "CivicLedgerSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
            ]
        ),
        .target(
            name: "CivicWitnessHTTP",
            dependencies: [
                "CivicLedger",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["WitnessHTTP"])),
                .product(name: "NIOPosix", package: "swift-nio", condition: .when(traits: ["WitnessHTTP"])),
                .product(name: "NIOHTTP1", package: "swift-nio", condition: .when(traits: ["WitnessHTTP"])),
            ]
        ),
        .target(
            name: "CivicLedgerTesting",
            dependencies: ["CivicLedger"]
        ),
        .executableTarget(
            name: "civic-ledger",
            dependencies: [
                "CivicLedger",
                "CivicGovernance",
                "CivicReporting",
                "CivicSimulator",
                "CivicLedgerSQLite",
                "CivicLedgerPostgres",
                "CivicWitnessHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "CivicLedgerTests",
            dependencies: [
                "CivicLedger",
                "CivicLedgerTesting",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Vectors")]
        ),
        .testTarget(
            name: "CivicGovernanceTests",
            dependencies: [
                "CivicLedger",
                "CivicGovernance",
                "CivicReporting",
                "CivicSimulator",
                "CivicLedgerTesting",
                "CivicLedgerSQLite",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Read from the source tree by the snapshot tests (#filePath).
            exclude: ["__Snapshots__"]
        ),
        .testTarget(
            name: "CivicLedgerSQLiteTests",
            dependencies: [
                "CivicLedger",
                "CivicLedgerSQLite",
                "CivicLedgerTesting",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "CivicLedgerPostgresTests",
            dependencies: [
                "CivicLedger", "CivicLedgerPostgres", "CivicLedgerTesting",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
            ]
        ),
        .testTarget(
            name: "CivicLinksTests",
            dependencies: ["CivicLinks", "CivicLedger", "CivicLedgerTesting"]
        ),
        .testTarget(
            name: "CivicLedgerCLITests",
            dependencies: [
                "civic-ledger", "CivicLedger", "CivicLedgerTesting", "CivicWitnessHTTP", .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)

// Strict, explicit code in every target (the swift-log habit: one loop).
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
