import CivicLedger
import CivicLedgerSQLite
import CivicLedgerTesting
import Foundation
import GRDB
import PropertyBased
import Testing

/// A fresh directory per test, removed afterwards.
final class TemporaryDirectory: Sendable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("civic-ledger-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

@Suite("SQLiteEventStore")
struct SQLiteStoreTests {
    @Test("passes the store conformance suite", arguments: StoreConformance.checks)
    func conformance(_ check: StoreConformance.Check) async throws {
        let directory = try TemporaryDirectory()
        try await check.run { try SQLiteEventStore(path: directory.path("\(UUID().uuidString).sqlite")) }
    }

    @Test("commits are durable: WAL with synchronous = FULL")
    func durability() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteEventStore(path: directory.path("ledger.sqlite"))
        #expect(try store.synchronousLevel() == 2)
        let mode = try DatabaseQueue(path: directory.path("ledger.sqlite")).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test("the write-ahead log is checkpointed beside the commits: the log stays bounded, the file holds the entries")
    func backgroundCheckpoints() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let store = try SQLiteEventStore(path: path)
        let fixture = try await LedgerFixture.make(store: store)
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        // 2,000 entries of 8 KiB: about 4,000 pages, four times the threshold.
        let payload = Array(repeating: UInt8(ascii: "x"), count: 8192)
        for round in 0..<250 {
            _ = try await fixture.ledger.append(
                batch: try (0..<8).map { try fixture.event(by: worker, stream: "s/\(round)-\($0)", payload: payload) })
        }
        func size(_ file: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: file)[.size]) as? NSNumber)?.intValue ?? 0 }
        // Checkpoints run on their own queue: the last one may still be going.
        let deadline = ContinuousClock.now + .seconds(10)
        while size(path) < 12 << 20, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(size(path) >= 12 << 20, "the file holds what was checkpointed: \(size(path)) bytes")
        #expect(size(path + "-wal") <= 3000 * 4096 + 65536, "the log is reused, not grown: \(size(path + "-wal")) bytes")
        let entries = await fixture.ledger.size
        try await fixture.ledger.close()
        let report = try await LedgerVerifier(store: try SQLiteEventStore(path: path)).verify()
        #expect(report.isClean && report.entries == entries && entries > 2000)
    }

    @Test("a ledger reopened from its file continues, with the same root")
    func reopenFromDisk() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let root: Digest
        do {
            let fixture = try await LedgerFixture.make(store: try SQLiteEventStore(path: path))
            let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
            _ = try await fixture.ledger.append(batch: try (0..<20).map { try fixture.event(by: worker, stream: "s/\($0 % 4)") })
            root = await fixture.ledger.root
        }
        let ledger = try await Ledger.open(store: try SQLiteEventStore(path: path), logSigner: FixtureKeys.key("log"))
        #expect(await ledger.root == root)
        #expect(await ledger.size == 22)
        let report = try await LedgerVerifier(store: ledger.store).verify()
        #expect(report.isClean)
    }

    @Test("opening a missing file without create, or a file that is not a ledger, is a clear error")
    func openErrors() throws {
        let directory = try TemporaryDirectory()
        var options = SQLiteEventStore.Options()
        options.createIfMissing = false
        let missing = #expect(throws: LedgerError.self) { try SQLiteEventStore(path: directory.path("none.sqlite"), options: options) }
        #expect(missing?.code == .notInitialised)
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: directory.path("junk.sqlite")))
        let junk = #expect(throws: LedgerError.self) { try SQLiteEventStore(path: directory.path("junk.sqlite")) }
        #expect(junk?.code == .storeFailure)
    }

    @Test("the SQLite key vault: one key per subject for every object on the file, erasure for good")
    func keyVault() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.vault")
        try await KeyVaultConformance.run { try SQLiteKeyVault(path: path) }
    }
}

@Suite("Tampering with a SQLite ledger is detected")
struct SQLiteTamperTests {
    /// A ledger of 2 + 20 entries with checkpoints every 5.
    static func makeLedger(_ path: String) async throws -> LedgerFixture {
        var configuration = LedgerConfiguration()
        configuration.checkpointInterval = 5
        let fixture = try await LedgerFixture.make(store: try SQLiteEventStore(path: path), configuration: configuration)
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        for index in 0..<20 {
            _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/\(index % 3)", payload: Array("payload \(index)".utf8)))
        }
        _ = try await fixture.ledger.checkpoint()
        return fixture
    }

    /// The entry header: version, position, recorded time, stream version.
    static let headerBytes = 1 + 8 + 8 + 8

