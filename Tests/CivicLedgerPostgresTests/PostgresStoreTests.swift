#if PostgreSQL
import CivicLedger
import CivicLedgerPostgres
import CivicLedgerTesting
import Foundation
import Testing

/// The PostgreSQL store against a real server: the URL in
/// `CIVIC_LEDGER_TEST_POSTGRES_URL` (`make test` starts a throwaway
/// cluster and sets it). Each check gets a schema of its own.
let postgresURL = ProcessInfo.processInfo.environment["CIVIC_LEDGER_TEST_POSTGRES_URL"]

@Suite("PostgresEventStore", .enabled(if: postgresURL != nil, "set CIVIC_LEDGER_TEST_POSTGRES_URL (make test starts a cluster)"))
struct PostgresStoreTests {
    static let url = postgresURL

    static func store() async throws -> PostgresEventStore {
        try await PostgresEventStore(url: try #require(url), schema: "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
    }

    @Test("passes the store conformance suite", arguments: StoreConformance.checks)
    func conformance(_ check: StoreConformance.Check) async throws {
        try await check.run { try await Self.store() }
    }
}
#endif
