import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import CivicLedgerTesting
import CivicSimulator
import Foundation
import PropertyBased
import Synchronization
import Testing

@Suite("Governance properties")
struct GovernancePropertyTests {
    static let actors = [
        "r1", "r2", "worker", "leader", "secretary", "street", "water-sun", "water-li", "power-wu", "committee", "supervisor", "p1",
    ]
    static let caseKinds = [
        GovernanceKind.accept, GovernanceKind.reject, GovernanceKind.approve, GovernanceKind.review, GovernanceKind.dispatch,
        GovernanceKind.deliveryFailed, GovernanceKind.deliveryRetried, GovernanceKind.acknowledge, GovernanceKind.progress,
        GovernanceKind.returned, GovernanceKind.extend, GovernanceKind.resolve, GovernanceKind.verify, GovernanceKind.close,
        GovernanceKind.rate, GovernanceKind.shelve, GovernanceKind.remind,
    ]

    /// A payload for `kind` drawn from `pick`: plausible, sometimes wrong.
    static func payload(_ kind: String, _ pick: Int) -> [UInt8] {
        switch kind {
        case GovernanceKind.approve: CaseApproval(skipsReview: pick % 3 == 0, note: "").encoded
        case GovernanceKind.dispatch:
            CaseDispatch(department: pick % 4 == 0 ? "power" : "water", deadlineMinutes: pick % 5 == 0 ? 60 : 10080).encoded
        case GovernanceKind.progress: CaseProgress(percent: UInt8(pick % 120), note: "p").encoded
        case GovernanceKind.extend: CaseExtension(minutes: UInt32(pick % 3 * 600), reason: "r").encoded
        case GovernanceKind.verify: CaseVerification(passed: pick % 4 != 0, note: "v").encoded
        case GovernanceKind.rate: CaseRating(rating: Rating(code: UInt8(pick % 3))!, controllable: pick % 2 == 0, comment: "").encoded
        default: CaseNote(pick % 3 == 0 ? "" : "because").encoded
        }
    }