    @Test("any single flipped bit in a stored entry is detected, at its position or within its checkpoint interval")
    func flippedEntryBit() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        _ = try await Self.makeLedger(path)
        let database = try DatabaseQueue(path: path)
        let rows = try database.read { db in try Row.fetchAll(db, sql: "SELECT position, bytes FROM entry ORDER BY position") }
        let originals = rows.map { (position: $0[0] as Int64, bytes: Array($0[1] as Data)) }
        let bits = originals.map { $0.bytes.count * 8 }.reduce(0, +)
        let checkpointSizes = try await database.read { db in try Int64.fetchAll(db, sql: "SELECT size FROM checkpoint ORDER BY size") }.map(UInt64.init)
        await propertyCheck(count: 60, input: Gen.int(in: 0..<bits)) { bit in
            var remaining = bit
            var row = 0
            while remaining >= originals[row].bytes.count * 8 {
                remaining -= originals[row].bytes.count * 8
                row += 1
            }
            var flipped = originals[row].bytes
            flipped[remaining / 8] ^= UInt8(1) << UInt8(remaining % 8)
            let (tampered, original) = (Data(flipped), originals[row])
            try await database.write { db in
                try db.execute(sql: "UPDATE entry SET bytes = ? WHERE position = ?", arguments: [tampered, original.position])
            }
            let report = try await LedgerVerifier(store: try SQLiteEventStore(path: path)).verify()
            #expect(!report.isClean, "bit \(remaining) of position \(row) flipped unnoticed")
            let first = report.firstFinding?.position ?? .max
            let byte = remaining / 8
            if (1 + 8 + 8)..<Self.headerBytes ~= byte || byte < 1 + 8 || byte >= Self.headerBytes {
                // Format version, position, stream version and everything the
                // actor signed: found at the entry itself.
                #expect(first == UInt64(row), "first finding \(String(describing: report.firstFinding)), flipped byte \(byte) of position \(row)")
            } else {
                // The recorded time is the ledger's own field; the Merkle root
                // pins it down to the entries a checkpoint covers.
                let nextCheckpoint = checkpointSizes.first { $0 > UInt64(row) } ?? .max
                #expect(first >= UInt64(row) && first < nextCheckpoint, "first finding \(String(describing: report.firstFinding)), flipped time of position \(row)")
            }
            try await database.write { db in
                try db.execute(sql: "UPDATE entry SET bytes = ? WHERE position = ?", arguments: [Data(original.bytes), original.position])
            }
        }
        #expect(try await LedgerVerifier(store: try SQLiteEventStore(path: path)).verify().isClean)
    }

    @Test("any single flipped bit in a stored checkpoint is detected")
    func flippedCheckpointBit() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        _ = try await Self.makeLedger(path)
        let database = try DatabaseQueue(path: path)
        // A checkpoint in the middle of the log.
        let row = try #require(try database.read { db in try Row.fetchOne(db, sql: "SELECT size, note FROM checkpoint ORDER BY size LIMIT 1 OFFSET 2") })
        let (size, note): (Int64, String) = (row[0], row[1])
        let bytes = Array(note.utf8)
        await propertyCheck(count: 60, input: Gen.int(in: 0..<(bytes.count * 8))) { bit in
            var flipped = bytes
            flipped[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            let tampered = String(decoding: flipped, as: UTF8.self)
            try await database.write { db in
                try db.execute(sql: "UPDATE checkpoint SET note = ? WHERE size = ?", arguments: [tampered, size])
            }
            let report = try await LedgerVerifier(store: try SQLiteEventStore(path: path)).verify()
            #expect(!report.isClean, "bit \(bit) of the checkpoint flipped unnoticed")
        }
    }

    @Test("a deleted row, swapped rows and a truncated tail are found at the right position")
    func structuralTampering() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        _ = try await Self.makeLedger(path)
        let database = try DatabaseQueue(path: path)
        try await database.write { db in try db.execute(sql: "CREATE TABLE entry_backup AS SELECT * FROM entry") }
        func restore() async throws {
            try await database.write { db in
                try db.execute(sql: "DELETE FROM entry")
                try db.execute(sql: "INSERT INTO entry SELECT * FROM entry_backup")
            }
        }
        func firstFinding() async throws -> VerificationFinding? {
            try await LedgerVerifier(store: try SQLiteEventStore(path: path)).verify().firstFinding
        }

        try await database.write { db in try db.execute(sql: "DELETE FROM entry WHERE position = 9") }
        #expect(try await firstFinding()?.position == 9)
        #expect(try await firstFinding()?.code == .gap)
        try await restore()

        try await database.write { db in
            let a = try Data.fetchOne(db, sql: "SELECT bytes FROM entry WHERE position = 6")!
            let b = try Data.fetchOne(db, sql: "SELECT bytes FROM entry WHERE position = 7")!
            try db.execute(sql: "UPDATE entry SET bytes = ? WHERE position = 6", arguments: [b])
            try db.execute(sql: "UPDATE entry SET bytes = ? WHERE position = 7", arguments: [a])
        }
        #expect(try await firstFinding()?.position == 6)
        try await restore()

        try await database.write { db in try db.execute(sql: "DELETE FROM entry WHERE position >= 15") }
        let truncated = try await firstFinding()
        #expect(truncated?.position == 15)
        try await restore()
        #expect(try await firstFinding() == nil)
    }
}
