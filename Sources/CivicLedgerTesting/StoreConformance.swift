import CivicLedger
import Foundation

/// The behaviour every `EventStore` must have, as named checks that any
/// test framework can run against a real store (no store is mocked here).
///
/// ```swift
/// @Test(arguments: StoreConformance.checks)
/// func conformance(_ check: StoreConformance.Check) async throws {
///     try await check.run { try SQLiteEventStore(path: temporaryPath()) }
/// }
/// ```
public enum StoreConformance {
    /// Makes a new, empty store.
    public typealias StoreFactory = @Sendable () async throws -> any RepairableEventStore

    /// One named requirement.
    public struct Check: Sendable, CustomStringConvertible {
        /// What the check requires.
        public let name: String
        let body: @Sendable (StoreFactory) async throws -> Void

        /// Runs the check on stores from `makeStore`; throws
        /// ``ConformanceFailure`` when the store falls short.
        public func run(_ makeStore: @escaping StoreFactory) async throws {
            try await body(makeStore)
        }

        public var description: String { name }
    }

    /// Every check.
    public static let checks: [Check] = [
        Check(name: "an empty store has no head and no entries", body: emptyStore),
        Check(name: "committed entries read back byte for byte, in order", body: readBack),
        Check(name: "a commit with the wrong expected size is a conflict and writes nothing", body: wrongExpectedSize),
        Check(name: "a commit that fails part way writes nothing", body: atomicCommit),
        Check(name: "a stored stream version or idempotency reference is a conflict", body: uniqueKeys),
        Check(name: "streams read in version order from a version", body: streamReads),
        Check(name: "stream heads give version and place", body: streamHeads),
        Check(name: "idempotency references find their positions", body: idempotencyLookups),
        Check(name: "checkpoints are stored once, listed by size, and their notes replaced only from the expected one", body: checkpointStorage),
        Check(name: "snapshots are replaced and read back", body: snapshotStorage),
        Check(name: "of two racing commits at one size exactly one wins", body: racingCommits),
        Check(name: "a 1 MiB payload survives exactly", body: largePayload),
        Check(name: "a ledger on the store appends concurrently and verifies clean", body: ledgerOnStore),
        Check(name: "index rows are the ones the entries call for", body: indexRows),
        Check(name: "a repair rewrites index rows, even swapped ones, and the lookups follow", body: indexRepair),
        Check(name: "a repair replaces the head", body: headRepair),
    ]

    // MARK: Checks

    static func emptyStore(_ make: StoreFactory) async throws {
        let store = try await make()
        try expect(try await store.head() == nil, "a new store has a head")
        try expect(try await store.entries(from: 0, limit: 10).isEmpty, "a new store has entries")
        try expect(try await store.latestCheckpoint() == nil, "a new store has a checkpoint")
    }

    static func readBack(_ make: StoreFactory) async throws {
        let store = try await make()
        let entries = try sampleEntries(count: 50)
        try await store.commit(commit(entries[0..<20], expectedSize: 0))
        try await store.commit(commit(entries[20..<50], expectedSize: 20))
        let all = try await store.entries(from: 0, limit: 100)
        try expect(all.map(\.position) == Array(0..<50), "positions are \(all.map(\.position))")
        try expect(all.map(\.bytes) == entries.map(\.bytes), "bytes differ from what was committed")
        let middle = try await store.entries(from: 10, limit: 5)
        try expect(middle.map(\.position) == [10, 11, 12, 13, 14], "entries(from: 10, limit: 5) gave \(middle.map(\.position))")
        try expect(try await store.entries(from: 50, limit: 5).isEmpty, "reading past the end gave entries")
        // Limits and positions at the edges of their types are answered, not trapped on.
        try expect(try await store.entries(from: 45, limit: .max).count == 5, "entries(from: 45, limit: .max)")
        try expect(try await store.entries(from: .max, limit: .max).isEmpty, "entries(from: .max, limit: .max)")
        try expect(try await store.entries(inStream: "stream-0", fromVersion: .max, limit: .max).isEmpty, "a stream read from version .max")
        try expect(try await store.entries(inStream: "stream-0", fromVersion: 0, limit: .max).count == 17, "a stream read from version 0, limit .max")
        let head = try await store.head()
        try expect(head?.size == 50 && head?.state == [50], "head is \(String(describing: head))")
    }

    static func wrongExpectedSize(_ make: StoreFactory) async throws {
        let store = try await make()
        let entries = try sampleEntries(count: 3)
        try await store.commit(commit(entries[0..<1], expectedSize: 0))
        try await expectRefused(store, commit(entries[1..<3], expectedSize: 0, renumber: true), "a commit expecting size 0 on a log of 1")
    }

