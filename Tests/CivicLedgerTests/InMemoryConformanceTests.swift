import CivicLedger
import CivicLedgerTesting
import Testing

@Suite("InMemoryEventStore passes the store conformance suite")
struct InMemoryConformanceTests {
    @Test(arguments: StoreConformance.checks)
    func conformance(_ check: StoreConformance.Check) async throws {
        try await check.run { InMemoryEventStore() }
    }
}
