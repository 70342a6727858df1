import Benchmark
import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import CivicLedgerTesting
import Foundation

/// A governance mix of whole case loops, as decoded entries: each case runs its loop
/// (report, accept, approve, review, dispatch, acknowledge, resolve, verify,
/// close: about half the events), interleaved with points awards (40%) and
/// deductions (10%) for 3,000 residents. The signatures are placeholders:
/// folding does not check them.
enum CaseLoopMix {
    static let key = FixtureKeys.key("case-loop-mix")
    static let signature = key.sign([0])

    static func entry(_ position: Int, stream: String, version: UInt64, kind: String, payload: [UInt8]) throws -> LedgerEntry {
        let content = EventContent(
            origin: "bench.example/civic", stream: stream, place: "zhuji/dongsheng/g01/mg001", expectedVersion: .any, kind: kind,
            payload: payload, actorKey: key.publicKey, clientTime: Timestamp(millisecondsSinceEpoch: Int64(position)),
            idempotencyKey: "m\(position)")
        let event = try SignedEvent(body: try content.encodedBody()[...], signature: signature)
        return LedgerEntry(
            position: UInt64(position), recordedAt: Timestamp(millisecondsSinceEpoch: 1_735_660_800_000 + Int64(position) * 1000),
            streamVersion: version, event: event)
    }

    static func entries(count: Int) throws -> [LedgerEntry] {
        let steps: [(String, [UInt8])] = [
            (
                GovernanceKind.report,
                CaseReport(urgency: .general, category: "drainage", source: .resident, summary: "blocked drain by building 7").encoded
            ),
            (GovernanceKind.accept, CaseNote().encoded), (GovernanceKind.approve, CaseApproval(skipsReview: false, note: "").encoded),
            (GovernanceKind.review, CaseNote().encoded),
            (GovernanceKind.dispatch, CaseDispatch(department: "water", deadlineMinutes: 10080).encoded),
            (GovernanceKind.acknowledge, CaseNote().encoded), (GovernanceKind.resolve, CaseNote("cleared").encoded),
            (GovernanceKind.verify, CaseVerification(passed: true, note: "ok").encoded), (GovernanceKind.close, CaseNote("closed").encoded),
        ]
        let award = PointsMovement(account: .contribution, amount: 3, rule: "report", evidence: 1, reason: "hazard report").encoded
        let deduct = PointsMovement(account: .reputation, amount: 10, rule: "littering", evidence: nil, reason: "littering").encoded
        var entries: [LedgerEntry] = []
        entries.reserveCapacity(count)
        var caseNumber = 0
        var open: [(stream: String, step: Int)] = []
        var position = 0
        var accountVersions = [UInt64](repeating: 0, count: 3000)
        while position < count {
            let roll = position % 10
            if roll < 5 {
                accountVersions[position % 3000] += 1
                entries.append(
                    try entry(
                        position, stream: "points/r\(position % 3000)", version: accountVersions[position % 3000],
                        kind: roll < 4 ? GovernanceKind.award : GovernanceKind.deduct, payload: roll < 4 ? award : deduct))
            } else {
                // Advance one of the open cases, or open a new one.
                if open.count < 64 || position % 9 == 0 {
                    caseNumber += 1
                    open.append(("case/\(caseNumber)", 0))
                }
                let index = position % open.count
                let (kind, payload) = steps[open[index].step]
                entries.append(
                    try entry(position, stream: open[index].stream, version: UInt64(open[index].step + 1), kind: kind, payload: payload))
                open[index].step += 1
                if open[index].step == steps.count { open.remove(at: index) }
            }
            position += 1
        }
        return entries
    }
}

/// A SQLite file holding `entries`, written straight through the store.
func makeCivicLedger(_ entries: [LedgerEntry]) async throws -> SQLiteEventStore {
    let store = try SQLiteEventStore(path: temporaryLedgerPath("civic.sqlite"))
    var position = 0
    while position < entries.count {
        let batch = Array(entries[position..<min(entries.count, position + 10_000)])
        try await store.commit(
            StoreCommit(expectedSize: UInt64(position), entries: batch, head: StoreHead(size: UInt64(position + batch.count), state: [])))
        position += batch.count
    }
    return store
}