    /// Appends one generated action, signed by a generated actor, with no
    /// command check: the ledger alone decides. Returns whether it went in.
    @discardableResult
    static func act(_ f: GovernanceFixture, _ action: [Int]) async throws -> Bool {
        let (kind, target, pick) = (action[0], action[2] % 4, action[3])
        let size = await f.ledger.size
        let state = try await f.state
        // Mostly the actor a step needs, sometimes anyone: the rules must hold either way.
        func someone(_ likely: [String]) -> String {
            action[1] % 5 == 0 ? actors[action[1] % actors.count] : likely[action[1] % likely.count]
        }
        /// A position from `positions` most of the time, else any.
        func position(_ positions: some Collection<UInt64>) -> UInt64 {
            let sorted = positions.sorted()
            return sorted.isEmpty || pick % 6 == 0 ? UInt64(pick) % max(1, size) : sorted[pick % sorted.count]
        }
        let resident = ["r1", "r2", "p1"][target % 3]
        var actor: String
        var content: (kind: String, stream: String, payload: [UInt8])
        switch kind % 26 {
        case 0...16:
            // Mostly a step that is legal from the case's state, so sequences go deep; sometimes any step.
            let legal = CaseLifecycle.legalSteps(from: state.board["case/c\(target)"]?.state).map(\.description).filter {
                $0 != GovernanceKind.report
            }
            let caseKind = pick % 4 == 0 || legal.isEmpty ? caseKinds[kind % 26] : legal[pick % 5 == 1 ? kind % legal.count : 0]
            var bytes = payload(caseKind, pick)
            if caseKind == GovernanceKind.dispatch, pick % 5 != 0, let record = state.board["case/c\(target)"], let rules = state.rules {
                bytes =
                    CaseDispatch(
                        department: pick % 4 == 0 ? "power" : "water",
                        deadlineMinutes: rules.deadline(for: record.urgency, mode: state.mode)
                    ).encoded
            }
            content = (caseKind, "case/c\(target)", bytes)
            switch caseKind {
            case GovernanceKind.accept, GovernanceKind.reject: actor = someone(["leader"])
            case GovernanceKind.approve: actor = someone(["secretary"])
            case GovernanceKind.review, GovernanceKind.dispatch, GovernanceKind.deliveryFailed, GovernanceKind.deliveryRetried,
                GovernanceKind.shelve:
                actor = someone(["street"])
            case GovernanceKind.verify: actor = someone(["leader", "worker", "water-sun"])
            case GovernanceKind.close: actor = someone(["secretary", "street"])
            case GovernanceKind.rate: actor = someone(["r1", "r2"])
            case GovernanceKind.remind: actor = someone(["supervisor"])
            default: actor = someone(["water-sun", "water-li", "power-wu"])
            }
        case 17, 18:
            actor = someone(["r1", "worker"])
            content = (
                GovernanceKind.report, "case/c\(target)",
                CaseReport(urgency: Urgency(code: UInt8(pick % 4))!, category: "drainage", source: .resident, summary: "s").encoded
            )
        case 19:
            actor = someone(["secretary"])
            content = (GovernanceKind.issue, GovernanceKind.communityStream, PointsAmount(amount: Int64(pick % 40) - 5, note: "n").encoded)
        case 20, 21:
            let rules = ["report", "care", "littering", "obstruction", "nope"]
            let rule = rules[pick % rules.count]
            let amount = Int64([3, 10, 10, 20, 7][pick % rules.count])
            let account: PointsAccount = pick % 5 >= 2 && pick % 5 <= 3 ? .reputation : .contribution
            let evidence = pick % 7 == 0 ? nil : position(state.evidence.keys)
            actor = someone(["leader", "secretary", "committee"])
            content = (
                kind % 26 == 20 ? GovernanceKind.award : GovernanceKind.deduct, "points/\(resident)",
                PointsMovement(account: account, amount: amount, rule: rule, evidence: evidence, reason: "r").encoded
            )
            // Mostly, an award that fits the evidence at hand, so that awards happen.
            if kind % 26 == 20, pick % 3 != 0, let found = evidence.flatMap({ state.evidence[$0] }), found.kind == .caseClosed {
                actor = someone(["leader", "secretary"])
                content = (
                    GovernanceKind.award, "points/\(found.subject)",
                    PointsMovement(account: .contribution, amount: 3, rule: "report", evidence: evidence, reason: "r").encoded
                )
            }
        case 22:
            actor = someone([resident])
            content = (
                GovernanceKind.appeal, "points/\(resident)",
                PointsAppeal(target: position(state.points.movementPositions), note: "g").encoded
            )
        case 23:
            actor = someone(["committee"])
            content = (
                GovernanceKind.appealDecision, "points/\(resident)",
                PointsAppeal(target: position(state.points.appeals.keys), upheld: pick % 2 == 0, note: "d").encoded
            )
        case 24:
            actor = someone([resident])
            content = (GovernanceKind.redeem, "points/\(resident)", PointsAmount(amount: Int64(pick % 4), note: "rice").encoded)
        default:
            f.clock.advance(milliseconds: Int64(pick % 72) * 3_600_000)
            if pick % 9 == 0 {
                actor = someone(["secretary"])
                content = (
                    GovernanceKind.mode, GovernanceKind.communityStream,
                    ModeChange(mode: pick % 2 == 0 ? .emergency : .peacetime, phase: .absorb, reason: "m").encoded
                )
            } else {
                return false
            }
        }
        let place: Place = content.stream == GovernanceKind.communityStream ? GovernanceFixture.community : GovernanceFixture.home
        let event = try SignedEvent(
            signing: EventContent(
                origin: GovernanceFixture.origin, stream: content.stream, place: place, expectedVersion: .any, kind: content.kind,
                payload: content.payload, actorKey: f.key(actor).publicKey, clientTime: f.clock.now(), idempotencyKey: UUID().uuidString),
            with: f.key(actor))
        do {
            _ = try await f.ledger.append(event)
            return true
        } catch is LedgerError {
            return false
        }
    }

    static let actions = Gen.int(in: 0...999).array(of: 4...4).array(of: 20...300)

