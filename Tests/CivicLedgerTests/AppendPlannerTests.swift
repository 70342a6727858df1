import CivicLedgerTesting
import Foundation
import Testing

@testable import CivicLedger

/// The append planner on its own: no store, no clock, no actor. Each test
/// starts from a real ledger's committed state (its registry and frontier)
/// and plans batches against it.
@Suite("AppendPlanner: one batch planned from the committed state and reads made in advance")
struct AppendPlannerTests {
    struct Start {
        let fixture: LedgerFixture
        let worker: SigningKey
        let registry: AuthorityRegistry
        let frontier: MerkleFrontier
    }

    static func start(domain: (any LedgerDomain)? = nil) async throws -> Start {
        let fixture = try await LedgerFixture.make(domain: domain)
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        return Start(fixture: fixture, worker: worker, registry: await fixture.ledger.registry, frontier: await fixture.ledger.frontier)
    }

    static func planner(_ start: Start, originals: [IdempotencyReference: LedgerEntry] = [:], domain: (any LedgerDomain)? = nil)
        -> AppendPlanner
    {
        AppendPlanner(
            registry: start.registry, frontier: start.frontier, recordedAt: Timestamp(millisecondsSinceEpoch: 1_800_000_000_000),
            cachedHeads: [:], fetchedHeads: [:], originals: originals, committedDomain: domain, workingDomain: domain)
    }

    static func plan(_ planner: inout AppendPlanner, _ requests: [[SignedEvent]]) -> AppendPlanner.Plan {
        let references = requests.flatMap { $0.map(\.idempotencyReference) }
        return planner.plan(requests, references: references, keys: references.map(RecentReferences.key))
    }

    static func accepted(_ outcome: AppendPlanner.Outcome) -> [AppendReceipt]? {
        if case .accepted(let receipts) = outcome { return receipts }
        return nil
    }

    static func rejected(_ outcome: AppendPlanner.Outcome) -> LedgerError? {
        if case .rejected(let error) = outcome { return error }
        return nil
    }

    @Test("a refused request between two accepted ones leaves no gap: positions follow on, its stream head untouched")
    func refusedInTheMiddle() async throws {
        let start = try await Self.start()
        let f = start.fixture
        var planner = Self.planner(start)
        let plan = Self.plan(
            &planner,
            [
                [try f.event(by: start.worker, stream: "case/a", expectedVersion: .exactly(0))],
                [try f.event(by: start.worker, stream: "case/b", expectedVersion: .exactly(5))],
                [try f.event(by: start.worker, stream: "case/c")],
            ])
        #expect(plan.outcomes.count == 3)
        #expect(Self.accepted(plan.outcomes[0])?.map(\.position) == [start.frontier.size])
        #expect(Self.rejected(plan.outcomes[1])?.code == .streamVersionConflict)
        #expect(Self.rejected(plan.outcomes[1])?.position == nil, "nothing was written: no position")
        #expect(Self.accepted(plan.outcomes[2])?.map(\.position) == [start.frontier.size + 1])
        #expect(plan.entries.map(\.stream) == ["case/a", "case/c"])
        #expect(plan.heads["case/b"] == nil)
        #expect(plan.frontier.size == start.frontier.size + 2)
        #expect(plan.referenceKeys.count == 2)
    }

    @Test("a request of several events is admitted whole or not at all: its second event refused, nothing of it stays")
    func wholeOrNothing() async throws {
        let start = try await Self.start()
        let f = start.fixture
        var planner = Self.planner(start)
        let plan = Self.plan(
            &planner,
            [
                [try f.event(by: start.worker, stream: "case/a"), try f.event(by: start.worker, stream: "case/a", expectedVersion: .exactly(9))],
                [try f.event(by: start.worker, stream: "case/a", expectedVersion: .exactly(0))],
            ])
        let error = try #require(Self.rejected(plan.outcomes[0]))
        #expect(error.message.hasPrefix("event 1 of the batch: "))
        // The next request sees case/a as new: the first request's first event left no head.
        #expect(Self.accepted(plan.outcomes[1])?.first?.position == start.frontier.size)
        #expect(plan.entries.count == 1)
        #expect(plan.heads["case/a"]?.version == 1)
    }

    @Test("idempotency: the same event twice in a batch is one entry and a duplicate receipt; the key reused with other content is refused")
    func idempotency() async throws {
        let start = try await Self.start()
        let f = start.fixture
        let event = try f.event(by: start.worker, stream: "case/a", idempotencyKey: "k1")
        let other = try f.event(by: start.worker, stream: "case/b", idempotencyKey: "k1")
        var planner = Self.planner(start)
        let plan = Self.plan(&planner, [[event], [event], [other]])
        let first = try #require(Self.accepted(plan.outcomes[0])?.first)
        let again = try #require(Self.accepted(plan.outcomes[1])?.first)
        #expect(!first.isDuplicate && again.isDuplicate && again.position == first.position)
        #expect(Self.rejected(plan.outcomes[2])?.code == .idempotencyConflict)
        #expect(plan.entries.count == 1)
        // An original found in the log before planning is answered the same way.
        var later = Self.planner(start, originals: [event.idempotencyReference: plan.entries[0]])
        let replay = Self.plan(&later, [[event]])
        #expect(Self.accepted(replay.outcomes[0])?.first?.isDuplicate == true)
        #expect(replay.entries.isEmpty)
    }

