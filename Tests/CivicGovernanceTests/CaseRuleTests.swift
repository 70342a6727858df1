import CivicGovernance
import CivicLedger
import CivicLedgerTesting
import Testing

@Suite("The closed loop of a case: every rule refuses what it forbids")
struct CaseRuleTests {
    /// Expects `body` to throw a LedgerError with `code` whose message contains `text`.
    static func refused(
        _ code: LedgerError.Code, _ text: String, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            try await body()
            Issue.record("expected \(code) (\(text)), nothing was thrown", sourceLocation: sourceLocation)
        } catch let error as LedgerError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("a case runs the whole loop, each step signed by its actor, and is rated")
    func wholeLoop() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .closed)
        try await f.run { try $0.rate(case: "c1", .satisfied, by: f.key("r1"), state: $1, at: $2) }
        let record = try #require(try await f.state.board["case/c1"])
        #expect(record.state == .rated)
        #expect(record.rating == .satisfied)
        #expect(record.resolvedOnTime == true)
        #expect(record.department == "water")
        #expect(try await f.state.board.count(.rated) == 1)
    }

    @Test("an illegal transition is refused at append, naming the case, its state and the step; nothing is written")
    func illegalTransition() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .reported)
        let size = await f.ledger.size
        let version = try #require(try await f.state.board["case/c1"]).version
        let event = try f.raw(
            "street", kind: GovernanceKind.dispatch, stream: "case/c1", place: GovernanceFixture.home, expected: .exactly(version),
            payload: CaseDispatch(department: "water", deadlineMinutes: 10080))
        await Self.refused(.illegalTransition, "case c1 is reported; case.dispatch is not a legal step from there") {
            _ = try await f.ledger.append(event)
        }
        #expect(await f.ledger.size == size)
        // The command API refuses the same step before signing.
        await Self.refused(.illegalTransition, "case c1 is reported") {
            try await f.run { try $0.dispatch(case: "c1", to: "water", by: f.key("street"), state: $1, at: $2) }
        }
        await Self.refused(.illegalTransition, "case c9 has not been reported") {
            _ = try await f.ledger.append(
                try f.raw("leader", kind: GovernanceKind.accept, stream: "case/c9", place: GovernanceFixture.home, payload: CaseNote()))
        }
    }

    @Test("the transition is judged before the payload's details: a dispatch awaiting review, or to a department the rules lack, is illegal first")
    func transitionBeforeDetails() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .awaitingReview)
        // Awaiting the street office's review: illegal, whatever the department.
        for department in ["water", "sewers"] {
            await Self.refused(.illegalTransition, "case c1 is awaitingReview; case.dispatch is not a legal step from there") {
                _ = try await f.ledger.append(
                    try f.raw(
                        "street", kind: GovernanceKind.dispatch, stream: "case/c1", place: GovernanceFixture.home,
                        expected: .exactly(try #require(try await f.state.board["case/c1"]).version),
                        payload: CaseDispatch(department: department, deadlineMinutes: 10080)))
            }
        }
        // Once reviewed, a department the rules lack is named, with where departments come from.
        try await f.run { try $0.review(case: "c1", by: f.key("street"), state: $1, at: $2) }
        await Self.refused(.domainRule, "no department \"sewers\" in the rules (the community's rules list its departments") {
            try await f.run { try $0.dispatch(case: "c1", to: "sewers", by: f.key("street"), state: $1, at: $2) }
        }
        // An extension on a case not yet dispatched is illegal first too.
        await Self.refused(.illegalTransition, "case.extend is not a legal step") {
            try await f.run { try $0.extend(case: "c1", minutes: 60, reason: "parts", by: f.key("water-sun"), state: $1, at: $2) }
        }
    }

    @Test("openOrCreate never ignores rules that differ from the ledger's: it refuses them, naming the event that changes them")
    func openOrCreateRules() async throws {
        let store = InMemoryEventStore()
        let (authority, logKey) = (FixtureKeys.key("authority"), FixtureKeys.key("log"))
        var rules = GovernanceFixture.rules
        let first = try await GovernanceLedger.openOrCreate(
            store: store, origin: GovernanceFixture.origin, authority: authority, logSigner: logKey, rules: rules)
        try await first.close()
        // The same rules: opened.
        let again = try await GovernanceLedger.openOrCreate(
            store: store, origin: GovernanceFixture.origin, authority: authority, logSigner: logKey, rules: rules)
        try await again.close()
        // Another department: refused, and nothing written.
        rules.departments["gas"] = .init(name: "燃气 gas", staff: ["gas-ma"])
        let size = try await store.head()?.size
        await Self.refused(.domainRule, "GovernanceCommands.setRules") {
            _ = try await GovernanceLedger.openOrCreate(
                store: store, origin: GovernanceFixture.origin, authority: authority, logSigner: logKey, rules: rules)
        }
        #expect(try await store.head()?.size == size)
        // Changed by the event, the new rules open.
        let ledger = try await GovernanceLedger.open(store: store, logSigner: logKey)
        _ = try await ledger.append(
            try GovernanceCommands(origin: GovernanceFixture.origin).setRules(
                rules, by: authority, state: try await GovernanceLedger.state(of: ledger), at: Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)))
        try await ledger.close()
        let changed = try await GovernanceLedger.openOrCreate(
            store: store, origin: GovernanceFixture.origin, authority: authority, logSigner: logKey, rules: rules)
        #expect(try await GovernanceLedger.state(of: changed).rules?.departments["gas"] != nil)
        try await changed.close()
    }

    @Test("the verifier is never the resolver, even when they hold the role to verify")
    func verifierIsNotResolver() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .resolved)
        // water-sun resolved; give them a grid-worker role so the permission table lets them sign case.verify.
        _ = try await f.ledger.append(
            try SignedEvent(
                signing: SystemEvent.content(
                    origin: GovernanceFixture.origin, kind: SystemEvent.Kind.enrol,
                    payload: SystemEvent.Enrol(
                        actor: "water-sun", key: f.key("water-sun").publicKey, role: "grid-worker", scope: GovernanceFixture.grid),
                    actorKey: f.authority.publicKey, clientTime: f.clock.now(), idempotencyKey: "water-sun-worker"),
                with: f.authority))
        let version = try #require(try await f.state.board["case/c1"]).version
        await Self.refused(.wrongActor, "water-sun resolved it and may not verify it") {
            _ = try await f.ledger.append(
                try f.raw(
                    "water-sun", kind: GovernanceKind.verify, stream: "case/c1", place: GovernanceFixture.home, expected: .exactly(version),
                    payload: CaseVerification(passed: true, note: "fine")))
        }
        try await f.run { try $0.verify(case: "c1", passed: true, note: "ok", by: f.key("worker"), state: $1, at: $2) }
    }

    @Test("a whistle needs the secretary's approval and then the street office's review; emergency mode skips the review")
    func whistleReviews() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .awaitingReview)
        await Self.refused(.illegalTransition, "case c1 is awaitingReview; case.dispatch") {
            _ = try await f.ledger.append(
                try f.raw(
                    "street", kind: GovernanceKind.dispatch, stream: "case/c1", place: GovernanceFixture.home,
                    payload: CaseDispatch(department: "water", deadlineMinutes: 10080)))
        }
        // Approval straight from reported is refused: the grid leader accepts first.
        try await f.caseThrough("c2", until: .reported)
        await Self.refused(.illegalTransition, "case c2 is reported; case.approve") {
            try await f.run { try $0.approve(case: "c2", by: f.key("secretary"), state: $1, at: $2) }
        }
        // In peacetime an approval claiming to skip the review is refused.
        try await f.run { try $0.step(GovernanceKind.accept, case: "c2", by: f.key("leader"), state: $1, at: $2) }
        await Self.refused(.domainRule, "in peacetime a whistle needs the street office's review") {
            _ = try await f.ledger.append(
                try f.raw(
                    "secretary", kind: GovernanceKind.approve, stream: "case/c2", place: GovernanceFixture.home,
                    payload: CaseApproval(skipsReview: true, note: "")))
        }
        try await f.run { try $0.setMode(.emergency, phase: .absorb, reason: "flood warning", by: f.key("secretary"), state: $1, at: $2) }
        try await f.run { try $0.approve(case: "c2", by: f.key("secretary"), state: $1, at: $2) }
        #expect(try await f.state.board["case/c2"]?.state == .approved)
    }

    @Test("deadlines follow urgency, emergency mode halves them, and a dispatch with another deadline is refused")
    func deadlines() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .approved, urgency: .utilities)
        await Self.refused(.deadline, "a utilities case in peacetime mode has 1440 minutes, not 10080") {
            _ = try await f.ledger.append(
                try f.raw(
                    "street", kind: GovernanceKind.dispatch, stream: "case/c1", place: GovernanceFixture.home,
                    payload: CaseDispatch(department: "water", deadlineMinutes: 10080)))
        }
        try await f.run { try $0.dispatch(case: "c1", to: "water", by: f.key("street"), state: $1, at: $2) }
        let dispatched = try #require(try await f.state.board["case/c1"])
        #expect(dispatched.deadline == dispatched.dispatchedAt!.adding(milliseconds: 24 * 3_600_000))

        try await f.run { try $0.setMode(.emergency, phase: .absorb, reason: "flood", by: f.key("secretary"), state: $1, at: $2) }
        try await f.caseThrough("c2", until: .accepted, urgency: .emergency)
        try await f.run { try $0.approve(case: "c2", by: f.key("secretary"), state: $1, at: $2) }
        try await f.run { try $0.dispatch(case: "c2", to: "water", by: f.key("street"), state: $1, at: $2) }
        let urgent = try #require(try await f.state.board["case/c2"])
        #expect(urgent.deadline == urgent.dispatchedAt!.adding(milliseconds: 60 * 60_000))
        await Self.refused(.domainRule, "no department \"sewers\"") {
            try await f.caseThrough("c3", until: .accepted)
            try await f.run { try $0.approve(case: "c3", by: f.key("secretary"), state: $1, at: $2) }
            try await f.run { try $0.dispatch(case: "c3", to: "sewers", by: f.key("street"), state: $1, at: $2) }
        }
    }

    @Test("an extension is asked for before the deadline, by the department's staff, at most as often as the rules allow")
    func extensions() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .acknowledged, urgency: .utilities)
        await Self.refused(.wrongActor, "case c1 is with water; power-wu is not its staff") {
            try await f.run { try $0.extend(case: "c1", minutes: 600, reason: "parts", by: f.key("power-wu"), state: $1, at: $2) }
        }
        try await f.run { try $0.extend(case: "c1", minutes: 600, reason: "parts", by: f.key("water-sun"), state: $1, at: $2) }
        #expect(try await f.state.board["case/c1"]?.extensions == 1)
        await Self.refused(.domainRule, "already had 1 extension") {
            try await f.run { try $0.extend(case: "c1", minutes: 60, reason: "more", by: f.key("water-sun"), state: $1, at: $2) }
        }
        try await f.caseThrough("c2", until: .dispatched, urgency: .utilities)
        f.clock.advance(milliseconds: 25 * 3_600_000)
        await Self.refused(.deadline, "an extension must be asked for before the deadline") {
            try await f.run { try $0.extend(case: "c2", minutes: 60, reason: "late", by: f.key("water-sun"), state: $1, at: $2) }
        }
    }

    @Test("an audit warns of a case overdue past the grace with no reminder, and not once one is sent")
    func unremindedOverdue() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .dispatched, urgency: .utilities)
        // Overdue (24 h) but within the grace of a day: nothing yet.
        f.clock.advance(milliseconds: 30 * 3_600_000)
        #expect(try await f.state.closingFindings(asOf: f.clock.now()).isEmpty)
        f.clock.advance(milliseconds: 24 * 3_600_000)
        let late = try await f.state.closingFindings(asOf: f.clock.now())
        #expect(late.map(\.code) == [.overdueUnreminded])
        #expect(late.first?.stream == "case/c1" && late.first?.severity == .warning)
        // The audit judges as of the log's last entry: once one is recorded
        // after the grace, it reports the case too; a reminder clears it.
        #expect(try await Auditor(store: f.store, clock: f.clock, domain: GovernanceState()).audit().isClean)
        try await f.caseThrough("c2", until: .reported)
        let audit = try await Auditor(store: f.store, clock: f.clock, domain: GovernanceState()).audit()
        #expect(audit.findings.map(\.code) == [.overdueUnreminded])
        try await f.run { try $0.step(GovernanceKind.remind, case: "c1", by: f.key("supervisor"), state: $1, at: $2) }
        #expect(try await f.state.closingFindings(asOf: f.clock.now()).isEmpty)
        #expect(try await Auditor(store: f.store, clock: f.clock, domain: GovernanceState()).audit().isClean)
    }

    @Test("overdue cases draw reminders; a reminder before the deadline is refused")
    func reminders() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .dispatched, urgency: .utilities)
        await Self.refused(.deadline, "case c1 is not overdue until") {
            try await f.run { try $0.step(GovernanceKind.remind, case: "c1", by: f.key("supervisor"), state: $1, at: $2) }
        }
        f.clock.advance(milliseconds: 24 * 3_600_000 + 1)
        #expect(try await f.state.board.overdue(at: f.clock.now()).map(\.stream) == ["case/c1"])
        try await f.run { try $0.step(GovernanceKind.remind, case: "c1", by: f.key("supervisor"), state: $1, at: $2) }
        #expect(try await f.state.board["case/c1"]?.reminders == 1)
        try await f.run { try $0.step(GovernanceKind.acknowledge, case: "c1", by: f.key("water-li"), state: $1, at: $2) }
        try await f.run { try $0.step(GovernanceKind.resolve, case: "c1", note: "late", by: f.key("water-li"), state: $1, at: $2) }
        #expect(try await f.state.board["case/c1"]?.resolvedOnTime == false)
    }

    @Test("a failed verification and a dissatisfied rating for a controllable cause reopen the case; a basic rating does not")
    func reopening() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .resolved)
        try await f.run { try $0.verify(case: "c1", passed: false, note: "still blocked", by: f.key("leader"), state: $1, at: $2) }
        #expect(try await f.state.board["case/c1"]?.state == .reopened)
        try await f.run { try $0.dispatch(case: "c1", to: "water", by: f.key("street"), state: $1, at: $2) }
        #expect(try await f.state.board["case/c1"]?.state == .dispatched)

        try await f.caseThrough("c2", until: .closed)
        await Self.refused(.wrongActor, "only its reporter r1 rates it") {
            try await f.run { try $0.rate(case: "c2", .dissatisfied, controllable: true, by: f.key("r2"), state: $1, at: $2) }
        }
        try await f.run {
            try $0.rate(case: "c2", .dissatisfied, controllable: true, comment: "smells", by: f.key("r1"), state: $1, at: $2)
        }
        #expect(try await f.state.board["case/c2"]?.state == .reopened)
        #expect(try await f.state.board["case/c2"]?.reopenings == 1)

        try await f.caseThrough("c3", until: .closed)
        try await f.run { try $0.rate(case: "c3", .basic, by: f.key("r1"), state: $1, at: $2) }
        #expect(try await f.state.board["case/c3"]?.state == .rated)
    }

    @Test("a case can be shelved, needs a reason, and a rejected case cannot be")
    func shelving() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .dispatched)
        await Self.refused(.domainRule, "needs a reason") {
            try await f.run { try $0.step(GovernanceKind.shelve, case: "c1", by: f.key("street"), state: $1, at: $2) }
        }
        try await f.run { try $0.step(GovernanceKind.shelve, case: "c1", note: "needs a budget", by: f.key("street"), state: $1, at: $2) }
        #expect(try await f.state.board["case/c1"]?.state == .shelved)
        try await f.caseThrough("c2", until: .reported)
        try await f.run { try $0.step(GovernanceKind.reject, case: "c2", note: "duplicate of c1", by: f.key("leader"), state: $1, at: $2) }
        await Self.refused(.illegalTransition, "case c2 is rejected; case.shelve is not a legal step from there (nothing may follow)") {
            try await f.run { try $0.step(GovernanceKind.shelve, case: "c2", note: "x", by: f.key("street"), state: $1, at: $2) }
        }
    }

    @Test("delivery has its own states: a failed delivery must be retried before the department acknowledges")
    func delivery() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .dispatched)
        try await f.run {
            try $0.step(GovernanceKind.deliveryFailed, case: "c1", note: "no answer", by: f.key("street"), state: $1, at: $2)
        }
        #expect(try await f.state.board["case/c1"]?.delivery == .failed)
        // A failed delivery is no response from the department.
        #expect(try await f.state.board["case/c1"]?.respondedAt == nil)
        await Self.refused(.domainRule, "delivery to water failed; retry it") {
            try await f.run { try $0.step(GovernanceKind.acknowledge, case: "c1", by: f.key("water-sun"), state: $1, at: $2) }
        }
        await Self.refused(.domainRule, "delivery is failed, not sent") {
            try await f.run { try $0.step(GovernanceKind.deliveryFailed, case: "c1", by: f.key("street"), state: $1, at: $2) }
        }
        try await f.run { try $0.step(GovernanceKind.deliveryRetried, case: "c1", by: f.key("street"), state: $1, at: $2) }
        try await f.run { try $0.step(GovernanceKind.acknowledge, case: "c1", by: f.key("water-sun"), state: $1, at: $2) }
        let acknowledged = try #require(try await f.state.board["case/c1"])
        #expect(acknowledged.delivery == .acknowledged)
        #expect(acknowledged.respondedAt != nil && acknowledged.respondedAt == acknowledged.updatedAt)
        // Returned as not its duty: the street office owns it again and may dispatch elsewhere.
        try await f.run {
            try $0.step(GovernanceKind.returned, case: "c1", note: "power cable, not water", by: f.key("water-sun"), state: $1, at: $2)
        }
        try await f.run { try $0.dispatch(case: "c1", to: "power", by: f.key("street"), state: $1, at: $2) }
        let redispatched = try #require(try await f.state.board["case/c1"])
        #expect(redispatched.department == "power")
        // The first answer is kept; the last step moves updatedAt on.
        #expect(redispatched.respondedAt == acknowledged.respondedAt)
        #expect(redispatched.updatedAt == redispatched.dispatchedAt && redispatched.updatedAt! >= acknowledged.updatedAt!)
    }

    @Test("the permission table still decides who signs which kind: a resident cannot close a case")
    func permissions() async throws {
        let f = try await GovernanceFixture.make()
        try await f.caseThrough("c1", until: .verified)
        await Self.refused(.notAuthorised, "may not sign case.close") {
            try await f.run { try $0.step(GovernanceKind.close, case: "c1", by: f.key("r1"), state: $1, at: $2) }
        }
    }
}

@Suite("Case steps as a user lists them")
struct CaseStepListingTests {
    @Test("the legal next kinds name each kind once: an accepted case may be approved (one kind for both emergency flags) or shelved")
    func legalKindsOnce() {
        #expect(CaseLifecycle.legalKinds(from: .accepted) == [GovernanceKind.approve, GovernanceKind.shelve])
        #expect(CaseLifecycle.legalSteps(from: .accepted).count == 3)
        #expect(CaseLifecycle.legalKinds(from: nil) == [GovernanceKind.report])
        #expect(CaseLifecycle.legalKinds(from: .rated).isEmpty)
    }
}
