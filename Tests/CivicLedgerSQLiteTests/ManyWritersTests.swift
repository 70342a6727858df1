import CivicLedger
import CivicLedgerSQLite
import CivicLedgerTesting
import Foundation
import Testing

/// Many ledger instances, each with its own connections, appending to one
/// SQLite file at once (``ManyWriters``): a lost race is retried inside
/// the library, so no append fails, positions stay gapless and every
/// acknowledged event is in the log exactly once.
@Suite("Many writers on one SQLite file")
struct ManyWritersTests {
    @Test("8 ledger instances × 60 appends, own and shared streams: no failure, gapless, each event once, one root per checkpoint size, verify clean")
    func instancesOnOneFile() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        try await ManyWriters.run(instances: 8, appendsPerInstance: 60) { try SQLiteEventStore(path: path) }
    }
}
