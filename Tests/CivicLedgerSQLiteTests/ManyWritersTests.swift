import CivicLedger
import CivicLedgerSQLite
import CivicLedgerTesting
import Foundation
import Testing

/// Many ledger instances, each with its own connections, appending to one
/// SQLite file at once: a lost race is retried inside the library, so no
/// append fails, positions stay gapless and every acknowledged event is in
/// the log exactly once.
@Suite("Many writers on one SQLite file")
struct ManyWritersTests {
    @Test("8 ledger instances × 60 appends of one event: no failure, gapless, each event once, verify clean, across checkpoints")
    func instancesOnOneFile() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        var configuration = LedgerConfiguration()
        // Checkpoints every few entries, so commits cross checkpoint boundaries taken by other instances.
        configuration.checkpointInterval = 7
        let fixture = try await LedgerFixture.make(store: try SQLiteEventStore(path: path), configuration: configuration)
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let shared = configuration
        let instances = 8, appends = 60
        let signed = try (0..<instances).map { instance in
            try (0..<appends).map { index in
                let key = "i\(instance)-\(index)"
                return (key, try fixture.event(by: worker, stream: "case/\(key)", idempotencyKey: key))
            }
        }
        let receipts = try await withThrowingTaskGroup(of: [(String, AppendReceipt)].self) { group in
            for events in signed {
                group.addTask {
                    let ledger = try await Ledger.open(
                        store: try SQLiteEventStore(path: path), logSigner: FixtureKeys.key("log"), configuration: shared)
                    var receipts: [(String, AppendReceipt)] = []
                    for (key, event) in events { receipts.append((key, try await ledger.append(event))) }
                    return receipts
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(receipts.count == instances * appends)
        #expect(Set(receipts.map(\.1.position)).count == receipts.count, "no two events share a position")
        let entries = try await fixture.store.entries(from: 0, limit: 10_000)
        #expect(entries.map(\.position) == Array(0..<UInt64(entries.count)), "gapless")
        #expect(entries.count == 2 + instances * appends)
        for (key, receipt) in receipts {
            let entry = try LedgerEntry(bytes: entries[Int(receipt.position)].bytes)
            #expect(entry.content.idempotencyKey == key)
        }
        let report = try await LedgerVerifier(store: try SQLiteEventStore(path: path)).verify()
        #expect(report.isClean, "\(report)")
    }
}
