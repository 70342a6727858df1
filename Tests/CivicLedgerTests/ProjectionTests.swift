import CivicLedger
import CivicLedgerTesting
import PropertyBased
import Synchronization
import Testing

/// Counts entries per stream: the smallest useful projection.
struct StreamCounts: Projection, Codable, Equatable {
    static let name = "stream-counts"
    var lastPosition: UInt64?
    var counts: [String: Int] = [:]
    var digest = MerkleFrontier().root.hex

    mutating func apply(_ entry: LedgerEntry) throws {
        counts[entry.stream, default: 0] += 1
        digest = SHA256.hash(Array((digest + entry.leafHash.hex).utf8)).hex
    }
}

@Suite("Projections and their runner")
struct ProjectionTests {
    static func ledger(events: Int) async throws -> LedgerFixture {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let batch = try (0..<events).map { try fixture.event(by: worker, stream: "s/\($0 % 7)") }
        if !batch.isEmpty { _ = try await fixture.ledger.append(batch: batch) }
        return fixture
    }

    @Test("a projection rebuilt from scratch equals one built incrementally, for any split point")
    func rebuildEqualsIncremental() async throws {
        let fixture = try await Self.ledger(events: 60)
        let runner = ProjectionRunner<StreamCounts>(store: fixture.store, pageSize: 7)
        var scratch = StreamCounts()
        try await runner.catchUp(&scratch)
        await propertyCheck(count: 30, input: Gen.int(in: 0...62)) { split in
            var incremental = StreamCounts()
            try await runner.catchUp(&incremental, to: UInt64(split))
            let restored = try StreamCounts(snapshotData: try incremental.snapshotData())
            var resumed = restored
            try await runner.catchUp(&resumed)
            #expect(resumed == scratch, "split at \(split)")
        }
    }

    @Test("the runner persists a snapshot with position and digest, and resumes from it")
    func resumeAfterRestart() async throws {
        let fixture = try await Self.ledger(events: 30)
        let runner = ProjectionRunner<StreamCounts>(store: fixture.store, snapshotInterval: 10, pageSize: 4)
        var first = try await runner.resume()
        #expect(first.lastPosition == nil)
        #expect(try await runner.catchUp(&first) == 32)
        let snapshot = try #require(try await fixture.store.snapshot(named: StreamCounts.name))
        #expect(snapshot.position == 32)
        #expect(snapshot.digest == SHA256.hash(snapshot.data))
        let worker = FixtureKeys.key("w1")
        _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "s/new"))
        var resumed = try await runner.resume()
        #expect(resumed == first)
        #expect(try await runner.catchUp(&resumed) == 1)
        #expect(resumed.counts["s/new"] == 1)
    }

    @Test("a snapshot that does not match its digest is discarded")
    func corruptSnapshot() async throws {
        let fixture = try await Self.ledger(events: 5)
        let runner = ProjectionRunner<StreamCounts>(store: fixture.store)
        var projection = StreamCounts()
        try await runner.catchUp(&projection)
        var snapshot = try #require(try await fixture.store.snapshot(named: StreamCounts.name))
        snapshot.data[0] ^= 1
        try await fixture.store.saveSnapshot(snapshot)
        #expect(try await runner.resume().lastPosition == nil)
    }

    @Test("EntryPages and forEach pass every entry once, in order, for any page size and range")
    func bulkReads() async throws {
        let fixture = try await Self.ledger(events: 70)
        let size = try #require(try await fixture.store.head()).size
        let all = try await fixture.ledger.entries(from: 0, limit: Int(size))
        #expect(all.count == Int(size))
        await propertyCheck(count: 40, input: Gen.int(in: 1...40), Gen.int(in: 0...80), Gen.int(in: 0...80)) { pageSize, a, b in
            let (start, end) = (UInt64(min(a, b)), UInt64(max(a, b)))
            let expected = all.filter { $0.position >= start && $0.position < end }.map(\.position)
            var paged: [UInt64] = []
            for try await page in EntryPages(store: fixture.store, from: start, to: end, pageSize: pageSize) {
                #expect(!page.isEmpty && page.count <= 16)
                paged += page.map(\.position)
            }
            var streamed: [UInt64] = []
            let count = try await EntryPages(store: fixture.store, from: start, to: end, pageSize: pageSize).forEach {
                streamed.append($0.position)
            }
            #expect(paged == expected, "page size \(pageSize), \(start)..<\(end)")
            #expect(streamed == expected, "page size \(pageSize), \(start)..<\(end)")
            #expect(count == UInt64(expected.count))
        }
    }

    @Test("folding out of order is refused")
    func outOfOrder() async throws {
        let fixture = try await Self.ledger(events: 3)
        var projection = StreamCounts()
        let entries = try await fixture.ledger.entries(from: 0, limit: 5)
        #expect(throws: LedgerError.self) { try projection.fold(entries[1]) }
        try projection.fold(entries[0])
        #expect(projection.nextPosition == 1)
    }

    @Test("a reader that stops early cancels the page it had read ahead")
    func readAheadCancelled() async throws {
        let fixture = try await Self.ledger(events: 40)
        let done = Mutex<[UInt64]>([])
        var slow = InterceptingStore(base: fixture.store) { _, _ in }
        slow.readDelay = .milliseconds(200)
        slow.onReadDone = { position in done.withLock { $0.append(position) } }
        for try await page in StoredPages(store: slow, pageSize: 10) {
            #expect(page.first?.position == 0)
            break
        }
        try await Task.sleep(for: .milliseconds(600))
        #expect(done.withLock { $0 } == [0], "the page read ahead (from position 10) was cancelled, not read")
    }
}
