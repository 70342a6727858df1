import CivicLedger
import CivicLedgerSQLite
import CivicLedgerTesting
import Foundation
import GRDB
import Testing

/// The audit's tamper battery: each test changes a real SQLite ledger file
/// behind the library's back and checks that the audit reports the change,
/// with the right code at the right first position. (Flipped bits, deleted,
/// swapped and truncated rows are in `SQLiteTamperTests`.)
@Suite("Audit tamper battery")
struct AuditTamperTests {
    /// A ledger of genesis, three enrolments and 20 events by w1, with
    /// checkpoints every 5 entries; w2 may sign only in town/south; w3 has
    /// w1's authority; r1 may only report cases.
    static func makeLedger(_ path: String) async throws -> LedgerFixture {
        var configuration = LedgerConfiguration()
        configuration.checkpointInterval = 5
        let fixture = try await LedgerFixture.make(store: try SQLiteEventStore(path: path), configuration: configuration)
        let w1 = try await fixture.enrol("w1", role: "worker", scope: "town")
        try await fixture.enrol("w2", role: "worker", scope: "town/south")
        try await fixture.enrol("w3", role: "worker", scope: "town")
        try await fixture.enrol("r1", role: "resident", scope: "town")
        for index in 0..<20 {
            _ = try await fixture.ledger.append(
                try fixture.event(by: w1, stream: "case/\(index % 3)", kind: "note", payload: Array("payload \(index)".utf8)))
        }
        _ = try await fixture.ledger.checkpoint()
        return fixture
    }

    static func audit(_ path: String, trusted: SignedCheckpoint? = nil) async throws -> AuditReport {
        try await Auditor(store: try SQLiteEventStore(path: path), trustedCheckpoint: trusted).audit()
    }

