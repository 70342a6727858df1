import CivicLedger
import CivicLedgerSQLite
import CivicLedgerTesting
import Foundation
import Synchronization
import Testing

struct ReadBeforeSnapshot: Error {
    let position: UInt64
}

/// Every position folded, in order: a projection that throws on a skipped
/// or repeated position (``Projection/fold(_:)``) and remembers each one.
struct PositionLog: Projection, Codable, Equatable {
    static let name = "position-log"
    var lastPosition: UInt64?
    var streams: [String] = []

    mutating func apply(_ entry: LedgerEntry) throws { streams.append(entry.stream) }
}

/// The read side out of the ledger actor: a feed woken by the store, across
/// store objects (as across processes) on one SQLite file, and live
/// projections with read-your-writes and snapshots.
@Suite("Live read side")
struct LiveReadSideTests {
    static func ledger(at path: String) async throws -> (LedgerFixture, SigningKey) {
        let fixture = try await LedgerFixture.make(store: try SQLiteEventStore(path: path))
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        return (fixture, worker)
    }

    @Test("a projection on a second store object sees another writer's appends, in order, each once, and reads its own writes")
    func secondWriterSeen() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ledger.sqlite")
        let (fixture, worker) = try await Self.ledger(at: path)
        // The reader has its own connections, as another process would.
        let reader = try SQLiteEventStore(path: path)
        let live = LiveProjection<PositionLog>(store: reader)
        let follower = Task { try await live.follow() }
        defer { follower.cancel() }
        try await live.reach(1)
        var latencies: [Duration] = []
        for index in 0..<20 {
            let receipt = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/\(index)"))
            let appended = ContinuousClock.now
            let stream = try await live.read(atLeast: receipt.position, timeout: .seconds(10)) { $0.streams[Int(receipt.position)] }
            latencies.append(ContinuousClock.now - appended)
            #expect(stream == "case/\(index)")
        }
        let all = live.value
        #expect(all.streams.count == 22)
        #expect(all.lastPosition == 21)
        // Not a timing test (the benchmark measures it); printed to see.
        print("second-writer latency, max of 20:", latencies.max() ?? .zero)
    }

    @Test("a wait that the log does not reach times out with timed-out; a cancelled wait ends")
    func waitsEnd() async throws {
        let directory = try TemporaryDirectory()
        let (fixture, _) = try await Self.ledger(at: directory.path("ledger.sqlite"))
        let live = LiveProjection<PositionLog>(store: fixture.store)
        let follower = Task { try await live.follow() }
        defer { follower.cancel() }
        do {
            _ = try await live.value(atLeast: 1_000, timeout: .milliseconds(50))
            Issue.record("the wait returned")
        } catch let error as LedgerError {
            #expect(error.code == .timedOut)
        }
        let waiter = Task { try await live.reach(1_000, timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
    }

    @Test("snapshots are saved as it follows and when it stops; a new one resumes from the snapshot and folds only what follows")
    func snapshotsAndResume() async throws {
        let directory = try TemporaryDirectory()
        let (fixture, worker) = try await Self.ledger(at: directory.path("ledger.sqlite"))
        var options = LiveProjection<PositionLog>.Options()
        options.snapshotInterval = 10
        options.pageSize = 4
        let live = LiveProjection<PositionLog>(store: fixture.store, options: options)
        let follower = Task { try await live.follow() }
        for index in 0..<25 { _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/\(index)")) }
        try await live.reach(26)
        let mid = try #require(try await fixture.store.snapshot(named: PositionLog.name))
        #expect(mid.position >= 10)
        follower.cancel()
        try await follower.value
        let last = try #require(try await fixture.store.snapshot(named: PositionLog.name))
        #expect(last.position == 27, "saved when it stopped")

        _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/after"))
        // A store that returns nothing before the snapshot: resuming must not read it.
        let resumed = LiveProjection<PositionLog>(
            store: InterceptingStore(base: fixture.store) { position, _ in
                if position < 27 { throw ReadBeforeSnapshot(position: position) }
            })
        let again = Task { try await resumed.follow() }
        defer { again.cancel() }
        let streams = try await resumed.read(atLeast: 27) { $0.streams }
        #expect(streams.count == 28)
        #expect(streams.last == "case/after")
        #expect(streams == live.value.streams + ["case/after"])
    }

    @Test("a store that fails is retried from the position reached: nothing skipped, nothing folded twice")
    func storeFailureRetried() async throws {
        let directory = try TemporaryDirectory()
        let (fixture, worker) = try await Self.ledger(at: directory.path("ledger.sqlite"))
        let reads = Mutex(0)
        let flaky = InterceptingStore(base: fixture.store) { position, _ in
            let count = reads.withLock { count in
                count += 1
                return count
            }
            if count % 3 == 0 { throw LedgerError(.storeFailure, "read \(count) of position \(position) fails") }
        }
        var options = LiveProjection<PositionLog>.Options()
        options.pageSize = 3
        options.retryDelay = .milliseconds(1)
        options.savesSnapshots = false
        let live = LiveProjection<PositionLog>(store: flaky, options: options)
        let follower = Task { try await live.follow() }
        defer { follower.cancel() }
        for index in 0..<30 { _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/\(index)")) }
        let streams = try await live.read(atLeast: 31) { $0.streams }
        #expect(streams.count == 32)
        #expect(reads.withLock { $0 } >= 3, "some reads failed")
    }

    @Test("the growth signal wakes waiters below the size published, times out, and ignores smaller sizes")
    func growthSignal() async throws {
        let signal = GrowthSignal()
        #expect(await signal.wait(beyond: 0, timeout: .milliseconds(10)) == nil)
        let waiter = Task { await signal.wait(beyond: 4, timeout: .seconds(60)) }
        while signal.waiterCount == 0 { try await Task.sleep(for: .milliseconds(1)) }
        signal.publish(3)
        #expect(signal.waiterCount == 1)
        signal.publish(9)
        #expect(await waiter.value == 9)
        signal.publish(2)
        #expect(signal.size == 9)
        #expect(await signal.wait(beyond: 8, timeout: .seconds(60)) == 9, "already there")
    }
}