    @Test("the domain state follows the accepted requests only: a request the domain refuses part-way is unfolded")
    func domainRolledBack() async throws {
        let start = try await Self.start(domain: NoteRules())
        let f = start.fixture
        let committed = try #require(await f.ledger.domain as? NoteRules)
        var planner = Self.planner(start, domain: committed)
        let note = { (stream: String, text: String) in
            try f.event(by: start.worker, stream: stream, kind: "note", payload: Array(text.utf8))
        }
        let plan = Self.plan(
            &planner,
            [
                [try note("n/1", "ok")],
                [try note("n/2", "ok"), try note("n/2", "not ok")],  // the second refused by the domain
                [try note("n/3", "ok")],
            ])
        #expect(Self.accepted(plan.outcomes[0]) != nil && Self.rejected(plan.outcomes[1])?.code == .domainRule)
        #expect(Self.accepted(plan.outcomes[2]) != nil)
        let domain = try #require(planner.domain as? NoteRules)
        #expect(domain.notes == ["n/1": 1, "n/3": 1], "n/2's first note was unfolded")
        #expect(domain.nextPosition == plan.frontier.size)
    }

    @Test("an enrolment refused in a batch takes its registry change with it; one accepted is in the plan's registry")
    func registryRolledBack() async throws {
        let start = try await Self.start()
        let f = start.fixture
        let newcomer = FixtureKeys.key("w2")
        let enrol = try f.systemEvent(
            kind: SystemEvent.Kind.enrol, payload: SystemEvent.Enrol(actor: "w2", key: newcomer.publicKey, role: "worker", scope: "town"))
        var planner = Self.planner(start)
        let refused = Self.plan(&planner, [[enrol, try f.event(by: start.worker, stream: "case/x", expectedVersion: .exactly(3))]])
        #expect(Self.rejected(refused.outcomes[0]) != nil)
        #expect(refused.registry.actors["w2"] == nil)
        var again = Self.planner(start)
        let accepted = Self.plan(&again, [[enrol], [try f.event(by: newcomer, stream: "case/y")]])
        #expect(accepted.registry.actors["w2"] != nil)
        #expect(Self.accepted(accepted.outcomes[1]) != nil, "the newcomer signs in the same batch, after its enrolment")
    }
}

/// A domain whose fold always fails: the committed state falls back to the planner's.
struct FailingFold: LedgerDomain, Codable, Equatable {
    static let name = "failing-fold"
    var lastPosition: UInt64?
    var folded = 0
    func check(_ entry: LedgerEntry) throws(LedgerError) {}
    mutating func apply(_ entry: LedgerEntry) throws { throw LedgerError(.storeFailure, "cannot fold") }
}

@Suite("CommittedLedgerState: a plan adopted after its commit")
struct CommittedLedgerStateTests {
    @Test("adopting a plan: registry, frontier, time, stream heads, idempotency keys, checkpoint and domain all move to it")
    func adopts() async throws {
        let start = try await AppendPlannerTests.start(domain: NoteRules())
        let f = start.fixture
        let domain = try #require(await f.ledger.domain as? NoteRules)
        var state = CommittedLedgerState(
            registry: start.registry, frontier: start.frontier, lastRecordedAt: Timestamp(millisecondsSinceEpoch: 0),
            lastCheckpoint: (1, Timestamp(millisecondsSinceEpoch: 0)), checkpointFrontier: nil, domain: domain)
        var planner = AppendPlannerTests.planner(start, domain: domain)
        let event = try f.event(by: start.worker, stream: "n/1", kind: "note", payload: Array("ok".utf8))
        var plan = AppendPlannerTests.plan(&planner, [[event]])
        plan.checkpoint = StoredCheckpoint(size: plan.frontier.size, note: "a note")
        #expect(state.adopt(plan, streamCacheLimit: 10, plannedDomain: planner.domain) == nil)
        #expect(state.frontier == plan.frontier && state.lastRecordedAt == plan.recordedAt)
        #expect(state.streamCache["n/1"]?.version == 1)
        #expect(state.recentReferences.position(of: RecentReferences.key(event.idempotencyReference)) == plan.entries[0].position)
        #expect(state.lastCheckpoint.size == plan.frontier.size && state.checkpointFrontier == plan.frontier)
        #expect((state.domain as? NoteRules)?.notes == ["n/1": 1])
    }

    @Test("the stream cache is emptied before it would pass its limit; a domain that fails to fold gives way to the planned state")
    func limitsAndFallback() async throws {
        let start = try await AppendPlannerTests.start()
        let f = start.fixture
        var state = CommittedLedgerState(
            registry: start.registry, frontier: start.frontier, lastRecordedAt: Timestamp(millisecondsSinceEpoch: 0),
            lastCheckpoint: (1, Timestamp(millisecondsSinceEpoch: 0)), checkpointFrontier: nil, domain: FailingFold())
        state.streamCache = ["old/1": StreamHead(version: 1, place: "town"), "old/2": StreamHead(version: 1, place: "town")]
        var planner = AppendPlannerTests.planner(start)
        let plan = AppendPlannerTests.plan(&planner, [[try f.event(by: start.worker, stream: "new/1")]])
        let planned = FailingFold(lastPosition: 99, folded: 7)
        let error = state.adopt(plan, streamCacheLimit: 2, plannedDomain: planned)
        #expect(error != nil)
        #expect(state.domain as? FailingFold == planned)
        #expect(Set(state.streamCache.keys) == ["new/1"], "emptied, then the plan's heads")
    }
}