    /// Writes `event` as the next entry straight into the file, as a
    /// dishonest operator would: no rule is checked.
    static func forge(_ event: SignedEvent, into path: String) async throws -> UInt64 {
        let database = try DatabaseQueue(path: path)
        return try await database.write { db in
            let size = UInt64(try Int64.fetchOne(db, sql: "SELECT size FROM head")!)
            let version =
                UInt64(
                    try Int64.fetchOne(
                        db, sql: "SELECT COALESCE(MAX(stream_version), 0) FROM entry WHERE stream = ?", arguments: [event.content.stream])!)
                + 1
            let entry = LedgerEntry(
                position: size, recordedAt: Timestamp(millisecondsSinceEpoch: 1_767_225_600_000 + 86_400_000), streamVersion: version,
                event: event)
            try db.execute(
                sql: "INSERT INTO entry (position, stream, stream_version, place, idempotency, bytes) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    Int64(size), event.content.stream, Int64(version), event.content.place.path, Data(entry.idempotencyReference.digest),
                    Data(entry.bytes),
                ])
            try db.execute(sql: "UPDATE head SET size = ?", arguments: [Int64(size + 1)])
            return size
        }
    }

    @Test("an event validly signed by a revoked key is reported at its position, naming the actor")
    func revokedKey() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let fixture = try await Self.makeLedger(path)
        _ = try await fixture.ledger.append(
            fixture.systemEvent(
                kind: SystemEvent.Kind.revoke, payload: SystemEvent.Revoke(key: FixtureKeys.key("w1").publicKey, reason: "phone lost")))
        #expect(try await Self.audit(path).isClean)
        let position = try await Self.forge(try fixture.event(by: FixtureKeys.key("w1"), stream: "case/9", kind: "note"), into: path)
        let first = try #require(try await Self.audit(path).firstFinding)
        #expect(first.position == position)
        #expect(first.code == .keyNotValid)
        #expect(first.actor == "w1")
        #expect(first.severity == .error)
    }

    @Test("a dated-back revocation hidden from the store's stream index is still applied, and the hiding reported")
    func hiddenRevocation() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let fixture = try await Self.makeLedger(path)
        // w1 signed the 20 entries before the revocation; it was
        // compromised from position 20.
        let revocation = try await fixture.ledger.append(
            fixture.systemEvent(
                kind: SystemEvent.Kind.revoke,
                payload: SystemEvent.Revoke(key: FixtureKeys.key("w1").publicKey, effectiveFrom: 20, reason: "compromised")))
        let honest = try await Self.audit(path)
        #expect(honest.findings.map(\.position) == Array(20..<revocation.position))
        #expect(honest.findings.allSatisfy { $0.code == .keyNotValid })
        // The operator moves the revocation out of the index's system stream.
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE entry SET stream = 'case/hidden' WHERE position = ?", arguments: [Int64(revocation.position)])
        }
        let report = try await Self.audit(path)
        let hidden = try #require(report.findings.first { $0.code == .indexMismatch })
        #expect(hidden.position == revocation.position)
        #expect(hidden.severity == .critical)
        #expect(report.findings.filter { $0.code == .keyNotValid }.map(\.position) == honest.findings.map(\.position))
    }

    @Test("an event signed by a key outside its scope is reported at its position")
    func outOfScope() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let fixture = try await Self.makeLedger(path)
        let position = try await Self.forge(
            try fixture.event(by: FixtureKeys.key("w2"), stream: "case/north-1", place: "town/north", kind: "note"), into: path)
        let first = try #require(try await Self.audit(path).firstFinding)
        #expect(first.position == position)
        #expect(first.code == .notAuthorised)
        #expect(first.actor == "w2")
    }

    @Test(
        "an entry re-signed with another actor's key: at its position when that actor lacks the authority, by the checkpoint over it otherwise"
    )
    func reSigned() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        _ = try await Self.makeLedger(path)
        let database = try DatabaseQueue(path: path)
        let target: Int64 = 12
        let original = try LedgerEntry(
            bytes: Array(
                try await database.read { db in
                    try Data.fetchOne(db, sql: "SELECT bytes FROM entry WHERE position = ?", arguments: [target])!
                }))
        func reSign(by actor: String) async throws {
            var content = original.content
            content.actorKey = FixtureKeys.key(actor).publicKey
            let event = try SignedEvent(signing: content, with: FixtureKeys.key(actor))
            let entry = LedgerEntry(
                position: original.position, recordedAt: original.recordedAt, streamVersion: original.streamVersion, event: event)
            try await database.write { db in
                // A careful forger fixes the index too (otherwise the row is an index-mismatch).
                try db.execute(
                    sql: "UPDATE entry SET bytes = ?, idempotency = ? WHERE position = ?",
                    arguments: [Data(entry.bytes), Data(entry.idempotencyReference.digest), target])
            }
        }
        try await reSign(by: "r1")
        let byResident = try #require(try await Self.audit(path).firstFinding)
        #expect(byResident.position == UInt64(target))
        #expect(byResident.code == .notAuthorised)
        #expect(byResident.actor == "r1")

        try await reSign(by: "w3")
        let report = try await Self.audit(path)
        let first = try #require(report.firstFinding)
        // Valid on its own: the first checkpoint over position 12 catches
        // it, and names the positions since the last checkpoint that matched.
        let sizes = try await database.read { db in try Int64.fetchAll(db, sql: "SELECT size FROM checkpoint ORDER BY size") }
        let after = try #require(sizes.first { $0 > target })
        let before = try #require(sizes.last { $0 <= target })
        #expect(first.code == .checkpointMismatch)
        #expect(first.position == UInt64(after - 1))
        #expect(first.message.contains("positions \(before)..<\(after)"))
        #expect(first.severity == .critical)
    }

    @Test("a replaced checkpoint is reported: another root signed by the log key, or a signature by another key")
    func replacedCheckpoint() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let fixture = try await Self.makeLedger(path)
        let database = try DatabaseQueue(path: path)
        let sizes = try await database.read { db in try Int64.fetchAll(db, sql: "SELECT size FROM checkpoint ORDER BY size") }
        let size = sizes[sizes.count / 2]
        let real = try await fixture.store.checkpoints(fromSize: UInt64(size), limit: 1)[0]
        let forgedRoot = try SignedCheckpoint(
            signing: Checkpoint(origin: LedgerFixture.origin, size: UInt64(size), root: SHA256.hash(Array("another history".utf8))),
            with: fixture.logKey)
        try await database.write { db in
            try db.execute(sql: "UPDATE checkpoint SET note = ? WHERE size = ?", arguments: [forgedRoot.serialized, size])
        }
        let first = try #require(try await Self.audit(path).firstFinding)
        #expect(first.code == .checkpointMismatch)
        #expect(first.position == UInt64(size - 1))

        let parsed = try SignedCheckpoint(parsing: real.note)
        let otherKey = try SignedCheckpoint(signing: parsed.checkpoint, with: FixtureKeys.key("impostor"))
        try await database.write { db in
            try db.execute(sql: "UPDATE checkpoint SET note = ? WHERE size = ?", arguments: [otherKey.serialized, size])
        }
        let report = try await Self.audit(path)
        #expect(report.findings.map(\.code) == [.invalidCheckpoint])
        #expect(report.findings.first?.position == UInt64(size))
    }

    @Test("history rewritten and every checkpoint re-signed by the log key is clean on its own, and caught through the trusted checkpoint")
    func rewrittenHistory() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let fixture = try await Self.makeLedger(path)
        let trusted = try await fixture.ledger.checkpoint()

        // The honest ledger grows; an audit from the trusted checkpoint
        // re-verifies only the new entries and proves consistency.
        let w1 = FixtureKeys.key("w1")
        for index in 0..<7 { _ = try await fixture.ledger.append(try fixture.event(by: w1, stream: "later/\(index)", kind: "note")) }
        _ = try await fixture.ledger.checkpoint()
        let honest = try await Self.audit(path, trusted: trusted)
        #expect(honest.isClean)
        #expect(honest.signaturesChecked == 7)
        let proof = try #require(honest.consistency)
        #expect(proof.fromSize == trusted.checkpoint.size && proof.toSize == trusted.checkpoint.size + 7)
        let latest = try SignedCheckpoint(parsing: proof.toCheckpoint)
        try MerkleProof.verifyConsistency(
            size1: proof.fromSize, size2: proof.toSize, proof: proof.proof, root1: trusted.checkpoint.root, root2: latest.checkpoint.root)

        // The operator rebuilds the whole log with one entry changed, with
        // the ledger's own authority and log keys: every signature and
        // checkpoint is valid.
        let rewrittenPath = directory.path("rewritten.sqlite")
        let rewritten = try await LedgerFixture.make(
            store: try SQLiteEventStore(path: rewrittenPath),
            configuration: {
                var configuration = LedgerConfiguration()
                configuration.checkpointInterval = 5
                return configuration
            }())
        try await rewritten.enrol("w1", role: "worker", scope: "town")
        for index in 0..<30 {
            _ = try await rewritten.ledger.append(
                try rewritten.event(by: w1, stream: "case/\(index % 3)", kind: "note", payload: Array("rewritten \(index)".utf8)))
        }
        _ = try await rewritten.ledger.checkpoint()
        #expect(try await Self.audit(rewrittenPath).isClean)
        let report = try await Self.audit(rewrittenPath, trusted: trusted)
        let finding = try #require(report.findings.first { $0.code == .inconsistentHistory })
        #expect(finding.severity == .critical)
        #expect(finding.message.contains("history was rewritten"))
        #expect(report.consistency == nil)

        // A log cut below the trusted size is caught too.
        let database = try DatabaseQueue(path: path)
        try await database.write { db in try db.execute(sql: "DELETE FROM entry WHERE position >= 20") }
        let cut = try await Self.audit(path, trusted: trusted)
        #expect(cut.findings.contains { $0.code == .inconsistentHistory && $0.message.contains("entries were removed") })
    }
}
