import CivicLedger
import CivicLedgerTesting
import Testing

/// A toy domain: a `note` must carry the payload "ok", and a stream holds
/// at most three notes. It counts what it folded, so tests can see the state.
struct NoteRules: LedgerDomain, Codable, Equatable {
    static let name = "note-rules"
    var lastPosition: UInt64?
    var notes: [String: Int] = [:]

    func check(_ entry: LedgerEntry) throws(LedgerError) {
        guard entry.kind == "note" else { return }
        guard entry.payload == Array("ok".utf8) else {
            throw LedgerError(.domainRule, "a note must say ok", stream: entry.stream)
        }
        guard notes[entry.stream, default: 0] < 3 else {
            throw LedgerError(.domainRule, "stream \(entry.stream) already holds three notes", stream: entry.stream)
        }
    }

    mutating func apply(_ entry: LedgerEntry) throws {
        if entry.kind == "note" { notes[entry.stream, default: 0] += 1 }
    }
}

@Suite("Domain rules in the append pipeline and the verifier")
struct LedgerDomainTests {
    static func note(_ fixture: LedgerFixture, _ stream: String, _ text: String = "ok") throws -> SignedEvent {
        try fixture.event(by: FixtureKeys.key("w1"), stream: stream, kind: "note", payload: Array(text.utf8))
    }

    @Test("an entry the domain refuses is not written and leaves the domain state unchanged")
    func refusedAtAppend() async throws {
        let fixture = try await LedgerFixture.make(domain: NoteRules())
        try await fixture.enrol("w1", role: "worker", scope: "town")
        for _ in 0..<3 { _ = try await fixture.ledger.append(try Self.note(fixture, "n/1")) }
        let size = await fixture.ledger.size
        await #expect(throws: LedgerError.self) { try await fixture.ledger.append(try Self.note(fixture, "n/1")) }
        do {
            _ = try await fixture.ledger.append(try Self.note(fixture, "n/2", "no"))
            Issue.record("a note that does not say ok was appended")
        } catch let error as LedgerError {
            #expect(error.code == .domainRule)
            #expect(error.message.contains("must say ok"))
            #expect(error.position == nil)
        }
        #expect(await fixture.ledger.size == size)
        let state = try #require(await fixture.ledger.domain as? NoteRules)
        #expect(state.notes == ["n/1": 3])
        #expect(state.nextPosition == size)
    }

    @Test("a retry of an event committed before the ledger was opened gets its original receipt, not the domain's refusal")
    func retryAfterReopen() async throws {
        let fixture = try await LedgerFixture.make(domain: NoteRules())
        try await fixture.enrol("w1", role: "worker", scope: "town")
        let notes = try (0..<3).map { _ in try Self.note(fixture, "n/1") }
        var receipts: [AppendReceipt] = []
        for note in notes { receipts.append(try await fixture.ledger.append(note)) }
        // Another process (a new ledger on the store) receives the last one
        // again: its stream is full, so the rules alone would refuse it.
        let reopened = try await Ledger.open(store: fixture.store, logSigner: fixture.logKey, domain: NoteRules())
        let retried = try await reopened.append(notes[2])
        #expect(retried.isDuplicate)
        #expect(retried.position == receipts[2].position)
        // A new note is still refused by the rules.
        await #expect(throws: LedgerError.self) { try await reopened.append(try Self.note(fixture, "n/1")) }
        #expect(await reopened.size == receipts[2].position + 1)
    }

    @Test("a batch refused by its last event leaves no trace in the domain state; the next append sees the committed state")
    func refusedBatchRollsBack() async throws {
        let fixture = try await LedgerFixture.make(domain: NoteRules())
        try await fixture.enrol("w1", role: "worker", scope: "town")
        _ = try await fixture.ledger.append(try Self.note(fixture, "n/1"))
        let batch = try [Self.note(fixture, "n/1"), Self.note(fixture, "n/1"), Self.note(fixture, "n/1")]
        do {
            _ = try await fixture.ledger.append(batch: batch)
            Issue.record("a batch making four notes was appended")
        } catch let error as LedgerError {
            #expect(error.code == .domainRule)
            #expect(error.message.hasPrefix("event 2 of the batch"))
        }
        // Two more fit: the refused batch's first two events were rolled back.
        _ = try await fixture.ledger.append(batch: Array(batch.prefix(2)))
        let state = try #require(await fixture.ledger.domain as? NoteRules)
        #expect(state.notes["n/1"] == 3)
    }

    @Test("concurrent appends: a refusal in one request does not disturb the others in the same group commit")
    func concurrentRefusals() async throws {
        let fixture = try await LedgerFixture.make(domain: NoteRules())
        try await fixture.enrol("w1", role: "worker", scope: "town")
        // Five notes per stream, one of them bad: three of the four good ones fit.
        let events = try (0..<50).map { try Self.note(fixture, "n/\($0 % 10)", $0 / 10 == 2 ? "no" : "ok") }
        let accepted = await withTaskGroup(of: Bool.self) { group in
            for event in events { group.addTask { (try? await fixture.ledger.append(event)) != nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(accepted == 30)
        let state = try #require(await fixture.ledger.domain as? NoteRules)
        #expect(state.notes.values.reduce(0, +) == 30)
        #expect(state.notes.values.allSatisfy { $0 == 3 })
    }

    @Test("open catches the domain up from the log; the verifier reports what a ledger without the domain let in")
    func openAndVerify() async throws {
        let store = InMemoryEventStore()
        let fixture = try await LedgerFixture.make(store: store)
        try await fixture.enrol("w1", role: "worker", scope: "town")
        for text in ["ok", "ok", "bad", "ok", "ok"] { _ = try await fixture.ledger.append(try Self.note(fixture, "n/1", text)) }

        let reopened = try await Ledger.open(store: store, domain: NoteRules())
        let state = try #require(await reopened.domain as? NoteRules)
        #expect(state.notes["n/1"] == 5)
        #expect(state.nextPosition == 7)

        let plain = try await LedgerVerifier(store: store, clock: fixture.clock).verify()
        #expect(plain.isClean)
        let report = try await LedgerVerifier(store: store, clock: fixture.clock, domain: NoteRules()).verify()
        // The bad note at 4 is followed as stored, so the notes at 5 and 6 exceed three.
        #expect(report.findings.map(\.code) == [.domainRule, .domainRule, .domainRule])
        #expect(report.findings.map(\.position) == [4, 5, 6])
    }
}