    /// The case state machine as docs/format.md §10.2 states it, written
    /// out here apart from `CaseLifecycle` (the code under test), as
    /// tools/governance_rules.py writes it in Python: (state, step) → state.
    static let machine: [String: String] = [
        "-|report": "reported", "reported|accept": "accepted", "reported|reject": "rejected",
        "accepted|approve-emergency": "approved", "accepted|approve": "awaitingReview", "awaitingReview|review": "approved",
        "approved|dispatch": "dispatched", "returned|dispatch": "dispatched", "reopened|dispatch": "dispatched",
        "shelved|dispatch": "dispatched", "dispatched|delivery-failed": "dispatched", "dispatched|delivery-retried": "dispatched",
        "dispatched|acknowledge": "acknowledged", "dispatched|return": "returned", "acknowledged|return": "returned",
        "acknowledged|progress": "inProgress", "inProgress|progress": "inProgress", "dispatched|extend": "dispatched",
        "acknowledged|extend": "acknowledged", "inProgress|extend": "inProgress", "acknowledged|resolve": "resolved",
        "inProgress|resolve": "resolved", "resolved|verify-passed": "verified", "resolved|verify-failed": "reopened",
        "verified|close": "closed", "closed|rate": "rated", "closed|rate-reopens": "reopened",
    ]
    /// The open states (a case in one may be shelved) and those with a department (it may be reminded).
    static let open: Set<String> = [
        "reported", "accepted", "awaitingReview", "approved", "dispatched", "returned", "acknowledged", "inProgress", "resolved",
        "verified", "reopened",
    ]
    static let withDepartment: Set<String> = ["dispatched", "acknowledged", "inProgress"]

    /// The state after `entry` from `state` by ``machine``, or nil when the
    /// step is illegal; the step's name read from the kind and the payload.
    static func independentNext(_ state: String?, _ entry: LedgerEntry) throws -> String? {
        var step = String(entry.kind.dropFirst("case.".count))
        switch entry.kind {
        case GovernanceKind.approve where try CaseApproval(payload: entry.payload).skipsReview: step = "approve-emergency"
        case GovernanceKind.verify: step = try CaseVerification(payload: entry.payload).passed ? "verify-passed" : "verify-failed"
        case GovernanceKind.rate:
            let rating = try CaseRating(payload: entry.payload)
            if rating.rating == .dissatisfied && rating.controllable { step = "rate-reopens" }
        case GovernanceKind.shelve: return state.map { open.contains($0) } == true ? "shelved" : nil
        case GovernanceKind.remind: return state.map { withDepartment.contains($0) } == true ? state : nil
        default: break
        }
        return machine["\(state ?? "-")|\(step)"]
    }

    /// Across every run of the property: the (state, kind) pairs the ledger
    /// accepted, and how many generated commands it accepted.
    static let reached = Mutex<Set<String>>([])
    static let counts = Mutex<(accepted: Int, generated: Int)>((0, 0))

