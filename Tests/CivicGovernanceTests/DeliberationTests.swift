import CivicGovernance
import CivicLedger
import CivicLedgerTesting
import Foundation
import Testing

/// Decisions in public, 三上三下三公开 (docs/domain.md §7), through the typed
/// commands and the ledger's own check.
@Suite("Decisions in public")
struct DeliberationTests {
    /// The fixture's representatives: every enrolled actor but the authority.
    static let representatives = ["r1", "r2", "p1", "worker", "worker-2", "leader"]

    /// Runs `step` on `deliberation/flood-sensors`, signed by `actor`.
    @discardableResult
    static func step(_ fixture: GovernanceFixture, _ step: DeliberationStep, by actor: String) async throws -> AppendReceipt {
        try await fixture.run { commands, state, time in
            try commands.deliberate(step, decision: "flood-sensors", by: fixture.key(actor), state: state, at: time)
        }
    }

    /// Rounds 1 and 2: opened, two topics proposed, shortlisted, drafted,
    /// commented, and the plan published.
    static func throughPlan(_ fixture: GovernanceFixture) async throws {
        try await step(fixture, .open(DeliberationOpen(title: "低洼楼栋水位传感器 flood sensors", summary: "after the flood")), by: "secretary")
        try await step(fixture, .propose(DeliberationText("water sensors in buildings 3 and 7")), by: "r1")
        try await step(fixture, .propose(DeliberationText("a second pump")), by: "p1")
        try await step(
            fixture, .shortlist(DeliberationShortlist(topics: ["water sensors", "a second pump"], chosen: "water sensors")), by: "secretary"
        )
        try await step(fixture, .draft(DeliberationPlan("six sensors, alarms to the grid workers' phones")), by: "secretary")
        try await step(fixture, .comment(DeliberationText("building 9 floods too")), by: "r2")
        try await step(fixture, .publishPlan(DeliberationPlan("eight sensors, buildings 3, 7 and 9")), by: "secretary")
    }

    @Test("a decision goes through its three rounds and three publications, each step signed and recorded")
    func wholeProcess() async throws {
        let fixture = try await GovernanceFixture.make()
        try await Self.throughPlan(fixture)
        let votes: [(actor: String, choice: VoteChoice)] = [
            ("r1", .yes), ("r2", .yes), ("p1", .yes), ("worker", .no), ("leader", .abstain),
        ]
        try await Self.step(
            fixture,
            .vote(DeliberationMeeting(entitled: Self.representatives, present: ["r1", "r2", "p1", "worker", "leader"], votes: votes)),
            by: "secretary")
        try await Self.step(fixture, .publishResult(DeliberationText("adopted 3 to 1, 1 abstention")), by: "secretary")
        try await Self.step(
            fixture, .implement(DeliberationPlan("install and connect", milestones: ["buy sensors", "install", "connect alarms"])),
            by: "secretary")
        try await Self.step(fixture, .progress(DeliberationProgress(milestone: 0, percent: 100)), by: "secretary")
        try await Self.step(fixture, .progress(DeliberationProgress(milestone: 1, percent: 50)), by: "secretary")
        try await Self.step(fixture, .evaluate(DeliberationText("alarms worked in the September rain")), by: "secretary")

        let decision = try #require(try await fixture.state.deliberations["deliberation/flood-sensors"])
        #expect(decision.stage == .evaluated)
        #expect(decision.proposals.map(\.text) == ["water sensors in buildings 3 and 7", "a second pump"])
        #expect(decision.topic == "water sensors")
        #expect(decision.plan == "eight sensors, buildings 3, 7 and 9")
        #expect(decision.comments == 1)
        let meeting = try #require(decision.meeting)
        #expect(meeting.passed && meeting.yes == 3 && meeting.no == 1 && meeting.abstain == 1 && !meeting.secret)
        #expect(meeting.votes["worker"] == .no)
        #expect(decision.milestones.map(\.percent) == [100, 50, 0])
        #expect(decision.progress == 50)
        #expect(decision.history.count == 13)
        #expect(decision.history.first?.key == FixtureKeys.key("secretary").publicKey)
        // The same state is what an auditor recomputes from the log.
        let report = try await Auditor(store: fixture.store, clock: fixture.clock, domain: GovernanceState()).audit()
        #expect(report.findings.filter { $0.severity != .warning }.isEmpty, "\(report.findings.prefix(3))")
    }

