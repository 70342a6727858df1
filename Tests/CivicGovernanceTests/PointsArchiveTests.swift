import CivicGovernance
import CivicLedger
import CivicLedgerTesting
import CivicReporting
import Synchronization
import Testing

@Suite("Points, archives, volunteer tasks and supplies")
struct PointsArchiveTests {

    /// A fixture with 100 points in the pool and one closed case reported by r1.
    static func withPool() async throws -> (GovernanceFixture, closedAt: UInt64) {
        let f = try await GovernanceFixture.make()
        try await f.run { try $0.issue(100, note: "2026 budget", by: f.key("secretary"), state: $1, at: $2) }
        try await f.caseThrough("c1", until: .closed)
        let position = await f.ledger.size - 1
        return (f, position)
    }

    @Test("an award cites a rule, evidence crediting the resident, and a grantor the rule names; points are conserved")
    func awards() async throws {
        let (f, closed) = try await Self.withPool()
        await CaseRuleTests.refused(.domainRule, "there is no points rule \"bravery\"") {
            _ = try await f.ledger.append(
                try f.raw("leader", kind: GovernanceKind.award, stream: "points/r1", place: GovernanceFixture.home,
                    payload: PointsMovement(account: .contribution, amount: 3, rule: "bravery", evidence: closed, reason: "x")))
        }
        await CaseRuleTests.refused(.domainRule, "cites evidence") {
            _ = try await f.ledger.append(
                try f.raw("leader", kind: GovernanceKind.award, stream: "points/r1", place: GovernanceFixture.home,
                    payload: PointsMovement(account: .contribution, amount: 3, rule: "report", evidence: nil, reason: "x")))
        }
        await CaseRuleTests.refused(.domainRule, "rule report moves 3 contribution points, not 30") {
            _ = try await f.ledger.append(
                try f.raw("leader", kind: GovernanceKind.award, stream: "points/r1", place: GovernanceFixture.home,
                    payload: PointsMovement(account: .contribution, amount: 30, rule: "report", evidence: closed, reason: "x")))
        }
        await CaseRuleTests.refused(.domainRule, "crediting r1; rule report needs a case-closed crediting r2") {
            try await f.run { try $0.award("r2", rule: "report", evidence: closed, reason: "not theirs", by: f.key("leader"), state: $1, at: $2) }
        }
        await CaseRuleTests.refused(.wrongActor, "rule report is granted by grid-leader or community-secretary") {
            try await f.run { try $0.award("r1", rule: "report", evidence: closed, reason: "x", by: f.key("worker"), state: $1, at: $2) }
        }
        try await f.run { try $0.award("r1", rule: "report", evidence: closed, reason: "drain", by: f.key("leader"), state: $1, at: $2) }
        await CaseRuleTests.refused(.domainRule, "r1 was already awarded report for the evidence") {
            try await f.run { try $0.award("r1", rule: "report", evidence: closed, reason: "again", by: f.key("secretary"), state: $1, at: $2) }
        }
        let points = try await f.state.points
        #expect(points.balance(of: "r1").contribution == 3)
        #expect(points.pool == 97)
        #expect(points.isConserved)
    }

    @Test("a rule's monthly cap holds, and resets the next month")
    func caps() async throws {
        let (f, _) = try await Self.withPool()
        // The report rule: 3 points, 15 a month. Six closed cases give six pieces of evidence.
        var evidence: [UInt64] = []
        for index in 2...7 {
            try await f.caseThrough("c\(index)", until: .closed)
            evidence.append(await f.ledger.size - 1)
        }
        for position in evidence.prefix(5) {
            try await f.run { try $0.award("r1", rule: "report", evidence: position, reason: "report", by: f.key("leader"), state: $1, at: $2) }
        }
        await CaseRuleTests.refused(.capExceeded, "r1 has 15 of the 15 points rule report allows") {
            try await f.run { try $0.award("r1", rule: "report", evidence: evidence[5], reason: "sixth", by: f.key("leader"), state: $1, at: $2) }
        }
        f.clock.advance(milliseconds: 31 * 86_400_000)
        try await f.run { try $0.award("r1", rule: "report", evidence: evidence[5], reason: "next month", by: f.key("leader"), state: $1, at: $2) }
        #expect(try await f.state.points.balance(of: "r1").contribution == 18)
    }

