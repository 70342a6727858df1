import CivicGovernance
import CivicLedger
import CivicLedgerTesting
import Foundation
import Synchronization
import Testing

/// Fast restart: a governance ledger opens from its sealed state snapshot
/// and the entries after it, and from the log alone when the snapshot does
/// not check.
@Suite("Opening from a sealed state snapshot")
struct StateSnapshotTests {
    /// A fixture with cases before and after a state snapshot; returns
    /// the snapshot's position.
    static func ledgerWithSnapshot() async throws -> (GovernanceFixture, UInt64) {
        let fixture = try await GovernanceFixture.make()
        for index in 0..<4 { try await fixture.caseThrough("before-\(index)", until: .closed) }
        // A checkpoint first, so that opening checks the head from here.
        _ = try await fixture.ledger.checkpoint()
        try await fixture.ledger.saveStateSnapshot()
        let position = await fixture.ledger.size
        for index in 0..<3 { try await fixture.caseThrough("after-\(index)", until: .dispatched) }
        return (fixture, position)
    }

    /// Opens `store` and records the first position of every read of more
    /// than one entry (reads of one entry look up a checkpoint's time).
    static func open(_ store: any RepairableEventStore) async throws -> (Ledger, [UInt64]) {
        let reads = Mutex<[UInt64]>([])
        let observed = InterceptingStore(base: store) { position, limit in
            if limit > 1 { reads.withLock { $0.append(position) } }
        }
        let ledger = try await GovernanceLedger.open(store: observed, logSigner: FixtureKeys.key("log"))
        return (ledger, reads.withLock { $0 })
    }

    /// The state a replay of the whole log builds.
    static func replayed(_ store: any EventStoreReader) async throws -> GovernanceState {
        var state = GovernanceState()
        _ = try await EntryPages(store: store).forEach { try state.fold($0) }
        return state
    }

    @Test("the state resumed from the snapshot equals the replayed state, and nothing between genesis and the snapshot is read")
    func resumes() async throws {
        let (fixture, position) = try await Self.ledgerWithSnapshot()
        let (ledger, reads) = try await Self.open(fixture.store)
        let state = try await GovernanceLedger.state(of: ledger)
        #expect(state == (try await Self.replayed(fixture.store)))
        #expect(await ledger.registry == (try await fixture.ledger.registry))
        #expect(reads.allSatisfy { $0 >= position }, "read positions \(reads), snapshot at \(position)")
        // It appends on: the resumed state checks the next step.
        try await fixture.run { try $0.step(GovernanceKind.acknowledge, case: "after-0", by: fixture.key("water-sun"), state: $1, at: $2) }
    }

    /// Opens after `tamper` changed the stored snapshots: the ledger
    /// replays the log, and its state is still the replayed one.
    static func replaysAfter(_ tamper: (InMemoryEventStore, UInt64) async throws -> Void) async throws {
        let (fixture, position) = try await Self.ledgerWithSnapshot()
        try await tamper(fixture.store, position)
        let (ledger, reads) = try await Self.open(fixture.store)
        #expect(try await GovernanceLedger.state(of: ledger) == (try await Self.replayed(fixture.store)))
        #expect(reads.contains(0), "the log was replayed from genesis")
    }

    static func domainRow(_ store: InMemoryEventStore) async throws -> ProjectionSnapshot {
        try #require(try await store.snapshot(named: "ledger-state/\(GovernanceState.name)"))
    }

    @Test("a domain state changed after it was sealed is not used")
    func changedDomain() async throws {
        try await Self.replaysAfter { store, _ in
            var row = try await Self.domainRow(store)
            // One more point in the pool would be a valid state; any change is refused.
            row.data[row.data.count / 2] ^= 0x01
            row.digest = SHA256.hash(row.data)
            try await store.saveSnapshot(row)
        }
    }