func governanceBenchmarks() {
    // The projection hot path: decoded entries folded into the case board
    // and the points balances, on one core, as the rebuild pipeline does it:
    // each run decodes the next page of 1,000 entries of the million-event
    // mix from their stored bytes (not measured), then folds it (measured).
    // The two projections carry their state from page to page, so the
    // figure is for tables of realistic size (3,000 accounts, ~56,000
    // cases by the end); the malloc count is the fold's only.
    nonisolated(unsafe) var mixBytes: [[UInt8]] = []
    nonisolated(unsafe) var hotBoard = CaseBoard()
    nonisolated(unsafe) var hotPoints = PointsBalances()
    nonisolated(unsafe) var nextPage = 0
    Benchmark(
        "Projection hot path, CaseBoard + PointsBalances, one core (events)",
        configuration: .init(
            metrics: [.throughput, .wallClock, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(30), maxIterations: 1000)
    ) { benchmark in
        let start = (nextPage * 1000) % mixBytes.count
        if start == 0 {
            hotBoard = CaseBoard()
            hotPoints = PointsBalances()
        }
        let page = try (start..<start + 1000).map { try LedgerEntry(bytes: Array(mixBytes[$0])) }
        benchmark.startMeasurement()
        for entry in page {
            try hotBoard.apply(entry)
            try hotPoints.apply(entry)
        }
        benchmark.stopMeasurement()
        // The page is freed here, not inside the measurement.
        withExtendedLifetime(page) {}
        nextPage += 1
        precondition(hotPoints.isConserved || hotPoints.totals.issued == 0, "points")
        blackHole(hotBoard.steps)
    } setup: {
        mixBytes = try CaseLoopMix.entries(count: 1_000_000).map(\.bytes)
    }

    // Rebuilding every projection from a 1,000,000-event SQLite ledger:
    // read, decode and fold, with the store reading a page ahead.
    nonisolated(unsafe) var civicStore: SQLiteEventStore?
    Benchmark(
        "Rebuild all projections from a 1M-event SQLite ledger (events)",
        configuration: .init(metrics: [.throughput, .wallClock, .peakMemoryResident], scalingFactor: .mega, maxIterations: 5)
    ) { benchmark in
        var board = CaseBoard()
        var points = PointsBalances()
        var archive = ResidentArchive()
        var visits = VisitSchedule()
        var volunteers = VolunteerRecord()
        var supplies = SupplyStock()
        var dossier = CaseDossier()
        var deliberations = DeliberationBoard()
        benchmark.startMeasurement()
        let count = try await EntryPages(store: civicStore!).forEach { entry in
            try board.fold(entry)
            try points.fold(entry)
            try archive.fold(entry)
            try visits.fold(entry)
            try volunteers.fold(entry)
            try supplies.fold(entry)
            try dossier.fold(entry)
            try deliberations.fold(entry)
        }
        benchmark.stopMeasurement()
        precondition(count == 1_000_000, "rebuilt from \(count) entries")
        blackHole(board.steps)
        blackHole(dossier.streams.count)
    } setup: {
        civicStore = try await makeCivicLedger(try CaseLoopMix.entries(count: 1_000_000))
    }

    // Where decoding belongs in a rebuild (docs/architecture.md, Reading):
    // the case dossier and points balances from the same kind of ledger,
    // each entry decoded just before it is folded, on the folding thread
    // (EntryPages.forEach, what rebuilds do), against each page of 4,096
    // decoded ahead on the reading task (the design before 2026-11-30).
    nonisolated(unsafe) var placementStore: SQLiteEventStore?
    for decodedAhead in [false, true] {
        Benchmark(
            decodedAhead
                ? "Rebuild dossier + points, 1M-event SQLite ledger, pages decoded ahead on the reading task (events)"
                : "Rebuild dossier + points, 1M-event SQLite ledger, each entry decoded as it is folded (events)",
            configuration: .init(metrics: [.throughput, .wallClock], scalingFactor: .mega, maxIterations: 5)
        ) { benchmark in
            let store = placementStore!
            var dossier = CaseDossier()
            var points = PointsBalances()
            benchmark.startMeasurement()
            var count: UInt64 = 0
            if decodedAhead {
                @Sendable func decoded(from position: UInt64) -> Task<[LedgerEntry], any Error> {
                    Task { try await store.entries(from: position, limit: 4096).map { try LedgerEntry(bytes: $0.bytes) } }
                }
                var ahead = decoded(from: 0)
                while let last = try await ahead.value.last {
                    let page = try await ahead.value
                    ahead = decoded(from: last.position + 1)
                    for entry in page {
                        try dossier.fold(entry)
                        try points.fold(entry)
                    }
                    count += UInt64(page.count)
                }
            } else {
                count = try await EntryPages(store: store).forEach { entry in
                    try dossier.fold(entry)
                    try points.fold(entry)
                }
            }
            benchmark.stopMeasurement()
            precondition(count == 1_000_000 && (points.isConserved || points.totals.issued == 0), "rebuilt from \(count) entries")
            blackHole(dossier.streams.count)
        } setup: {
            if placementStore == nil { placementStore = try await makeCivicLedger(try CaseLoopMix.entries(count: 1_000_000)) }
        }
    }
}
