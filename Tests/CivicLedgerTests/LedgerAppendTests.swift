import CivicLedger
import CivicLedgerTesting
import PropertyBased
import Testing

@Suite("Appending: signatures, authority, streams, idempotency")
struct LedgerAppendTests {
    @Test("an appended event reads back exactly, at the next position")
    func appendAndRead() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let event = try fixture.event(by: worker, stream: "case/1", expectedVersion: .exactly(0))
        let receipt = try await fixture.ledger.append(event)
        #expect(receipt.position == 2)
        #expect(receipt.streamVersion == 1)
        #expect(!receipt.isDuplicate)
        let read = try await fixture.ledger.entries(from: 2, limit: 10)
        #expect(read.count == 1)
        #expect(read[0].event.body == event.body)
        #expect(read[0].event.signature == event.signature)
        #expect(read[0].leafHash == receipt.leafHash)
        #expect(try await fixture.ledger.entries(inStream: "case/1", limit: 5).map(\.position) == [2])
    }

    @Test("a retry with the same idempotency key returns the original and writes nothing")
    func idempotentRetry() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let event = try fixture.event(by: worker, stream: "case/1", idempotencyKey: "tap-1")
        let first = try await fixture.ledger.append(event)
        let again = try await fixture.ledger.append(event)
        #expect(again.isDuplicate)
        #expect(again.position == first.position)
        #expect(again.leafHash == first.leafHash)
        #expect(await fixture.ledger.size == 3)
    }

    @Test("the same idempotency key with other content is a conflict")
    func idempotencyConflict() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/1", idempotencyKey: "tap-1"))
        let other = try fixture.event(by: worker, stream: "case/2", idempotencyKey: "tap-1")
        let error = await #expect(throws: LedgerError.self) { try await fixture.ledger.append(other) }
        #expect(error?.code == .idempotencyConflict)
        #expect(error?.position == 2)
        #expect(await fixture.ledger.size == 3)
    }

    @Test("idempotent retries never duplicate, whatever the mix of retries")
    func retriesNeverDuplicate() async {
        await propertyCheck(count: 20, input: Gen.int(in: 0...5).array(of: 1...30)) { picks in
            let fixture = try await LedgerFixture.make()
            let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
            let events = try (0...5).map { try fixture.event(by: worker, stream: "case/\($0)", idempotencyKey: "key-\($0)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for pick in picks { group.addTask { _ = try await fixture.ledger.append(events[pick]) } }
                try await group.waitForAll()
            }
            let size = await fixture.ledger.size
            #expect(size == 2 + UInt64(Set(picks).count))
        }
    }

    @Test("a wrong expected version is a conflict naming both versions")
    func expectedVersionConflict() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/1", expectedVersion: .exactly(0)))
        let stale = try fixture.event(by: worker, stream: "case/1", expectedVersion: .exactly(0))
        let error = await #expect(throws: LedgerError.self) { try await fixture.ledger.append(stale) }
        #expect(error?.code == .streamVersionConflict)
        #expect(error?.message.contains("at version 1") == true)
        #expect(error?.message.contains("expects version 0") == true)
        #expect(error?.stream == "case/1")
    }

    @Test("a stream keeps the place of its first event")
    func placeMismatch() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/1", place: "town/north"))
        let moved = try fixture.event(by: worker, stream: "case/1", place: "town/south")
        let error = await #expect(throws: LedgerError.self) { try await fixture.ledger.append(moved) }
        #expect(error?.code == .placeMismatch)
    }

    enum Refusal: String, CaseIterable, Sendable {
        case unknownKey, kindNotGranted, outOfScope, wrongOrigin, badSignature, systemKindByActor, domainKindOnLedgerStream
    }

    @Test("events without authority are refused, and nothing is written", arguments: Refusal.allCases)
    func refusals(_ refusal: Refusal) async throws {
        let fixture = try await LedgerFixture.make()
        let resident = try await fixture.enrol("r1", role: "resident", scope: "town/north")
        let stranger = FixtureKeys.key("stranger")
        let event: SignedEvent
        let code: LedgerError.Code
        switch refusal {
        case .unknownKey:
            event = try fixture.event(by: stranger, stream: "case/1")
            code = .unknownKey
        case .kindNotGranted:
            event = try fixture.event(by: resident, stream: "case/1", kind: "case.close")
            code = .notAuthorised
        case .outOfScope:
            event = try fixture.event(by: resident, stream: "case/1", place: "town/south")
            code = .notAuthorised
        case .wrongOrigin:
            event = try SignedEvent(
                signing: EventContent(
                    origin: "elsewhere", stream: "case/1", place: "town/north", expectedVersion: .any, kind: "case.report",
                    payload: [], actorKey: resident.publicKey, clientTime: fixture.clock.now(), idempotencyKey: "x"),
                with: resident)
            code = .wrongOrigin
        case .badSignature:
            let good = try fixture.event(by: resident, stream: "case/1")
            let other = try fixture.event(by: resident, stream: "case/2")
            event = try SignedEvent(body: good.body, signature: other.signature)
            code = .invalidSignature
        case .systemKindByActor:
            event = try SignedEvent(
                signing: SystemEvent.content(
                    origin: LedgerFixture.origin, kind: SystemEvent.Kind.setPermissions,
                    payload: SystemEvent.SetPermissions(permissions: try PermissionTable(["resident": ["*"]])),
                    actorKey: resident.publicKey, clientTime: fixture.clock.now(), idempotencyKey: "x"),
                with: resident)
            code = .notAuthorised
        case .domainKindOnLedgerStream:
            event = try fixture.event(by: resident, stream: "ledger")
            code = .invalidSystemEvent
        }
        let error = await #expect(throws: LedgerError.self) { try await fixture.ledger.append(event) }
        #expect(error?.code == code, "\(refusal): \(String(describing: error))")
        #expect(await fixture.ledger.size == 2)
        #expect(try await fixture.store.entries(from: 0, limit: 10).count == 2)
    }

    @Test("an atomic batch with one bad event writes nothing")
    func atomicBatch() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let good = try (0..<5).map { try fixture.event(by: worker, stream: "case/\($0)") }
        let bad = try fixture.event(by: worker, stream: "case/9", kind: "points.award")
        let error = await #expect(throws: LedgerError.self) { try await fixture.ledger.append(batch: good + [bad] + good) }
        #expect(error?.code == .notAuthorised)
        #expect(error?.message.hasPrefix("event 5 of the batch: ") == true)
        #expect(error?.position == nil)
        #expect(await fixture.ledger.size == 2)
        let receipts = try await fixture.ledger.append(batch: good)
        #expect(receipts.map(\.position) == [2, 3, 4, 5, 6])
    }

    @Test("positions stay gapless under concurrent appenders")
    func concurrentAppendersGapless() async {
        await propertyCheck(count: 10, input: Gen.int(in: 1...24), Gen.int(in: 1...20)) { appenders, perAppender in
            let fixture = try await LedgerFixture.make()
            let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
            let receipts = try await withThrowingTaskGroup(of: [AppendReceipt].self) { group in
                for appender in 0..<appenders {
                    let events = try (0..<perAppender).map { try fixture.event(by: worker, stream: "case/\(appender)", expectedVersion: .exactly(UInt64($0))) }
                    group.addTask {
                        var mine: [AppendReceipt] = []
                        for event in events { mine.append(try await fixture.ledger.append(event)) }
                        return mine
                    }
                }
                return try await group.reduce(into: [AppendReceipt]()) { $0 += $1 }
            }
            #expect(receipts.map(\.position).sorted() == Array(2..<UInt64(2 + appenders * perAppender)))
            let stored = try await fixture.store.entries(from: 0, limit: 10_000).map(\.position)
            #expect(stored == Array(0..<UInt64(2 + appenders * perAppender)))
            let report = try await LedgerVerifier(store: fixture.store).verify()
            #expect(report.isClean, "\(report.findings)")
        }
    }

    @Test("recorded time never goes backwards, even when the clock does")
    func recordedTimeMonotonic() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let first = try await fixture.ledger.append(try fixture.event(by: worker, stream: "a"))
        fixture.clock.advance(milliseconds: -60_000)
        let second = try await fixture.ledger.append(try fixture.event(by: worker, stream: "b"))
        #expect(second.recordedAt >= first.recordedAt)
    }
}

