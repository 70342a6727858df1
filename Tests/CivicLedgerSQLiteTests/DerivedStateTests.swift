import CivicLedger
import CivicLedgerSQLite
import CivicLedgerTesting
import Foundation
import GRDB
import Testing

/// Derived state edited in the SQLite file — index columns, the head —
/// and entries removed or changed: the ledger checks before it relies on
/// any of it, verify names the row, repair rebuilds it from the entries,
/// and the log key never signs a root it did not compute from entry bytes.
@Suite("Derived state is checked against the entries")
struct DerivedStateTests {
    /// The tamper battery's ledger in a directory of its own.
    static func makeLedger() async throws -> (TemporaryDirectory, String, LedgerFixture) {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        return (directory, path, try await AuditTamperTests.makeLedger(path))
    }

    static func open(_ path: String) async throws -> Ledger {
        try await Ledger.open(store: try SQLiteEventStore(path: path), logSigner: FixtureKeys.key("log"))
    }

    static func verify(_ path: String) async throws -> AuditReport {
        try await LedgerVerifier(store: try SQLiteEventStore(path: path)).verify()
    }

    static func repair(_ path: String) async throws -> LedgerRepair.Report {
        try await LedgerRepair(store: try SQLiteEventStore(path: path)).run()
    }

    /// Flips the lowest bit of byte `offset` (negative: from the end) of a blob.
    static func flip(_ path: String, table: String, column: String, row: String, at offset: Int) async throws {
        let database = try DatabaseQueue(path: path)
        try await database.write { db in
            var bytes = Array(try Data.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE \(row)")!)
            let index = offset >= 0 ? offset : bytes.count + offset
            bytes[index] ^= 1
            try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE \(row)", arguments: [Data(bytes)])
        }
    }

    static func execute(_ path: String, _ sql: String, _ arguments: StatementArguments = []) async throws {
        let database = try DatabaseQueue(path: path)
        try await database.write { try $0.execute(sql: sql, arguments: arguments) }
    }

    @Test("an edited stream_version: the next append to that stream is refused, verify names the row, repair fixes it")
    func streamVersionEdited() async throws {
        let (directory, path, fixture) = try await Self.makeLedger()
        defer { withExtendedLifetime(directory) {} }
        // Ten more entries on another stream: the row below is long checkpointed, so only the lookup can see it.
        for _ in 0..<10 { _ = try await fixture.ledger.append(try fixture.event(by: FixtureKeys.key("w1"), stream: "case/other", kind: "note")) }
        // case/0's last entry (position 23, version 7) claims version 9 in the index.
        try await Self.execute(path, "UPDATE entry SET stream_version = 9 WHERE position = 23")
        let ledger = try await Self.open(path)
        let event = try fixture.event(by: FixtureKeys.key("w1"), stream: "case/0", kind: "note")
        let refused = await #expect(throws: LedgerError.self) { try await ledger.append(event) }
        #expect(refused?.code == .indexMismatch)
        #expect(await ledger.size == 35, "nothing was written")

        let report = try await Self.verify(path)
        let finding = try #require(report.findings.first { $0.code == .indexMismatch })
        #expect(finding.position == 23)
        #expect(finding.message.contains("stream_version"))

        let repaired = try await Self.repair(path)
        #expect(repaired.rewrittenRows.map(\.position) == [23])
        #expect(repaired.rewrittenRows.first?.columns == ["stream_version"])
        #expect(repaired.verification.isClean)
        let receipt = try await Self.open(path).append(event)
        #expect(receipt.streamVersion == 8)
        #expect(try await Self.verify(path).isClean)
    }

    @Test("an edited idempotency column: verify names the row; after repair a retry is recognised, not appended again")
    func idempotencyEdited() async throws {
        let (directory, path, fixture) = try await Self.makeLedger()
        defer { withExtendedLifetime(directory) {} }
        let event = try fixture.event(by: FixtureKeys.key("w1"), stream: "case/x", kind: "note", idempotencyKey: "retry-me")
        let first = try await fixture.ledger.append(event)
        try await Self.execute(path, "UPDATE entry SET idempotency = ? WHERE position = ?", [Data(repeating: 7, count: 16), Int64(first.position)])

        let report = try await Self.verify(path)
        let finding = try #require(report.findings.first { $0.code == .indexMismatch })
        #expect(finding.position == first.position)
        #expect(finding.message.contains("idempotency"))

        let repaired = try await Self.repair(path)
        #expect(repaired.rewrittenRows.map(\.position) == [first.position])
        let retry = try await Self.open(path).append(event)
        #expect(retry.isDuplicate)
        #expect(retry.position == first.position)
    }

    @Test("a misdirected idempotency row is caught at the retry, not trusted")
    func idempotencyMisdirected() async throws {
        let (directory, path, fixture) = try await Self.makeLedger()
        defer { withExtendedLifetime(directory) {} }
        let event = try fixture.event(by: FixtureKeys.key("w1"), stream: "case/x", kind: "note", idempotencyKey: "retry-me")
        let first = try await fixture.ledger.append(event)
        // Ten more entries: the rows below are long checkpointed, so only the lookup can see them.
        for _ in 0..<10 { _ = try await fixture.ledger.append(try fixture.event(by: FixtureKeys.key("w1"), stream: "case/other", kind: "note")) }
        let digest = IdempotencyReference(actorKey: event.content.actorKey, key: "retry-me").digest
        try await Self.execute(path, "UPDATE entry SET idempotency = ? WHERE position = ?", [Data(repeating: 1, count: 16), Int64(first.position)])
        try await Self.execute(path, "UPDATE entry SET idempotency = ? WHERE position = 10", [Data(digest)])
        var configuration = LedgerConfiguration()
        configuration.checkpointInterval = 5
        let ledger = try await Ledger.open(store: try SQLiteEventStore(path: path), logSigner: FixtureKeys.key("log"), configuration: configuration)
        // A retry with an expected version looks the key up in the store.
        let retry = try fixture.event(
            by: FixtureKeys.key("w1"), stream: "case/x", kind: "note", expectedVersion: .exactly(0), idempotencyKey: "retry-me")
        let refused = await #expect(throws: LedgerError.self) { try await ledger.append(retry) }
        #expect(refused?.code == .indexMismatch || refused?.code == .idempotencyConflict)
    }

    @Test("one byte of head.state changed: the ledger does not open for appends or sign; verify blames the head; repair fixes it")
    func headEdited() async throws {
        let (directory, path, fixture) = try await Self.makeLedger()
        defer { withExtendedLifetime(directory) {} }
        let event = try fixture.event(by: FixtureKeys.key("w1"), stream: "case/0", kind: "note")
        _ = try await fixture.ledger.append(event)
        let latest = try #require(try await fixture.store.latestCheckpoint())
        // A byte of the frontier (the head's checkpoint frontier follows it).
        try await Self.flip(path, table: "head", column: "state", row: "id = 1", at: 30)
        let error = await #expect(throws: LedgerError.self) { try await Self.open(path) }
        #expect(error?.code == .headMismatch)
        // What to do is a remedy each program words itself; the library names no tool.
        #expect(error?.remedy != nil)
        #expect(error?.message.contains("civic-ledger") == false, "\(error?.message ?? "")")
        #expect(try await SQLiteEventStore(path: path).latestCheckpoint() == latest, "no checkpoint was signed")

        let report = try await Self.verify(path)
        #expect(report.findings.map(\.code).contains(.headMismatch))
        #expect(!report.findings.map(\.code).contains(.checkpointMismatch), "no entry is blamed")

        let repaired = try await Self.repair(path)
        #expect(repaired.rewroteHead)
        #expect(repaired.verification.isClean)
        let ledger = try await Self.open(path)
        _ = try await ledger.append(try fixture.event(by: FixtureKeys.key("w1"), stream: "case/0", kind: "note"))
        _ = try await ledger.checkpoint()
        #expect(try await Self.verify(path).isClean)
    }

    @Test("an entry changed after the last checkpoint the head names: the ledger refuses to open for appends")
    func recentEntryEdited() async throws {
        let (directory, path, fixture) = try await Self.makeLedger()
        defer { withExtendedLifetime(directory) {} }
        let receipt = try await fixture.ledger.append(try fixture.event(by: FixtureKeys.key("w1"), stream: "case/0", kind: "note"))
        // The last byte is the signature's: the entry still decodes.
        try await Self.flip(path, table: "entry", column: "bytes", row: "position = \(receipt.position)", at: -1)
        let error = await #expect(throws: LedgerError.self) { try await Self.open(path) }
        #expect(error?.code == .headMismatch || error?.code == .checkpointMismatch)
    }

    @Test("entry 1 deleted: open says an entry was removed, not that a key is unknown; repair refuses to invent it")
    func entryDeleted() async throws {
        let (directory, path, _) = try await Self.makeLedger()
        defer { withExtendedLifetime(directory) {} }
        try await Self.execute(path, "DELETE FROM entry WHERE position = 1")
        let error = await #expect(throws: LedgerError.self) { try await Self.open(path) }
        #expect(error?.code == .gap)
        #expect(error?.message.contains("removed") == true)
        let refused = await #expect(throws: LedgerError.self) { try await Self.repair(path) }
        #expect(refused?.code == .gap)
        #expect(refused?.message.contains("backup") == true)
    }

    @Test("repair of an intact ledger changes nothing")
    func repairIntact() async throws {
        let (directory, path, _) = try await Self.makeLedger()
        defer { withExtendedLifetime(directory) {} }
        let before = try await SQLiteEventStore(path: path).head()
        let repaired = try await Self.repair(path)
        #expect(repaired.rewrittenRows.isEmpty)
        #expect(repaired.verification.isClean)
        // The head may be upgraded to name its checkpoint, never changed in what it covers.
        let after = try await SQLiteEventStore(path: path).head()
        #expect(after?.size == before?.size)
    }

    @Test("a head that names an earlier checkpoint than the latest (one signed after the commit) is left alone by repair")
    func repairKeepsHeadNamingEarlierCheckpoint() async throws {
        let (directory, path, fixture) = try await Self.makeLedger()
        defer { withExtendedLifetime(directory) {} }
        let worker = FixtureKeys.key("w1")
        _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/late"))
        // Signed outside a commit, as a closing ledger or another instance does.
        _ = try await fixture.ledger.checkpoint()
        let before = try await SQLiteEventStore(path: path).head()
        let repaired = try await Self.repair(path)
        #expect(!repaired.rewroteHead, "an equivalent head was rewritten")
        #expect(repaired.verification.isClean)
        #expect(try await SQLiteEventStore(path: path).head() == before)
    }
}

@Suite("A forged enrolment two readers could read differently")
struct ParserDifferentialTests {
    @Test("an authority-signed enrolment with a duplicate member, written into the file, is reported by the audit and shown as bytes")
    func forgedDuplicateMember() async throws {
        let (directory, path, fixture) = try await DerivedStateTests.makeLedger()
        defer { withExtendedLifetime(directory) {} }
        let payload = Array(#"{"actor":"c","actor":"c2","key":"\#(FixtureKeys.key("c").publicKey.base64)","role":"worker","scope":"town"}"#.utf8)
        let event = try SignedEvent(
            signing: EventContent(
                origin: LedgerFixture.origin, stream: SystemEvent.stream, place: "*", expectedVersion: .any, kind: SystemEvent.Kind.enrol,
                payload: payload, actorKey: fixture.authority.publicKey, clientTime: fixture.clock.now(), idempotencyKey: "forged"),
            with: fixture.authority)
        let position = try await AuditTamperTests.forge(event, into: path)
        let report = try await AuditTamperTests.audit(path)
        let finding = try #require(report.findings.first { $0.position == position && $0.code == .invalidSystemEvent })
        #expect(finding.message.contains("appears twice"))
        let stored = try #require(try await SQLiteEventStore(path: path).entries(from: position, limit: 1).first)
        let shown = LedgerExport.view(of: try LedgerEntry(bytes: stored.bytes))
        let view = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])
        #expect(view["payload"] == nil, "no reading of the two is shown as the payload")
        #expect(view["payloadBase64"] as? String == payload.base64String)
    }
}