    @Test("no generated sequence of commands reaches an illegal case state, and points are conserved after any of them")
    func generatedSequences() async throws {
        await propertyCheck(count: 40, input: Self.actions) { actions in
            let f = try await GovernanceFixture.make()
            var accepted = 0
            for action in actions where try await Self.act(f, action) { accepted += 1 }
            let state = try await f.state
            Self.counts.withLock { $0.accepted += accepted; $0.generated += actions.count }
            // Every case's stored steps, replayed through the machine of docs/format.md §10.2 written out above
            // (not CaseLifecycle, which admitted them), are legal and end where the board says.
            for (stream, record) in state.board.cases {
                var caseState: String?
                for stored in try await f.store.entries(inStream: stream, fromVersion: 1, limit: 10_000) {
                    let entry = try LedgerEntry(bytes: stored.bytes)
                    let next = try Self.independentNext(caseState, entry)
                    #expect(next != nil, "\(stream): \(entry.kind) from \(caseState ?? "nothing") is not in §10.2")
                    Self.reached.withLock { _ = $0.insert("\(caseState ?? "-")|\(entry.kind)") }
                    caseState = next
                }
                #expect(caseState == record.state.rawValue)
            }
            #expect(
                state.points.isConserved,
                "pool \(state.points.pool), accounts \(state.points.accountsTotal), issued \(state.points.totals.issued)")
            #expect(state.points.pool >= 0)
            // And an independent replay with the rules finds no broken rule:
            // at most warnings that a case went overdue and nobody reminded
            // (the generated commands send reminders only by chance).
            let report = try await LedgerVerifier(store: f.store, clock: f.clock, domain: GovernanceState()).verify()
            let broken = report.findings.filter { $0.code != .overdueUnreminded }
            #expect(broken.isEmpty && report.omittedFindings == 0, "\(broken.prefix(3))")
            #expect(report.findings.allSatisfy { $0.severity == .warning })
            if ProcessInfo.processInfo.environment["PROPERTY_STATS"] != nil {
                print(
                    "accepted \(accepted) of \(actions.count); cases \(state.board.cases.count) \(state.board.cases.values.map(\.state.rawValue).sorted()); points \(state.points.totals)"
                )
            }
        }
        // The generator mostly proposes legal steps: runs where the ledger refused
        // nearly everything would test nothing (about a fifth is accepted).
        let counts = Self.counts.withLock { $0 }
        #expect(counts.accepted * 10 >= counts.generated, "only \(counts.accepted) of \(counts.generated) generated commands were accepted")
        // The runs went deep: the loop's main steps were each accepted somewhere.
        let reached = Self.reached.withLock { $0 }
        for step in [
            "-|case.report", "reported|case.accept", "accepted|case.approve", "awaitingReview|case.review", "approved|case.dispatch",
            "dispatched|case.acknowledge", "acknowledged|case.resolve", "resolved|case.verify", "verified|case.close", "closed|case.rate",
        ] {
            #expect(reached.contains(step), "no generated sequence took \(step)")
        }
    }

    /// A small simulated community in a SQLite file, shared by the rebuild properties.
    static let simulated: Task<(InMemoryEventStore, UInt64), any Error> = Task {
        try await simulate(residents: 120, days: 50)
    }

    /// A simulated community of `residents` over `days`, in memory, and
    /// its size.
    static func simulate(residents: Int, days: Int) async throws -> (InMemoryEventStore, UInt64) {
        var profile = CommunityProfile()
        profile.residents = residents
        profile.partyMembers = max(3, residents / 20)
        profile.volunteers = max(2, residents / 40)
        profile.days = days
        let store = InMemoryEventStore()
        let (ledger, _) = try await CommunitySimulator(profile: profile).run(
            store: store, vault: InMemoryKeyVault(), logSigner: FixtureKeys.key("log"))
        return (store, await ledger.size)
    }

    static func rebuildProperty<P: Projection & Equatable>(_ type: P.Type) async throws {
        let (store, size) = try await simulated.value
        var scratch = P()
        for try await page in EntryPages(store: store) { for entry in page { try scratch.fold(entry) } }
        #expect(scratch.nextPosition == size)
        await propertyCheck(count: 12, input: Gen.int(in: 0...Int(size))) { split in
            var first = P()
            for try await page in EntryPages(store: store, to: UInt64(split)) { for entry in page { try first.fold(entry) } }
            var resumed = try P(snapshotData: try first.snapshotData())
            for try await page in EntryPages(store: store, from: UInt64(split)) { for entry in page { try resumed.fold(entry) } }
            #expect(resumed == scratch, "\(P.name) split at \(split)")
        }
    }

    @Test("every projection rebuilt from scratch equals the one built incrementally through a snapshot, for any split point")
    func rebuildEqualsIncremental() async throws {
        try await Self.rebuildProperty(CaseBoard.self)
        try await Self.rebuildProperty(PointsBalances.self)
        try await Self.rebuildProperty(ResidentArchive.self)
        try await Self.rebuildProperty(VisitSchedule.self)
        try await Self.rebuildProperty(VolunteerRecord.self)
        try await Self.rebuildProperty(SupplyStock.self)
        try await Self.rebuildProperty(CaseDossier.self)
        try await Self.rebuildProperty(GovernanceState.self)
    }

    @Test("the simulated community's state equals the state the ledger keeps and a fresh replay builds, and its log audits clean")
    func simulatorMatchesLedger() async throws {
        let (store, size) = try await Self.simulated.value
        let reopened = try await GovernanceLedger.open(store: store)
        let state = try await GovernanceLedger.state(of: reopened)
        #expect(state.nextPosition == size)
        #expect(state.points.isConserved)
        #expect(state.board.cases.count > 20)
        #expect(state.modeChanges.map(\.phase) == [.absorb, .recover, .adapt, .plan])
        let report = try await LedgerVerifier(store: store, domain: GovernanceState()).verify()
        #expect(report.isClean, "\(report.findings.prefix(3))")
    }
}