    static func atomicCommit(_ make: StoreFactory) async throws {
        let store = try await make()
        let entries = try sampleEntries(count: 4)
        try await store.commit(commit(entries[0..<2], expectedSize: 0))
        // Entry 3 reuses entry 0's idempotency key: the store's unique index
        // must refuse it, and with it the whole commit.
        let duplicate = try sampleEntries(count: 4, idempotencyOverride: (3, entries[0].content.idempotencyKey))
        try await expectRefused(store, commit(duplicate[2..<4], expectedSize: 2), "a commit reusing a stored idempotency key")
    }

    static func uniqueKeys(_ make: StoreFactory) async throws {
        let store = try await make()
        let entries = try sampleEntries(count: 3)
        try await store.commit(commit(entries[0..<3], expectedSize: 0))
        // Position 3 claims stream-0 version 1 again, under a new idempotency key.
        let key = FixtureKeys.key("conformance")
        let again = try SignedEvent(
            signing: EventContent(
                origin: "conformance.test", stream: "stream-0", place: "town/0", expectedVersion: .any, kind: "sample",
                payload: [], actorKey: key.publicKey, clientTime: Timestamp(millisecondsSinceEpoch: 9), idempotencyKey: "fresh"),
            with: key)
        let clash = LedgerEntry(position: 3, recordedAt: Timestamp(millisecondsSinceEpoch: 9), streamVersion: 1, event: again)
        try await expectRefused(store, StoreCommit(expectedSize: 3, entries: [clash], head: StoreHead(size: 4, state: [4])), "a second version 1 of stream-0")
        let reused = LedgerEntry(position: 3, recordedAt: Timestamp(millisecondsSinceEpoch: 9), streamVersion: 2, event: entries[1].event)
        try await expectRefused(store, StoreCommit(expectedSize: 3, entries: [reused], head: StoreHead(size: 4, state: [4])), "a second use of an idempotency reference")
    }

    static func streamReads(_ make: StoreFactory) async throws {
        let store = try await make()
        let entries = try sampleEntries(count: 30)
        try await store.commit(commit(entries[...], expectedSize: 0))
        let streamA = entries.filter { $0.stream == "stream-0" }
        let read = try await store.entries(inStream: "stream-0", fromVersion: 1, limit: 100)
        try expect(read.map(\.position) == streamA.map(\.position), "stream-0 read \(read.map(\.position)), expected \(streamA.map(\.position))")
        let fromThree = try await store.entries(inStream: "stream-0", fromVersion: 3, limit: 2)
        try expect(fromThree.map(\.position) == Array(streamA[2..<4].map(\.position)), "stream-0 from version 3 read \(fromThree.map(\.position))")
        try expect(try await store.entries(inStream: "nothing", fromVersion: 1, limit: 5).isEmpty, "a missing stream has entries")
    }

    static func streamHeads(_ make: StoreFactory) async throws {
        let store = try await make()
        let entries = try sampleEntries(count: 30)
        try await store.commit(commit(entries[...], expectedSize: 0))
        let heads = try await store.streamHeads(["stream-0", "stream-1", "nothing"])
        try expect(heads["stream-0"] == StreamHead(version: 10, place: "town/0"), "stream-0 head is \(String(describing: heads["stream-0"]))")
        try expect(heads["stream-1"] == StreamHead(version: 10, place: "town/1"), "stream-1 head is \(String(describing: heads["stream-1"]))")
        try expect(heads["nothing"] == nil, "a missing stream has a head")
    }

    static func idempotencyLookups(_ make: StoreFactory) async throws {
        let store = try await make()
        let entries = try sampleEntries(count: 10)
        try await store.commit(commit(entries[...], expectedSize: 0))
        let wanted = [entries[3].idempotencyReference, entries[7].idempotencyReference, IdempotencyReference(actorKey: entries[0].actorKey, key: "absent")]
        let found = try await store.positions(for: wanted)
        try expect(found == [wanted[0]: 3, wanted[1]: 7], "found \(found)")
    }