    @Test("the pool cannot go below zero: an award needs the points issued first")
    func poolLimits() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .closed)
        let closed = await f.ledger.size - 1
        await CaseRuleTests.refused(.insufficient, "the community pool holds 0 points") {
            try await f.run { try $0.award("r1", rule: "report", evidence: closed, reason: "x", by: f.key("leader"), state: $1, at: $2) }
        }
    }

    @Test("a deduction cites a deduction rule; an upheld appeal appends a reversal; a suspending violation stops redemption for the year")
    func deductionsAppealsRedemption() async throws {
        let (f, closed) = try await Self.withPool()
        try await f.run { try $0.award("r1", rule: "report", evidence: closed, reason: "drain", by: f.key("leader"), state: $1, at: $2) }
        await CaseRuleTests.refused(.domainRule, "rule report is an award, not a deduction") {
            try await f.run { try $0.deduct("r1", rule: "report", reason: "x", by: f.key("secretary"), state: $1, at: $2) }
        }
        let littering = try await f.run { try $0.deduct("r1", rule: "littering", reason: "bottle from 9th floor", by: f.key("secretary"), state: $1, at: $2) }
        #expect(try await f.state.points.balance(of: "r1").reputation == -10)
        await CaseRuleTests.refused(.wrongActor, "only r1 appeals") {
            try await f.run { try $0.appeal("r1", target: littering.position, grounds: "not me", by: f.key("r2"), state: $1, at: $2) }
        }
        let appeal = try await f.run { try $0.appeal("r1", target: littering.position, grounds: "it was the wind", by: f.key("r1"), state: $1, at: $2) }
        try await f.run { try $0.decideAppeal("r1", appeal: appeal.position, upheld: true, reasoning: "CCTV shows the wind", by: f.key("committee"), state: $1, at: $2) }
        var points = try await f.state.points
        #expect(points.balance(of: "r1").reputation == 0)
        #expect(points.totals.reversed == -10)
        #expect(points.isConserved)
        await CaseRuleTests.refused(.domainRule, "was already decided") {
            try await f.run { try $0.decideAppeal("r1", appeal: appeal.position, upheld: false, reasoning: "again", by: f.key("committee"), state: $1, at: $2) }
        }

        try await f.run { try $0.redeem("r1", amount: 2, item: "rice", by: f.key("r1"), state: $1, at: $2) }
        await CaseRuleTests.refused(.insufficient, "r1 has 1 contribution points") {
            try await f.run { try $0.redeem("r1", amount: 2, item: "oil", by: f.key("r1"), state: $1, at: $2) }
        }
        try await f.run { try $0.deduct("r1", rule: "obstruction", reason: "blocked the sandbag truck", by: f.key("committee"), state: $1, at: $2) }
        await CaseRuleTests.refused(.domainRule, "r1's redemption is suspended for 2026") {
            try await f.run { try $0.redeem("r1", amount: 1, item: "rice", by: f.key("r1"), state: $1, at: $2) }
        }
        points = try await f.state.points
        #expect(points.totals.redeemed == 2)
        #expect(points.isConserved)
    }

    @Test("the year's close expires unspent contribution points to the pool, once, after the year ends")
    func periodClose() async throws {
        let (f, closed) = try await Self.withPool()
        try await f.run { try $0.award("r1", rule: "report", evidence: closed, reason: "drain", by: f.key("leader"), state: $1, at: $2) }
        await CaseRuleTests.refused(.deadline, "the year 2026 has not ended") {
            try await f.run { try $0.closeYear(2026, by: f.key("secretary"), state: $1, at: $2) }
        }
        f.clock.advance(milliseconds: 366 * 86_400_000)
        try await f.run { try $0.closeYear(2026, by: f.key("secretary"), state: $1, at: $2) }
        let points = try await f.state.points
        #expect(points.balance(of: "r1").contribution == 0)
        #expect(points.totals.expired == 3)
        #expect(points.pool == 100)
        #expect(points.isConserved)
        await CaseRuleTests.refused(.domainRule, "the year 2026 is already closed") {
            try await f.run { try $0.closeYear(2026, by: f.key("secretary"), state: $1, at: $2) }
        }
    }

    @Test("personal fields are revealed by one library call that checks the reader first: no key is fetched for a reader who may not see them")
    func revealChecksFirst() async throws {
        let f = try await GovernanceFixture.make()
        let key = try await f.vault.key(for: "r1")
        try await f.run {
            try $0.register(
                "r1", household: "hh-7-301", in: GovernanceFixture.home, level: .orange, tags: [], name: "王秀英",
                phone: "13800000000", address: "7-301", key: key, by: f.key("worker"), state: $1, at: $2)
        }
        let state = try await f.state
        let sealed = try #require(state.archive["r1"]?.sealed)
        let vault = CountingVault(base: f.vault)
        // A volunteer may not: refused before the vault is asked for a key.
        await #expect(throws: LedgerError.self) {
            _ = try await PersonalFieldReaders.reveal(
                "r1", sealed: sealed, origin: GovernanceFixture.origin, to: f.key("committee").publicKey, in: state.registry, vault: vault)
        }
        #expect(vault.fetched.withLock { $0 } == 0)
        // A grid worker may, and so may the resident.
        for reader in ["worker", "r1"] {
            let fields = try await PersonalFieldReaders.reveal(
                "r1", sealed: sealed, origin: GovernanceFixture.origin, to: f.key(reader).publicKey, in: state.registry, vault: vault)
            #expect(fields["name"] == "王秀英" && fields["phone"] == "13800000000" && fields["address"] == "7-301")
        }
        #expect(vault.fetched.withLock { $0 } == 2)
    }

    @Test("personal fields are sealed before signing; erasure destroys the key, the log still verifies, and the resident shows as erased")
    func archivesAndErasure() async throws {
        let f = try await GovernanceFixture.make()
        let key = try await f.vault.key(for: "r1")
        let registration = try await f.run {
            try $0.register(
                "r1", household: "hh-7-301", in: GovernanceFixture.home, level: .orange, tags: ["elderly-alone"], name: "王秀英",
                phone: "13800000000", address: "7-301", key: key, by: f.key("worker"), state: $1, at: $2)
        }
        let stored = try #require(try await f.ledger.entries(from: registration.position, limit: 1).first)
        #expect(!stored.bytes.contains(subsequence: Array("王秀英".utf8)))
        let record = try #require(try await f.state.archive["r1"])
        let context = SealedContact.context(origin: GovernanceFixture.origin, resident: "r1", field: "name")
        #expect(try SealedField(bytes: record.sealed!.name).open(with: key, context: context) == "王秀英")
        #expect(try SealedField(bytes: record.sealed!.name).open(with: FieldKey.generate(), context: context) == nil)
        #expect(try SealedField(bytes: record.sealed!.name).open(with: key, context: context + "x") == nil)

        try await f.run { try $0.visit("r1", note: "knee pain, needs stairs help", key: key, by: f.key("worker"), state: $1, at: $2) }
        try await f.run { try $0.health("r1", .followup, note: "blood pressure 150/95", key: key, by: f.key("worker"), state: $1, at: $2) }
        #expect(try await f.state.archive["r1"]?.visits == 1)
        #expect(try await f.state.archive["r1"]?.healthEntries == 1)

        let state = try await f.state
        _ = try await f.ledger.append(
            try await Erasure.erase("r1", reason: "moved away; asked for deletion (PIPL art. 47)", vault: f.vault, commands: f.commands, by: f.key("secretary"), state: state, at: f.clock.now()))
        #expect(await f.vault.isErased("r1"))
        #expect(await f.vault.existingKey(for: "r1") == nil)
        await #expect(throws: LedgerError.self) { try await f.vault.key(for: "r1") }
        let erased = try #require(try await f.state.archive["r1"])
        #expect(erased.isErased)
        #expect(erased.sealed == nil)
        await CaseRuleTests.refused(.erased, "r1 was erased") {
            try await f.run { try $0.visit("r1", note: "x", key: key, by: f.key("worker"), state: $1, at: $2) }
        }
        let report = try await LedgerVerifier(store: f.store, clock: f.clock, domain: GovernanceState()).verify()
        #expect(report.isClean, "\(report.findings)")
    }

    @Test("visits fall due by tag and level; the schedule lists the overdue")
    func visitSchedule() async throws {
        let f = try await GovernanceFixture.make()
        let key = FieldKey.generate()
        for (resident, tags, level) in [("r1", ["elderly-alone"], RiskLevel.green), ("r2", [], .green), ("p1", [], .orange)] {
            try await f.run {
                try $0.register(resident, household: "hh-\(resident)", in: GovernanceFixture.home, level: level, tags: tags, name: "n", phone: "p", address: "a", key: key, by: f.key("worker"), state: $1, at: $2)
            }
        }
        var schedule = VisitSchedule()
        for entry in try await f.ledger.entries(from: 0, limit: 1000) { try schedule.fold(entry) }
        #expect(schedule.schedule["r1"]?.intervalDays == 30)
        #expect(schedule.schedule["p1"]?.intervalDays == 90)
        #expect(schedule.schedule["r2"]?.intervalDays == 365)
        let later = f.clock.now().adding(milliseconds: 31 * 86_400_000)
        #expect(schedule.overdue(at: later).map(\.resident) == ["r1"])
    }

    @Test("a volunteer task is claimed, done, confirmed by its organiser, and counts toward the member's year")
    func volunteerTasks() async throws {
        let (f, _) = try await Self.withPool()
        try await f.run { try $0.post(task: "t1", in: GovernanceFixture.home, category: "elderly-visit", title: "陪王奶奶看病", by: f.key("leader"), state: $1, at: $2) }
        // The leader also volunteers, so the permission table lets them claim; the domain still refuses their own task.
        _ = try await f.ledger.append(
            try SignedEvent(
                signing: SystemEvent.content(
                    origin: GovernanceFixture.origin, kind: SystemEvent.Kind.enrol,
                    payload: SystemEvent.Enrol(actor: "leader", key: f.key("leader").publicKey, role: "volunteer", scope: GovernanceFixture.grid),
                    actorKey: f.authority.publicKey, clientTime: f.clock.now(), idempotencyKey: "leader-volunteer"),
                with: f.authority))
        await CaseRuleTests.refused(.wrongActor, "its organiser cannot claim it") {
            try await f.run { try $0.task(GovernanceKind.claim, task: "t1", by: f.key("leader"), state: $1, at: $2) }
        }
        try await f.run { try $0.task(GovernanceKind.claim, task: "t1", by: f.key("p1"), state: $1, at: $2) }
        await CaseRuleTests.refused(.wrongActor, "only its volunteer reports it done") {
            try await f.run { try $0.task(GovernanceKind.complete, task: "t1", by: f.key("r1"), state: $1, at: $2) }
        }
        try await f.run { try $0.task(GovernanceKind.complete, task: "t1", by: f.key("p1"), state: $1, at: $2) }
        await CaseRuleTests.refused(.wrongActor, "its organiser leader confirms it") {
            try await f.run { try $0.task(GovernanceKind.confirm, task: "t1", by: f.key("worker"), state: $1, at: $2) }
        }
        let confirmed = try await f.run { try $0.task(GovernanceKind.confirm, task: "t1", by: f.key("leader"), state: $1, at: $2) }
        try await f.run { try $0.award("p1", rule: "care", evidence: confirmed.position, reason: "visit", by: f.key("leader"), state: $1, at: $2) }
        let state = try await f.state
        #expect(state.volunteers.completed(by: f.key("p1").publicKey, in: 2026) == 1)
        #expect(state.points.balance(of: "p1").contribution == 10)
    }

    @Test("supplies stock cannot go below zero")
    func supplies() async throws {
        let f = try await GovernanceFixture.make()
        try await f.run { try $0.stock(GovernanceKind.stockIn, store: "depot-1", item: "sandbag", quantity: 200, note: "from street office", by: f.key("secretary"), state: $1, at: $2) }
        try await f.run { try $0.stock(GovernanceKind.stockOut, store: "depot-1", item: "sandbag", quantity: 150, note: "gate 3", by: f.key("secretary"), state: $1, at: $2) }
        await CaseRuleTests.refused(.insufficient, "store depot-1 holds 50 sandbag") {
            try await f.run { try $0.stock(GovernanceKind.stockOut, store: "depot-1", item: "sandbag", quantity: 51, note: "gate 4", by: f.key("secretary"), state: $1, at: $2) }
        }
        #expect(try await f.state.supplies.quantity(of: "sandbag", in: "depot-1") == 50)
    }

    @Test("the verifier with the governance rules reports what a ledger without them let in, at its position")
    func verifierFindsDomainViolations() async throws {
        // A ledger made before the genesis recorded its domain, opened
        // without it: an illegal close goes in. (One that records it refuses
        // appends when opened so; see RecordedDomainTests.)
        let f = try await GovernanceFixture.make(recordingDomain: false)
        try await f.caseThrough("c1", until: .resolved)
        let plain = try await Ledger.open(store: f.store, clock: f.clock)
        let version = try #require(try await f.state.board["case/c1"]).version
        let close = try await plain.append(
            try f.raw("secretary", kind: GovernanceKind.close, stream: "case/c1", place: GovernanceFixture.home, expected: .exactly(version), payload: CaseNote("skip verification")))
        let report = try await LedgerVerifier(store: f.store, clock: f.clock, domain: GovernanceState()).verify()
        #expect(report.findings.count == 1)
        #expect(report.firstFinding?.position == close.position)
        #expect(report.firstFinding?.code == .illegalTransition)
        #expect(report.firstFinding?.message.contains("case c1 is resolved; case.close") == true)
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { Array(self[$0..<$0 + subsequence.count]) == subsequence }
    }
}

/// A vault that counts the keys fetched from it.
final class CountingVault: KeyVault {
    let base: any KeyVault
    let fetched = Mutex(0)

    init(base: any KeyVault) { self.base = base }

    func key(for subject: String) async throws -> FieldKey {
        fetched.withLock { $0 += 1 }
        return try await base.key(for: subject)
    }
    func existingKey(for subject: String) async throws -> FieldKey? {
        fetched.withLock { $0 += 1 }
        return try await base.existingKey(for: subject)
    }
    func destroy(subject: String) async throws { try await base.destroy(subject: subject) }
    func isErased(_ subject: String) async throws -> Bool { try await base.isErased(subject) }
}