@Suite("Governance audit of projection snapshots")
struct GovernanceSnapshotAuditTests {
    /// Folds `type` over the first `position` entries of `store`, with
    /// `extra` more entries folded in when it should be wrong, and saves
    /// it as the snapshot at `position`.
    static func save<P: Projection>(_ type: P.Type, _ store: InMemoryEventStore, at position: UInt64, extra: UInt64 = 0) async throws {
        var projection = P()
        for try await page in EntryPages(store: store, to: position + extra) { for entry in page { try projection.fold(entry) } }
        projection.lastPosition = position - 1
        let data = try projection.snapshotData()
        try await store.saveSnapshot(ProjectionSnapshot(name: P.name, position: position, digest: SHA256.hash(data), data: data))
    }

    static func save<P: Projection>(dynamic type: P.Type, _ store: InMemoryEventStore, at position: UInt64) async throws {
        try await save(type, store, at: position)
    }

    @Test("snapshots taken mid-log are compared, those the domain state holds and the others; a wrong one is reported by name")
    func midLogSnapshots() async throws {
        let (store, size) = try await GovernancePropertyTests.simulate(residents: 60, days: 20)
        let middle = size / 2
        for type in GovernanceProjections.all { try await Self.save(dynamic: type, store, at: middle) }
        let auditor = Auditor(store: store, domain: GovernanceState(), projections: GovernanceProjections.all)
        let honest = try await auditor.audit()
        #expect(honest.findings.filter { $0.severity != .warning }.isEmpty, "\(honest.findings.prefix(3))")
        #expect(honest.snapshotsChecked == GovernanceProjections.all.count)

        // The case board (held by the domain state) and the dossier (folded
        // on its own), each saved with a few more cases than it claims.
        try await Self.save(CaseBoard.self, store, at: middle, extra: 40)
        try await Self.save(CaseDossier.self, store, at: middle, extra: 40)
        let report = try await auditor.audit()
        let mismatches = report.findings.filter { $0.code == .snapshotMismatch }
        #expect(mismatches.count == 2)
        #expect(mismatches.allSatisfy { $0.position == middle - 1 })
        #expect(mismatches.contains { $0.message.contains(CaseBoard.name) })
        #expect(mismatches.contains { $0.message.contains(CaseDossier.name) })
    }
}

@Suite("Projection snapshots as canonical JSON")
struct CanonicalSnapshotTests {
    /// Folds `type` over the whole log and checks its snapshot form.
    static func check<P: Projection>(_ type: P.Type, _ store: InMemoryEventStore) async throws {
        var projection = P()
        for try await page in EntryPages(store: store) { for entry in page { try projection.fold(entry) } }
        let data = try projection.snapshotData()
        // Read back by Foundation and by the projection: the same state,
        // which encodes to the same bytes (dictionaries rebuilt in another
        // order included).
        #expect(try JSONSerialization.jsonObject(with: Data(data)) is [String: Any], "\(P.name)")
        let restored = try P(snapshotData: data)
        #expect(restored as? AnyHashable == projection as? AnyHashable, "\(P.name)")
        #expect(try restored.snapshotData() == data, "\(P.name)")
        // The streamed digest is the digest of the data.
        #expect(try projection.snapshotDigest() == SHA256.hash(data), "\(P.name)")
    }