    static func checkpointStorage(_ make: StoreFactory) async throws {
        let store = try await make()
        for size in [5, 1, 9] as [UInt64] {
            try await store.saveCheckpoint(StoredCheckpoint(size: size, note: "note \(size)\n"))
        }
        try await store.saveCheckpoint(StoredCheckpoint(size: 5, note: "note 5\n"))
        let all = try await store.checkpoints(fromSize: 0, limit: 10)
        try expect(all.map(\.size) == [1, 5, 9], "checkpoints listed as \(all.map(\.size))")
        try expect(try await store.checkpoints(fromSize: 2, limit: 1).map(\.size) == [5], "checkpoints from size 2, limit 1")
        try expect(try await store.latestCheckpoint()?.note == "note 9\n", "latest checkpoint")
        try expect(
            try await store.replaceCheckpointNote(size: 5, expected: "note 5\n", with: "note 5\ncosigned\n"),
            "the note of checkpoint 5 was not replaced")
        try expect(
            !(try await store.replaceCheckpointNote(size: 5, expected: "note 5\n", with: "note 5\nother\n")),
            "a note replaced although it was no longer the expected one")
        try expect(
            !(try await store.replaceCheckpointNote(size: 6, expected: "note 6\n", with: "note 6\nx\n")),
            "a note replaced for a size that has no checkpoint")
        let replaced = try await store.checkpoints(fromSize: 5, limit: 1).first?.note
        try expect(replaced == "note 5\ncosigned\n", "checkpoint 5 reads back as \(String(describing: replaced))")
    }

    static func snapshotStorage(_ make: StoreFactory) async throws {
        let store = try await make()
        let first = ProjectionSnapshot(name: "board", position: 10, digest: SHA256.hash([1, 2]), data: [1, 2])
        let second = ProjectionSnapshot(name: "board", position: 20, digest: SHA256.hash([3]), data: [3])
        try await store.saveSnapshot(first)
        try await store.saveSnapshot(second)
        try expect(try await store.snapshot(named: "board") == second, "snapshot was not replaced")
        try expect(try await store.snapshot(named: "other") == nil, "a missing snapshot was found")
    }

