import CivicLedger
import CivicLedgerTesting
import Foundation
import Logging
import MetricsTestKit
import ServiceLifecycle
import Synchronization
import Testing

/// The ledger as a component of a service: open or create, drain on
/// shutdown, run in a ServiceGroup, report metrics.
@Suite("The ledger in a service")
struct LedgerServiceTests {
    /// Appends `count` events from as many tasks, closing the ledger after
    /// `closeAfter` of them have started; returns each call's outcome.
    static func appendWhileClosing(_ fixture: LedgerFixture, count: Int, closeAfter: Int) async throws -> [Result<AppendReceipt, LedgerError>] {
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let events = try (0..<count).map { try fixture.event(by: worker, stream: "case/\($0)", idempotencyKey: "e\($0)") }
        return try await withThrowingTaskGroup(of: (Int, Result<AppendReceipt, LedgerError>).self) { group in
            for (index, event) in events.enumerated() {
                group.addTask {
                    do {
                        return (index, .success(try await fixture.ledger.append(event)))
                    } catch let error as LedgerError {
                        return (index, .failure(error))
                    }
                }
                if index == closeAfter { group.addTask { try await fixture.ledger.close(); return (-1, .failure(LedgerError(.closed, "marker"))) } }
            }
            var outcomes = [Result<AppendReceipt, LedgerError>?](repeating: nil, count: count)
            for try await (index, outcome) in group where index >= 0 { outcomes[index] = outcome }
            return outcomes.compactMap { $0 }
        }
    }

    @Test("close drains: every append is answered, each acknowledged one is in the log, the rest are refused with closed, and none after")
    func closeDrains() async throws {
        var configuration = LedgerConfiguration()
        configuration.stateSnapshotOnCloseMinimum = 1
        let fixture = try await LedgerFixture.make(configuration: configuration)
        let outcomes = try await Self.appendWhileClosing(fixture, count: 120, closeAfter: 40)
        #expect(outcomes.count == 120)
        let entries = try await fixture.ledger.entries(from: 0, limit: 1000)
        var acknowledged = 0
        for case .success(let receipt) in outcomes {
            acknowledged += 1
            #expect(entries[Int(receipt.position)].leafHash == receipt.leafHash)
        }
        for case .failure(let error) in outcomes { #expect(error.code == .closed) }
        #expect(acknowledged > 0)
        #expect(entries.count == 2 + acknowledged, "genesis, the enrolment and each acknowledged event, nothing else")
        let worker = FixtureKeys.key("w1")
        await #expect(throws: LedgerError.self) { try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/late")) }
        try await fixture.ledger.close()
        // Closing signed a checkpoint of everything and sealed a state snapshot.
        let size = await fixture.ledger.size
        #expect(try await fixture.store.latestCheckpoint()?.size == size)
        #expect(try await fixture.store.snapshot(named: "ledger-state")?.position == size)
    }

    @Test("in a ServiceGroup, graceful shutdown stops a live projection (its snapshot saved) and drains the ledger")
    func serviceGroup() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let counts = LiveProjection<StreamCounts>(store: fixture.store)
        let group = ServiceGroup(services: [fixture.ledger, counts], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        var receipts: [AppendReceipt] = []
        for index in 0..<10 { receipts.append(try await fixture.ledger.append(try fixture.event(by: worker, stream: "s/\(index)"))) }
        let last = try #require(receipts.last)
        #expect(try await counts.read(atLeast: last.position) { $0.counts.count } == 11)
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(await fixture.ledger.isClosing)
        #expect(try await fixture.store.snapshot(named: StreamCounts.name)?.position == last.position + 1)
        await #expect(throws: LedgerError.self) { try await fixture.ledger.append(try fixture.event(by: worker, stream: "s/late")) }
    }

    @Test("metrics: append duration per accepted append, entries per commit, size, and refusals by code")
    func metrics() async throws {
        let metrics = TestMetrics()
        var configuration = LedgerConfiguration()
        configuration.metricsFactory = metrics
        let fixture = try await LedgerFixture.make(configuration: configuration)
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        for index in 0..<3 { _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "s/\(index)")) }
        let stranger = FixtureKeys.key("stranger")
        await #expect(throws: LedgerError.self) { try await fixture.ledger.append(try fixture.event(by: stranger, stream: "s/x")) }
        let dimensions = [("origin", LedgerFixture.origin)]
        #expect(try metrics.expectTimer(LedgerMetrics.Label.appendDuration, dimensions).values.count == 4, "the enrolment and three events")
        let batches = try metrics.expectRecorder(LedgerMetrics.Label.commitEntries, dimensions).values
        #expect(batches.reduce(0, +) == 4)
        let writes = try metrics.expectTimer(LedgerMetrics.Label.commitDuration, dimensions).values
        #expect(writes.count == batches.count && writes.allSatisfy { $0 > 0 }, "one durable write timed per group commit")
        #expect(try metrics.expectGauge(LedgerMetrics.Label.size, dimensions).lastValue == Double(await fixture.ledger.size))
        #expect(metrics.counterTotal(label: LedgerMetrics.Label.refusals, dimensions: dimensions + [("code", "unknown-key")]) == 1)
    }

    @Test("openOrCreate creates an empty store's ledger, opens it the next time, and refuses another origin")
    func openOrCreate() async throws {
        let store = InMemoryEventStore()
        let authority = FixtureKeys.key("authority"), log = FixtureKeys.key("log")
        let created = try await Ledger.openOrCreate(
            store: store, origin: LedgerFixture.origin, authority: authority, logSigner: log, permissions: LedgerFixture.permissions)
        #expect(await created.size == 1)
        let opened = try await Ledger.openOrCreate(
            store: store, origin: LedgerFixture.origin, authority: authority, logSigner: log, permissions: LedgerFixture.permissions)
        #expect(await opened.root == (await created.root))
        // A root prints as checkpoints write it.
        let checkpoint = try await opened.checkpoint()
        #expect("\(await opened.root)" == checkpoint.note.text.split(separator: "\n")[2])
        await #expect(throws: LedgerError.self) {
            try await Ledger.openOrCreate(store: store, origin: "ledger.test/elsewhere", authority: authority, logSigner: log, permissions: LedgerFixture.permissions)
        }
    }
}