    static func check<P: Projection>(dynamic type: P.Type, _ store: InMemoryEventStore) async throws {
        try await check(type, store)
    }

    @Test("every governance projection: valid JSON, restored equal, re-encoded to the same bytes, digest streamed right")
    func everyProjection() async throws {
        let (store, _) = try await GovernancePropertyTests.simulate(residents: 60, days: 20)
        for type in GovernanceProjections.all { try await Self.check(dynamic: type, store) }
        // The domain state keeps its compact form; its digest is of that.
        var state = GovernanceState()
        for try await page in EntryPages(store: store) { for entry in page { try state.fold(entry) } }
        #expect(try state.snapshotDigest() == SHA256.hash(try state.snapshotData()))
    }

    @Test("a snapshot an earlier version wrote (JSONEncoder, sorted keys) is compared as a value: clean when right, found when wrong")
    func earlierEncoding() async throws {
        let (store, size) = try await GovernancePropertyTests.simulate(residents: 60, days: 20)
        let middle = size / 2
        func saveSorted<P: Projection & Encodable>(_ projection: P) async throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = Array(try encoder.encode(projection))
            #expect(try data != projection.snapshotData(), "the two encodings differ, so the value comparison is what passes")
            try await store.saveSnapshot(ProjectionSnapshot(name: P.name, position: middle, digest: SHA256.hash(data), data: data))
        }
        var points = PointsBalances()
        for try await page in EntryPages(store: store, to: middle) { for entry in page { try points.fold(entry) } }
        try await saveSorted(points)
        let auditor = Auditor(store: store, domain: GovernanceState(), projections: [PointsBalances.self])
        let honest = try await auditor.audit()
        #expect(honest.snapshotsChecked == 1)
        #expect(!honest.findings.contains { $0.code == .snapshotMismatch }, "\(honest.findings.prefix(3))")

        var wrong = points
        for try await page in EntryPages(store: store) {
            for entry in page where entry.position >= middle { try wrong.fold(entry) }
        }
        wrong.lastPosition = middle - 1
        #expect(wrong != points)
        try await saveSorted(wrong)
        let report = try await auditor.audit()
        #expect(report.findings.filter { $0.code == .snapshotMismatch }.count == 1)
    }

    @Test("the case dossier's arrays give every case's steps in log order, and it reads the form before them (steps by case)")
    func dossierForms() async throws {
        let (store, _) = try await GovernancePropertyTests.simulate(residents: 60, days: 20)
        var dossier = CaseDossier()
        var expected: [String: [CaseDossier.Step]] = [:]
        for try await page in EntryPages(store: store) {
            for entry in page {
                try dossier.fold(entry)
                if let code = GovernanceKind.code(of: entry), code.isCaseStep {
                    expected[entry.stream, default: []].append(
                        CaseDossier.Step(position: entry.position, kind: entry.kind, actor: entry.actorKey, recordedAt: entry.recordedAt))
                }
            }
        }
        #expect(expected.count > 20)
        #expect(dossier.cases == expected)
        #expect(dossier.stepCount == expected.values.map(\.count).reduce(0, +))
        for (stream, steps) in expected { #expect(dossier[stream] == steps) }
        #expect(dossier["case/none"].isEmpty)

        struct Before: Encodable {
            var lastPosition: UInt64?
            var cases: [String: [CaseDossier.Step]]
        }
        let old = try JSONEncoder().encode(Before(lastPosition: dossier.lastPosition, cases: expected))
        let read = try CaseDossier(snapshotData: Array(old))
        #expect(read == dossier)
        #expect(try read.snapshotData() == dossier.snapshotData())

        // A step naming a case or an actor the snapshot does not list is refused.
        let text = String(decoding: try dossier.snapshotData(), as: UTF8.self)
        let broken = text.replacingOccurrences(of: #""steps":[0,"#, with: #""steps":[99999,"#)
        #expect(broken != text)
        #expect(throws: DecodingError.self) { try CaseDossier(snapshotData: Array(broken.utf8)) }
    }
}