    static func racingCommits(_ make: StoreFactory) async throws {
        let store = try await make()
        let entries = try sampleEntries(count: 2, distinctIdempotency: true)
        let results = await withTaskGroup(of: Bool.self) { group in
            for entry in entries {
                group.addTask {
                    let renumbered = LedgerEntry(position: 0, recordedAt: entry.recordedAt, streamVersion: entry.streamVersion, event: entry.event)
                    do {
                        try await store.commit(StoreCommit(expectedSize: 0, entries: [renumbered], head: StoreHead(size: 1, state: [1])))
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        try expect(results.filter { $0 }.count == 1, "\(results.filter { $0 }.count) of 2 racing commits succeeded")
        try expect(try await store.entries(from: 0, limit: 5).count == 1, "racing commits left more than one entry")
    }

    static func largePayload(_ make: StoreFactory) async throws {
        let store = try await make()
        let key = FixtureKeys.key("large")
        var payload = [UInt8](repeating: 0, count: EventContent.maximumPayloadBytes)
        for index in payload.indices { payload[index] = UInt8(truncatingIfNeeded: index &* 31 &+ 7) }
        let event = try SignedEvent(
            signing: EventContent(
                origin: "o", stream: "s", place: "p", expectedVersion: .any, kind: "k", payload: payload,
                actorKey: key.publicKey, clientTime: Timestamp(millisecondsSinceEpoch: 0), idempotencyKey: "i"),
            with: key)
        let entry = LedgerEntry(position: 0, recordedAt: Timestamp(millisecondsSinceEpoch: 0), streamVersion: 1, event: event)
        try await store.commit(StoreCommit(expectedSize: 0, entries: [entry], head: StoreHead(size: 1, state: [])))
        let read = try await store.entries(from: 0, limit: 1)
        try expect(read.first?.bytes == entry.bytes, "the 1 MiB entry did not read back exactly")
    }

    static func ledgerOnStore(_ make: StoreFactory) async throws {
        let fixture = try await LedgerFixture.make(store: try await make())
        let worker = try await fixture.enrol("worker-1", role: "worker", scope: "town")
        let events = try (0..<64).map { try fixture.event(by: worker, stream: "case/\($0 % 8)", kind: "case.note") }
        let receipts = try await withThrowingTaskGroup(of: AppendReceipt.self) { group in
            for event in events { group.addTask { try await fixture.ledger.append(event) } }
            return try await group.reduce(into: [AppendReceipt]()) { $0.append($1) }
        }
        let positions = receipts.map(\.position).sorted()
        try expect(positions == Array(2..<66), "concurrent appends got positions \(positions)")
        let report = try await LedgerVerifier(store: fixture.store).verify()
        try expect(report.isClean, "verification found \(report.findings)")
        try expect(report.entriesChecked == 66, "verified \(report.entriesChecked) entries")
    }

    static func indexRows(_ make: StoreFactory) async throws {
        let store = try await make()
        let entries = try sampleEntries(count: 20)
        try await store.commit(commit(entries[...], expectedSize: 0))
        let rows = try await store.indexRows(from: 5, limit: 10)
        try expect(rows == entries[5..<15].map(StoredIndexRow.init), "index rows 5..<15 are not the entries' own")
        try expect(try await store.indexRows(from: 20, limit: 10).isEmpty, "index rows past the log")
    }

    static func indexRepair(_ make: StoreFactory) async throws {
        let store = try await make()
        let entries = try sampleEntries(count: 9)
        try await store.commit(commit(entries[...], expectedSize: 0))
        // Versions 1 and 2 of stream-0 (positions 0 and 3) swapped, then put back.
        var first = StoredIndexRow(entries[0])
        var second = StoredIndexRow(entries[3])
        swap(&first.streamVersion, &second.streamVersion)
        try await store.repairIndex([first, second])
        try expect(try await store.indexRows(from: 0, limit: 1) == [first], "a repaired row does not read back")
        try await store.repairIndex([StoredIndexRow(entries[0]), StoredIndexRow(entries[3])])
        try expect(try await store.indexRows(from: 0, limit: 9) == entries.map(StoredIndexRow.init), "rows put back do not read back")
        try expect(
            try await store.entries(inStream: "stream-0", fromVersion: 2, limit: 1).first?.position == 3,
            "the stream lookup does not follow the repaired rows")
        try expect(
            try await store.positions(for: [entries[3].idempotencyReference])[entries[3].idempotencyReference] == 3,
            "the idempotency lookup does not follow the repaired rows")
        var missing = StoredIndexRow(entries[0])
        missing.position = 99
        do {
            try await store.repairIndex([missing])
            throw ConformanceFailure("a repair of a row with no entry was accepted")
        } catch is LedgerError {}
    }

    static func headRepair(_ make: StoreFactory) async throws {
        let store = try await make()
        try await store.commit(commit(try sampleEntries(count: 3)[...], expectedSize: 0))
        let head = StoreHead(size: 3, state: [9, 9, 9])
        try await store.repairHead(head)
        try expect(try await store.head() == head, "the repaired head does not read back")
    }

    // MARK: Helpers

    /// Entries over three streams `stream-0…2` in places `town/0…2`.
    static func sampleEntries(count: Int, idempotencyOverride: (Int, String)? = nil, distinctIdempotency: Bool = false) throws -> [LedgerEntry] {
        let key = FixtureKeys.key("conformance")
        var versions: [String: UInt64] = [:]
        return try (0..<count).map { index in
            let stream = "stream-\(index % 3)"
            versions[stream, default: 0] += 1
            var idempotency = "idem-\(index)"
            if let (at, key) = idempotencyOverride, at == index { idempotency = key }
            if distinctIdempotency { idempotency += "-\(UUID().uuidString)" }
            let event = try SignedEvent(
                signing: EventContent(
                    origin: "conformance.test", stream: stream, place: try Place(validating: "town/\(index % 3)"), expectedVersion: .any,
                    kind: "sample", payload: Array("payload \(index)".utf8), actorKey: key.publicKey,
                    clientTime: Timestamp(millisecondsSinceEpoch: Int64(index)), idempotencyKey: idempotency),
                with: key)
            return LedgerEntry(position: UInt64(index), recordedAt: Timestamp(millisecondsSinceEpoch: Int64(index)), streamVersion: versions[stream]!, event: event)
        }
    }

    static func commit(_ entries: ArraySlice<LedgerEntry>, expectedSize: UInt64, renumber: Bool = false) -> StoreCommit {
        var list = Array(entries)
        if renumber {
            list = list.enumerated().map { offset, entry in
                LedgerEntry(position: expectedSize + UInt64(offset), recordedAt: entry.recordedAt, streamVersion: entry.streamVersion, event: entry.event)
            }
        }
        let size = expectedSize + UInt64(list.count)
        return StoreCommit(expectedSize: expectedSize, entries: list, head: StoreHead(size: size, state: [UInt8(truncatingIfNeeded: size)]))
    }

    /// Requires the store to refuse `commit` with `store-conflict` and to
    /// write none of it: the entries and the head stay as they were.
    static func expectRefused(_ store: any RepairableEventStore, _ commit: StoreCommit, _ what: String) async throws {
        let headBefore = try await store.head()
        let entriesBefore = try await store.entries(from: 0, limit: .max)
        do {
            try await store.commit(commit)
            throw ConformanceFailure("\(what) was stored")
        } catch let error as LedgerError {
            try expect(error.code == .storeConflict, "\(what) gave \(error.code), not store-conflict")
        }
        try expect(try await store.head() == headBefore, "\(what) was refused but moved the head")
        try expect(try await store.entries(from: 0, limit: .max) == entriesBefore, "\(what) was refused but changed the entries")
    }

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        guard condition else { throw ConformanceFailure(message()) }
    }
}

/// A store fell short of a conformance check.
public struct ConformanceFailure: Error, CustomStringConvertible {
    /// What the store did wrong.
    public let message: String
    /// A failure saying what the store did wrong.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