    @Test("a step out of order is refused with the stage and what was expected, and nothing is written")
    func outOfOrder() async throws {
        let fixture = try await GovernanceFixture.make()
        let before = await fixture.ledger.size
        let early = await #expect(throws: LedgerError.self) {
            try await Self.step(fixture, .propose(DeliberationText("a topic")), by: "r1")
        }
        #expect(early?.code == .illegalTransition)
        #expect(early?.message.contains("has not been opened") == true)
        try await Self.step(fixture, .open(DeliberationOpen(title: "sensors", summary: "")), by: "secretary")
        let vote = await #expect(throws: LedgerError.self) {
            try await Self.step(
                fixture,
                .vote(DeliberationMeeting(entitled: Self.representatives, present: Self.representatives, yes: 6, no: 0, abstain: 0)),
                by: "secretary")
        }
        #expect(vote?.code == .illegalTransition)
        #expect(vote?.message.contains("the decision is collecting") == true)
        #expect(vote?.message.contains("planPublished") == true)
        let shortlist = await #expect(throws: LedgerError.self) {
            try await Self.step(fixture, .shortlist(DeliberationShortlist(topics: ["x"], chosen: "x")), by: "secretary")
        }
        #expect(shortlist?.message.contains("no topic has been proposed") == true)
        #expect(await fixture.ledger.size == before + 1)
    }

    @Test("a vote needs two thirds present; a plan passes with more than half of those present")
    func quorumAndMajority() async throws {
        let fixture = try await GovernanceFixture.make()
        try await Self.throughPlan(fixture)
        // 3 of 6 present: no quorum (4 needed).
        let noQuorum = await #expect(throws: LedgerError.self) {
            try await Self.step(
                fixture,
                .vote(DeliberationMeeting(entitled: Self.representatives, present: ["r1", "r2", "p1"], yes: 3, no: 0, abstain: 0)),
                by: "secretary")
        }
        #expect(noQuorum?.code == .noQuorum)
        #expect(noQuorum?.message.contains("3 of 6") == true)
        #expect(noQuorum?.message.contains("4") == true)
        // Someone present who was not entitled, and a representative nobody enrolled.
        await #expect(throws: LedgerError.self) {
            try await Self.step(
                fixture,
                .vote(DeliberationMeeting(entitled: ["r1", "r2", "p1"], present: ["r1", "r2", "street"], yes: 3, no: 0, abstain: 0)),
                by: "secretary")
        }
        let unknown = await #expect(throws: LedgerError.self) {
            try await Self.step(
                fixture,
                .vote(DeliberationMeeting(entitled: ["r1", "r2", "ghost"], present: ["r1", "r2", "ghost"], yes: 3, no: 0, abstain: 0)),
                by: "secretary")
        }
        #expect(unknown?.message.contains("ghost") == true)
        // 4 of 6 present, 2 yes: half is not more than half; the plan fails.
        try await Self.step(
            fixture,
            .vote(DeliberationMeeting(entitled: Self.representatives, present: ["r1", "r2", "p1", "worker"], yes: 2, no: 2, abstain: 0)),
            by: "secretary")
        let decision = try #require(try await fixture.state.deliberations["deliberation/flood-sensors"])
        #expect(decision.meeting?.passed == false)
        #expect(decision.meeting?.secret == true)
        try await Self.step(fixture, .publishResult(DeliberationText("not adopted, 2 to 2")), by: "secretary")
        // A plan voted down is not implemented; it goes back to drafting.
        let implement = await #expect(throws: LedgerError.self) {
            try await Self.step(fixture, .implement(DeliberationPlan("go", milestones: ["a"])), by: "secretary")
        }
        #expect(implement?.message.contains("voted down") == true)
        try await Self.step(fixture, .draft(DeliberationPlan("a smaller plan")), by: "secretary")
        #expect(try await fixture.state.deliberations["deliberation/flood-sensors"]?.stage == .drafting)
    }

    @Test("only entitled roles sign each step; residents propose and comment, not decide")
    func roles() async throws {
        let fixture = try await GovernanceFixture.make()
        let refused = await #expect(throws: LedgerError.self) {
            try await Self.step(fixture, .open(DeliberationOpen(title: "sensors", summary: "")), by: "r1")
        }
        #expect(refused?.code == .notAuthorised)
        try await Self.step(fixture, .open(DeliberationOpen(title: "sensors", summary: "")), by: "secretary")
        let proposal = try await Self.step(fixture, .propose(DeliberationText("sensors")), by: "r1")
        #expect(proposal.streamVersion == 1)
        #expect(try await fixture.state.deliberations["deliberation/flood-sensors"]?.proposals.count == 1)
        await #expect(throws: LedgerError.self) {
            try await Self.step(fixture, .shortlist(DeliberationShortlist(topics: ["sensors"], chosen: "sensors")), by: "r1")
        }
        // A resident speaks on their own stream only; the committee's steps
        // are not signed on a participant's stream.
        let ownStream = GovernanceStream.deliberationVoice("flood-sensors", actor: "r1")
        let impersonating = await #expect(throws: LedgerError.self) {
            _ = try await fixture.ledger.append(
                try fixture.raw(
                    "r2", kind: GovernanceKind.comment, stream: ownStream, place: GovernanceFixture.home,
                    payload: DeliberationText("me too")))
        }
        #expect(impersonating?.message.contains("signer's own stream") == true)
        let misplaced = await #expect(throws: LedgerError.self) {
            _ = try await fixture.ledger.append(
                try fixture.raw(
                    "secretary", kind: GovernanceKind.shortlist,
                    stream: GovernanceStream.deliberationVoice("flood-sensors", actor: "secretary"),
                    place: GovernanceFixture.community, payload: DeliberationShortlist(topics: ["sensors"], chosen: "sensors")))
        }
        #expect(misplaced?.message.contains("committee's step") == true)
    }

    @Test("named votes must be by those present, once, and add up; progress only goes forward")
    func meetingAndProgressRules() throws {
        let key = FixtureKeys.key("secretary").publicKey
        let at = Timestamp(millisecondsSinceEpoch: 0)
        var decision = try Deliberation.next(nil, .open(DeliberationOpen(title: "t", summary: "")), by: key, at: at)
        for step: DeliberationStep in [
            .propose(DeliberationText("a")), .shortlist(DeliberationShortlist(topics: ["a"], chosen: "a")), .draft(DeliberationPlan("p")),
            .publishPlan(DeliberationPlan("p")),
        ] {
            decision = try Deliberation.next(decision, step, by: key, at: at)
        }
        let entitled = ["a", "b", "c"]
        let absentVoter = DeliberationMeeting(entitled: entitled, present: ["a", "b"], votes: [("a", .yes), ("c", .yes)])
        #expect(throws: LedgerError.self) { try Deliberation.next(decision, .vote(absentVoter), by: key, at: at) }
        let twice = DeliberationMeeting(entitled: entitled, present: ["a", "b"], votes: [("a", .yes), ("a", .yes)])
        #expect(throws: LedgerError.self) { try Deliberation.next(decision, .vote(twice), by: key, at: at) }
        let tooMany = DeliberationMeeting(entitled: entitled, present: ["a", "b"], yes: 2, no: 1, abstain: 0)
        #expect(throws: LedgerError.self) { try Deliberation.next(decision, .vote(tooMany), by: key, at: at) }
        // Two of three is exactly two thirds: a quorum; two yes of two passes.
        decision = try Deliberation.next(
            decision, .vote(DeliberationMeeting(entitled: entitled, present: ["a", "b"], votes: [("a", .yes), ("b", .yes)])), by: key,
            at: at)
        #expect(decision.meeting?.passed == true)
        decision = try Deliberation.next(decision, .publishResult(DeliberationText("adopted")), by: key, at: at)
        decision = try Deliberation.next(decision, .implement(DeliberationPlan("go", milestones: ["m"])), by: key, at: at)
        decision = try Deliberation.next(decision, .progress(DeliberationProgress(milestone: 0, percent: 60)), by: key, at: at)
        #expect(throws: LedgerError.self) {
            try Deliberation.next(decision, .progress(DeliberationProgress(milestone: 0, percent: 40)), by: key, at: at)
        }
        #expect(throws: LedgerError.self) {
            try Deliberation.next(decision, .progress(DeliberationProgress(milestone: 0, percent: 101)), by: key, at: at)
        }
        #expect(throws: LedgerError.self) {
            try Deliberation.next(decision, .progress(DeliberationProgress(milestone: 1, percent: 10)), by: key, at: at)
        }
    }

    @Test("every deliberation payload survives its encoding, and the step decodes from kind and bytes")
    func payloadRoundTrip() throws {
        let steps: [DeliberationStep] = [
            .open(DeliberationOpen(title: "水位传感器", summary: "s")), .propose(DeliberationText("t")),
            .shortlist(DeliberationShortlist(topics: ["a", "b"], chosen: "b")), .draft(DeliberationPlan("p", milestones: ["m1"])),
            .comment(DeliberationText("c")), .publishPlan(DeliberationPlan("p")),
            .vote(DeliberationMeeting(entitled: ["a", "b", "c"], present: ["a", "b"], votes: [("a", .yes), ("b", .no)])),
            .vote(DeliberationMeeting(entitled: ["a", "b", "c"], present: ["a", "b", "c"], yes: 2, no: 0, abstain: 1)),
            .publishResult(DeliberationText("r")), .implement(DeliberationPlan("i", milestones: ["x", "y"])),
            .progress(DeliberationProgress(milestone: 1, percent: 30, note: "n")), .evaluate(DeliberationText("e")),
        ]
        for step in steps {
            #expect(try DeliberationStep.decode(kind: step.kind, payload: step.payload) == step)
            #expect(GovernancePayloadForms.payloadType(of: step.kind) != nil)
        }
        #expect(try DeliberationStep.decode(kind: "case.report", payload: [UInt8]()) == nil)
        #expect(throws: LedgerError.self) { try DeliberationStep.decode(kind: GovernanceKind.vote, payload: [0, 0]) }
    }
}
