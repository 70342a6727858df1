import CivicGovernance
import CivicLedger
import CivicLedgerTesting
import Foundation

/// A governance ledger in memory with one actor per role, keys derived from
/// names, and a clock tests move by hand.
struct GovernanceFixture {
    let ledger: Ledger
    let store: InMemoryEventStore
    let clock: ManualClock
    let authority: SigningKey
    let commands: GovernanceCommands
    let vault = InMemoryKeyVault()

    static let origin = "ledger.test/dongsheng"
    static let community: Place = "zhuji/dongsheng"
    static let grid: Place = "zhuji/dongsheng/grid-03"
    static let home: Place = "zhuji/dongsheng/grid-03/mg-1"

    /// Actor id, role, scope.
    static let actors: [(String, String, Place)] = [
        ("worker", "grid-worker", grid), ("worker-2", "grid-worker", grid), ("leader", "grid-leader", grid),
        ("secretary", "community-secretary", community), ("street", "street-office", "zhuji"),
        ("water-sun", "department-staff", "zhuji"), ("water-li", "department-staff", "zhuji"), ("power-wu", "department-staff", "zhuji"),
        ("r1", "resident", home), ("r2", "resident", home), ("committee", "points-committee", community),
        ("supervisor", "supervisor", "zhuji"), ("p1", "party-member", community),
    ]

    static var rules: GovernanceRules {
        var rules = GovernanceRules.defaults(community: community, name: "东盛村")
        rules.departments = [
            "water": .init(name: "水务 water", staff: ["water-sun", "water-li"]),
            "power": .init(name: "供电 power", staff: ["power-wu"]),
        ]
        return rules
    }

    /// With `recordingDomain` off, the genesis does not name the domain, as
    /// in ledgers made before it did: such a ledger can still be opened
    /// without its domain and written to.
    static func make(store: InMemoryEventStore = InMemoryEventStore(), recordingDomain: Bool = true) async throws -> GovernanceFixture {
        let clock = ManualClock()
        let authority = FixtureKeys.key("authority")
        let ledger: Ledger
        if recordingDomain {
            ledger = try await GovernanceLedger.create(
                store: store, origin: origin, authority: authority, logSigner: FixtureKeys.key("log"), rules: rules, clock: clock)
        } else {
            _ = try await Ledger.create(
                store: store, origin: origin, authority: authority, logSigner: FixtureKeys.key("log"), permissions: GovernancePermissions.defaults,
                clock: clock)
            ledger = try await GovernanceLedger.open(store: store, logSigner: FixtureKeys.key("log"), clock: clock)
            _ = try await ledger.append(
                try GovernanceCommands(origin: origin).setRules(
                    rules, by: authority, state: try await GovernanceLedger.state(of: ledger), at: clock.now(), idempotencyKey: "rules-1"))
        }
        let fixture = GovernanceFixture(ledger: ledger, store: store, clock: clock, authority: authority, commands: GovernanceCommands(origin: origin))
        let enrolments = try actors.map { actor, role, scope in
            try SignedEvent(
                signing: SystemEvent.content(
                    origin: origin, kind: SystemEvent.Kind.enrol,
                    payload: SystemEvent.Enrol(actor: actor, key: FixtureKeys.key(actor).publicKey, role: role, scope: scope),
                    actorKey: authority.publicKey, clientTime: clock.now(), idempotencyKey: "enrol-\(actor)"),
                with: authority)
        }
        _ = try await ledger.append(batch: enrolments)
        // The resident who is also a volunteer.
        _ = try await ledger.append(
            try SignedEvent(
                signing: SystemEvent.content(
                    origin: origin, kind: SystemEvent.Kind.enrol,
                    payload: SystemEvent.Enrol(actor: "p1", key: FixtureKeys.key("p1").publicKey, role: "resident", scope: home),
                    actorKey: authority.publicKey, clientTime: clock.now(), idempotencyKey: "enrol-p1-resident"),
                with: authority))
        return fixture
    }

    func key(_ actor: String) -> SigningKey { FixtureKeys.key(actor) }

    var state: GovernanceState {
        get async throws { try await GovernanceLedger.state(of: ledger) }
    }

    /// Builds a command against the current state, appends it, returns the receipt.
    @discardableResult
    func run(_ build: (GovernanceCommands, GovernanceState, Timestamp) throws -> SignedEvent) async throws -> AppendReceipt {
        let state = try await self.state
        return try await ledger.append(try build(commands, state, clock.now()))
    }

    /// Signs an event directly, with no command check, for append-time refusals.
    func raw(
        _ actor: String, kind: String, stream: String, place: Place, expected: ExpectedVersion = .any, version: UInt32? = nil,
        payload: some GovernancePayload
    ) throws -> SignedEvent {
        try SignedEvent(
            signing: EventContent(
                origin: Self.origin, stream: stream, place: place, expectedVersion: expected, kind: kind,
                schemaVersion: version ?? GovernancePayloadForms.newestVersion(of: kind), payload: payload.encoded,
                actorKey: key(actor).publicKey, clientTime: clock.now(), idempotencyKey: UUID().uuidString),
            with: key(actor))
    }

    /// Runs a case from report to `until` (inclusive) along the peacetime
    /// path, resolved by water-sun, verified by the leader.
    func caseThrough(_ id: String, until: CaseState, urgency: Urgency = .general) async throws {
        let path: [(CaseState, (GovernanceCommands, GovernanceState, Timestamp) throws -> SignedEvent)] = [
            (.reported, { try $0.report(case: id, in: Self.home, urgency: urgency, category: "drainage", source: .resident, summary: "blocked drain", by: key("r1"), state: $1, at: $2) }),
            (.accepted, { try $0.accept(case: id, by: key("leader"), state: $1, at: $2) }),
            (.awaitingReview, { try $0.approve(case: id, by: key("secretary"), state: $1, at: $2) }),
            (.approved, { try $0.step(GovernanceKind.review, case: id, by: key("street"), state: $1, at: $2) }),
            (.dispatched, { try $0.dispatch(case: id, to: "water", by: key("street"), state: $1, at: $2) }),
            (.acknowledged, { try $0.step(GovernanceKind.acknowledge, case: id, by: key("water-sun"), state: $1, at: $2) }),
            (.resolved, { try $0.step(GovernanceKind.resolve, case: id, note: "cleared", by: key("water-sun"), state: $1, at: $2) }),
            (.verified, { try $0.verify(case: id, passed: true, note: "looked", by: key("leader"), state: $1, at: $2) }),
            (.closed, { try $0.step(GovernanceKind.close, case: id, note: "done", by: key("secretary"), state: $1, at: $2) }),
        ]
        for (state, build) in path {
            try await run(build)
            if state == until { return }
        }
    }
}