@Suite("Checkpoint cadence across processes")
struct CheckpointAgeTests {
    @Test("a ledger opened after the last checkpoint's entry is a minute old takes a checkpoint at its first append")
    func ageCountsFromTheCoveredEntry() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        _ = try await fixture.ledger.checkpoint()
        let before = try #require(try await fixture.store.latestCheckpoint()).size
        fixture.clock.advance(milliseconds: 61_000)
        // Another process: a new ledger instance opens now and appends at once.
        let reopened = try await Ledger.open(store: fixture.store, logSigner: fixture.logKey, clock: fixture.clock)
        let receipt = try await reopened.append(try fixture.event(by: worker, stream: "case/1"))
        let latest = try #require(try await fixture.store.latestCheckpoint())
        #expect(latest.size == receipt.position + 1)
        #expect(latest.size > before)
    }
}

extension CheckpointAgeTests {
    @Test("a checkpoint another writer stored past the head this writer read does not trap the next append's checkpoint test")
    func checkpointPastTheHead() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let other = try await Ledger.open(store: fixture.store, logSigner: fixture.logKey, clock: fixture.clock)
        // As seen between two reads of a store another writer is committing to.
        try await fixture.store.saveCheckpoint(StoredCheckpoint(size: 1_000, note: "not yet committed"))
        _ = try await other.append(try fixture.event(by: worker, stream: "case/1"))
        // This ledger loses the race, catches up, and meets the checkpoint past its size.
        let receipt = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/2"))
        #expect(receipt.position == 3)
    }
}
