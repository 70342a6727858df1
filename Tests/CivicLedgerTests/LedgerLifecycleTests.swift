import CivicLedger
import CivicLedgerTesting
import PropertyBased
import Testing

@Suite("Opening, checkpoints, subscriptions, several writers")
struct LedgerLifecycleTests {
    @Test("a reopened ledger continues where it stopped, with its registry")
    func reopen() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/1", expectedVersion: .exactly(0)))
        let root = await fixture.ledger.root
        let reopened = try await Ledger.open(store: fixture.store, logSigner: fixture.logKey, clock: fixture.clock)
        #expect(await reopened.root == root)
        #expect(await reopened.registry.actors["w1"] != nil)
        let receipt = try await reopened.append(try fixture.event(by: worker, stream: "case/1", expectedVersion: .exactly(1)))
        #expect(receipt.position == 3)
    }

    @Test("after a reopen, with nothing cached, a stale new-stream event and an old retry are still caught")
    func uncachedChecks() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let original = try fixture.event(by: worker, stream: "case/1", expectedVersion: .exactly(0), idempotencyKey: "tap-1")
        let first = try await fixture.ledger.append(original)
        let reopened = try await Ledger.open(store: fixture.store, logSigner: fixture.logKey, clock: fixture.clock)
        let retry = try await reopened.append(original)
        #expect(retry.isDuplicate)
        #expect(retry.position == first.position)
        let stale = try fixture.event(by: worker, stream: "case/1", expectedVersion: .exactly(0))
        let error = await #expect(throws: LedgerError.self) { try await reopened.append(stale) }
        #expect(error?.code == .streamVersionConflict)
        // A batch mixing a good event with the stale one fails as a whole; the good one alone succeeds.
        let good = try fixture.event(by: worker, stream: "case/2", expectedVersion: .exactly(0))
        await #expect(throws: LedgerError.self) { try await reopened.append(batch: [good, stale]) }
        #expect(try await reopened.append(good).position == 3)
        #expect(try await LedgerVerifier(store: fixture.store).verify().isClean)
    }

    @Test("opening an empty store, or creating over a ledger, is refused")
    func openAndCreateErrors() async throws {
        let empty = InMemoryEventStore()
        let openError = await #expect(throws: LedgerError.self) { try await Ledger.open(store: empty) }
        #expect(openError?.code == .notInitialised)
        let fixture = try await LedgerFixture.make()
        let createError = await #expect(throws: LedgerError.self) { try await LedgerFixture.make(store: fixture.store) }
        #expect(createError?.code == .alreadyInitialised)
        let wrongKey = await #expect(throws: LedgerError.self) { try await Ledger.open(store: fixture.store, logSigner: FixtureKeys.key("x")) }
        #expect(wrongKey?.code == .signingFailed)
    }

    @Test("checkpoints are taken every interval and on demand, and verify")
    func checkpoints() async throws {
        var configuration = LedgerConfiguration()
        configuration.checkpointInterval = 10
        let fixture = try await LedgerFixture.make(configuration: configuration)
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        for index in 0..<25 { _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "s/\(index)")) }
        let stored = try await fixture.store.checkpoints(fromSize: 0, limit: 100).map(\.size)
        #expect(stored == [1, 11, 21])
        let latest = try await fixture.ledger.checkpoint()
        #expect(latest.checkpoint.size == 27)
        #expect(latest.checkpoint.root == (await fixture.ledger.root))
        try latest.verify(logKey: fixture.logKey.publicKey)
        #expect(try await fixture.ledger.checkpoint() == latest)
    }

    @Test("a subscription yields the log so far, then new entries, in order")
    func subscription() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let reader = Task {
            var positions: [UInt64] = []
            for try await entry in fixture.ledger.subscribe(from: 0, pageSize: 3) {
                positions.append(entry.position)
                if positions.count == 12 { break }
            }
            return positions
        }
        for index in 0..<10 { _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "s/\(index)")) }
        #expect(try await reader.value == Array(0..<12))
    }

    @Test("two ledgers sharing one store keep one gapless log")
    func twoWriters() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let second = try await Ledger.open(store: fixture.store, logSigner: fixture.logKey, clock: fixture.clock)
        // An enrolment through one writer must be honoured by the other.
        let lateKey = try await fixture.enrol("w2", role: "worker", scope: "town")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                let writer = index % 2 == 0 ? fixture.ledger : second
                let key = index % 3 == 0 ? lateKey : worker
                let event = try fixture.event(by: key, stream: "s/\(index % 5)")
                group.addTask { _ = try await writer.append(event) }
            }
            try await group.waitForAll()
        }
        let positions = try await fixture.store.entries(from: 0, limit: 100).map(\.position)
        #expect(positions == Array(0..<43))
        let report = try await LedgerVerifier(store: fixture.store).verify()
        #expect(report.isClean, "\(report.findings)")
        // Stream versions stayed exact across writers.
        let stale = try fixture.event(by: worker, stream: "s/0", expectedVersion: .exactly(3))
        let error = await #expect(throws: LedgerError.self) { try await second.append(stale) }
        #expect(error?.code == .streamVersionConflict)
    }
}