    @Test("a seal signed by another key is not used")
    func foreignSeal() async throws {
        try await Self.replaysAfter { store, position in
            let seal = try #require(try await store.snapshot(named: "ledger-state"))
            // The same seal text, signed by a key that is not the log key.
            let forger = FixtureKeys.key("forger")
            var data = seal.data
            let text = try #require(String(bytes: data.dropFirst(4), encoding: .utf8)?.components(separatedBy: "\n\n").first)
            let line = try NoteKey(name: GovernanceFixture.origin, publicKey: forger.publicKey).sign(text + "\n", with: forger)
            let note = Array(SignedNote(text: text + "\n", signatures: [line]).serialized.utf8)
            var writer = ByteWriter()
            writer.field(note)
            data = writer.bytes
            try await store.saveSnapshot(ProjectionSnapshot(name: "ledger-state", position: position, digest: SHA256.hash(data), data: data))
        }
    }

    @Test("a seal of another log (entries changed since) is not used")
    func otherLog() async throws {
        // A seal from another ledger with the same keys and origin: the
        // frontier it names is not this log's.
        let (other, _) = try await Self.ledgerWithSnapshot()
        try await other.caseThrough("only-in-the-other", until: .reported)
        try await other.ledger.saveStateSnapshot()
        let seal = try #require(try await other.store.snapshot(named: "ledger-state"))
        let domain = try await Self.domainRow(other.store)
        try await Self.replaysAfter { store, _ in
            try await store.saveSnapshot(seal)
            try await store.saveSnapshot(domain)
        }
    }

    @Test("a domain state from another position than its seal is not used")
    func mismatchedPair() async throws {
        try await Self.replaysAfter { store, position in
            var row = try await Self.domainRow(store)
            row.position = position - 1
            try await store.saveSnapshot(row)
        }
    }

    @Test("the ledger seals a snapshot by itself every interval, and on close")
    func periodicAndOnClose() async throws {
        var configuration = LedgerConfiguration()
        configuration.stateSnapshotInterval = 25
        configuration.stateSnapshotOnCloseMinimum = 1
        let store = InMemoryEventStore()
        let fixture = try await GovernanceFixture.make(store: store)
        let ledger = try await GovernanceLedger.open(store: store, logSigner: FixtureKeys.key("log"), configuration: configuration)
        let commands = GovernanceCommands(origin: GovernanceFixture.origin)
        for index in 0..<12 {
            let state = try await GovernanceLedger.state(of: ledger)
            _ = try await ledger.append(
                try commands.report(
                    case: "c\(index)", in: GovernanceFixture.home, urgency: .general, category: "drainage", source: .resident,
                    summary: "blocked", by: fixture.key("r1"), state: state, at: fixture.clock.now()))
        }
        let size = await ledger.size
        #expect(size >= 25)
        try await ledger.close()
        let seal = try #require(try await store.snapshot(named: "ledger-state"))
        #expect(seal.position == size, "the last snapshot is taken on close")
        let (reopened, reads) = try await Self.open(store)
        // The head is checked from its checkpoint on; the log is not replayed.
        #expect(!reads.contains(0), "read positions \(reads), snapshot at \(size)")
        #expect(try await GovernanceLedger.state(of: reopened) == (try await Self.replayed(store)))
    }

    @Test("a live projection of the governance state saves its compact snapshot when it stops and resumes from it")
    func liveGovernanceState() async throws {
        let (fixture, _) = try await Self.ledgerWithSnapshot()
        let size = await fixture.ledger.size
        let live = LiveProjection<GovernanceState>(store: fixture.store)
        let follower = Task { try await live.follow() }
        try await live.reach(size - 1)
        follower.cancel()
        try await follower.value
        let saved = try #require(try await fixture.store.snapshot(named: GovernanceState.name))
        #expect(saved.position == size)
        #expect(saved.data.first == 0xC2, "the compact form, not JSON")
        let resumed = LiveProjection<GovernanceState>(
            store: InterceptingStore(base: fixture.store) { position, _ in
                if position < size { throw LedgerError(.storeFailure, "read before the snapshot") }
            })
        let again = Task { try await resumed.follow() }
        defer { again.cancel() }
        try await fixture.caseThrough("later", until: .reported)
        let state = try await resumed.value(atLeast: size)
        #expect(state == (try await Self.replayed(fixture.store)))
    }
}
