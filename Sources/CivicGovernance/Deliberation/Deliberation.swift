import CivicLedger

/// Where a decision in public stands (三上三下三公开, docs/domain.md §7).
///
/// `collecting` → `shortlisted` → `drafting` → `planPublished` → `voted` →
/// `resultPublished` → `implementing` → `evaluated`. A plan the meeting
/// voted down goes back to drafting once its result is published.
public enum DeliberationStage: String, ByteCoded {
    /// 一上: topics are being collected from residents and organisations.
    case collecting
    /// 一下: the committee published the shortlist and the chosen topic.
    case shortlisted
    /// 二上: a plan is drafted and open for comment.
    case drafting
    /// 二下: the plan put to the vote is published.
    case planPublished
    /// 三上: the representatives' meeting voted.
    case voted
    /// 三下, first publication: the vote result is public.
    case resultPublished
    /// Second publication: the implementation plan, with milestones.
    case implementing
    /// Third publication: the evaluation. Final.
    case evaluated
}

/// How a representative voted.
public enum VoteChoice: String, ByteCoded {
    /// 赞成.
    case yes
    /// 反对.
    case no
    /// 弃权.
    case abstain
}

/// One step of a decision: the `deliberation.*` kinds and their payloads.
public enum DeliberationStep: Sendable, Equatable {
    /// `deliberation.open`: the committee opens a decision; round 1 starts.
    case open(DeliberationOpen)
    /// `deliberation.propose`: a topic proposed (一上).
    case propose(DeliberationText)
    /// `deliberation.shortlist`: the shortlist and the chosen topic (一下).
    case shortlist(DeliberationShortlist)
    /// `deliberation.draft`: a draft plan, open for comment (二上).
    case draft(DeliberationPlan)
    /// `deliberation.comment`: a comment on the draft.
    case comment(DeliberationText)
    /// `deliberation.publish-plan`: the plan put to the vote (二下).
    case publishPlan(DeliberationPlan)
    /// `deliberation.vote`: the representatives' meeting and its vote (三上).
    case vote(DeliberationMeeting)
    /// `deliberation.publish-result`: the vote result made public (三下, 公开 1).
    case publishResult(DeliberationText)
    /// `deliberation.implement`: the implementation plan, with milestones (公开 2).
    case implement(DeliberationPlan)
    /// `deliberation.progress`: a milestone's per-cent progress.
    case progress(DeliberationProgress)
    /// `deliberation.evaluate`: how it went (公开 3).
    case evaluate(DeliberationText)

    /// The step `entry` records, in the newest shape of its kind; `nil`
    /// when it is not a deliberation kind.
    ///
    /// - Throws: `LedgerError` `.unknownVersion` for a version not
    ///   declared (every deliberation kind has version 1 only), or what
    ///   ``decode(kind:payload:)`` throws.
    public static func decode(entry: LedgerEntry) throws(LedgerError) -> DeliberationStep? {
        let kind = entry.kind
        guard entry.schemaVersion == GovernancePayloadForms.newestVersion(of: kind) else {
            throw LedgerError(.unknownVersion, "\(kind) has no schema version \(entry.schemaVersion) this step reads")
        }
        return try decode(kind: kind, payload: entry.payload)
    }

    /// The step of an entry of kind `kind` with `payload`, written in the
    /// kind's newest version; `nil` when `kind` is not a deliberation kind.
    public static func decode(kind: String, payload: some ContiguousBytesCollection) throws(LedgerError) -> DeliberationStep? {
        switch kind {
        case GovernanceKind.deliberationOpen: .open(try DeliberationOpen(payload: payload))
        case GovernanceKind.propose: .propose(try DeliberationText(payload: payload))
        case GovernanceKind.shortlist: .shortlist(try DeliberationShortlist(payload: payload))
        case GovernanceKind.draft: .draft(try DeliberationPlan(payload: payload))
        case GovernanceKind.comment: .comment(try DeliberationText(payload: payload))
        case GovernanceKind.publishPlan: .publishPlan(try DeliberationPlan(payload: payload))
        case GovernanceKind.vote: .vote(try DeliberationMeeting(payload: payload))
        case GovernanceKind.publishResult: .publishResult(try DeliberationText(payload: payload))
        case GovernanceKind.implement: .implement(try DeliberationPlan(payload: payload))
        case GovernanceKind.implementationProgress: .progress(try DeliberationProgress(payload: payload))
        case GovernanceKind.evaluate: .evaluate(try DeliberationText(payload: payload))
        default: nil
        }
    }

    /// The event kind.
    public var kind: String {
        switch self {
        case .open: GovernanceKind.deliberationOpen
        case .propose: GovernanceKind.propose
        case .shortlist: GovernanceKind.shortlist
        case .draft: GovernanceKind.draft
        case .comment: GovernanceKind.comment
        case .publishPlan: GovernanceKind.publishPlan
        case .vote: GovernanceKind.vote
        case .publishResult: GovernanceKind.publishResult
        case .implement: GovernanceKind.implement
        case .progress: GovernanceKind.implementationProgress
        case .evaluate: GovernanceKind.evaluate
        }
    }

    /// `true` for a participant's step (a proposal or a comment), signed
    /// on the participant's own stream; the committee signs the others.
    public var isVoice: Bool {
        switch self {
        case .propose, .comment: true
        default: false
        }
    }

    /// The payload bytes.
    public var payload: [UInt8] {
        switch self {
        case .open(let value): value.encoded
        case .propose(let value), .comment(let value), .publishResult(let value), .evaluate(let value): value.encoded
        case .shortlist(let value): value.encoded
        case .draft(let value), .publishPlan(let value), .implement(let value): value.encoded
        case .vote(let value): value.encoded
        case .progress(let value): value.encoded
        }
    }
}

/// One decision taken in public, as the log holds it: every round and
/// publication with who signed it and when.
///
/// ``next(_:_:by:at:)`` is the state machine: it says whether a step may come
/// next and what the decision becomes; the ledger's check and the
/// projections call the same function.
public struct Deliberation: Codable, Hashable, Sendable {
    /// A step as it happened.
    public struct Record: Codable, Hashable, Sendable {
        /// The event kind.
        public var kind: String
        /// The key that signed it (the registry names its actor).
        public var key: PublicKey
        /// When it was recorded.
        public var at: Timestamp
    }

    /// A topic proposed in round 1.
    public struct Proposal: Codable, Hashable, Sendable {
        /// The topic.
        public var text: String
        /// The key of who proposed it.
        public var key: PublicKey
    }

    /// The meeting of round 3.
    public struct Meeting: Codable, Hashable, Sendable {
        /// Representatives entitled to attend.
        public var entitled: [String]
        /// Representatives present.
        public var present: [String]
        /// Named votes (empty for a secret ballot).
        public var votes: [String: VoteChoice]
        /// The totals.
        public var yes: Int
        /// Votes against.
        public var no: Int
        /// Abstentions.
        public var abstain: Int
        /// `true` for a secret ballot (totals only).
        public var secret: Bool
        /// More than half of those present voted yes.
        public var passed: Bool
    }

    /// A milestone of the implementation plan and its progress.
    public struct Milestone: Codable, Hashable, Sendable {
        /// The milestone.
        public var name: String
        /// Per cent done, 0 to 100.
        public var percent: Int
    }

    /// The title.
    public var title: String
    /// The stage.
    public var stage: DeliberationStage
    /// Topics proposed in round 1.
    public var proposals: [Proposal] = []
    /// The shortlist published at the end of round 1.
    public var shortlist: [String] = []
    /// The topic chosen from it.
    public var topic: String?
    /// The current plan (the draft, then the published plan).
    public var plan: String?
    /// Comments received on drafts.
    public var comments = 0
    /// The meeting and its vote, once held.
    public var meeting: Meeting?
    /// The published vote result.
    public var result: String?
    /// The implementation plan's milestones.
    public var milestones: [Milestone] = []
    /// The evaluation.
    public var evaluation: String?
    /// Every step, in order.
    public var history: [Record] = []

    /// The implementation's overall progress: the mean of its milestones.
    public var progress: Int {
        milestones.isEmpty ? 0 : milestones.map(\.percent).reduce(0, +) / milestones.count
    }

    /// The decision after `step` signed by `key` at `time`, or the reason
    /// it may not come next. `current` is `nil` before the decision is
    /// opened.
    public static func next(_ current: Deliberation?, _ step: DeliberationStep, by key: PublicKey, at time: Timestamp) throws(LedgerError)
        -> Deliberation
    {
        func refuse(_ message: String, _ code: LedgerError.Code = .illegalTransition) -> LedgerError {
            LedgerError(code, message)
        }
        func needText(_ text: String, _ what: String) throws(LedgerError) {
            guard !text.allSatisfy(\.isWhitespace) else { throw refuse("\(step.kind) needs \(what)", .domainRule) }
        }
        guard var decision = current else {
            guard case .open(let open) = step else {
                throw refuse("the decision has not been opened; \(step.kind) cannot come before \(GovernanceKind.deliberationOpen)")
            }
            try needText(open.title, "a title")
            return Deliberation(title: open.title, stage: .collecting, history: [Record(kind: step.kind, key: key, at: time)])
        }
        func expect(_ stages: DeliberationStage...) throws(LedgerError) {
            guard stages.contains(decision.stage) else {
                throw refuse(
                    "the decision is \(decision.stage.rawValue); \(step.kind) comes only when it is \(stages.map(\.rawValue).joined(separator: " or "))"
                )
            }
        }
        switch step {
        case .open:
            throw refuse("the decision \"\(decision.title)\" is already open")
        case .propose(let topic):
            try expect(.collecting)
            try needText(topic.text, "a topic")
            decision.proposals.append(Proposal(text: topic.text, key: key))
        case .shortlist(let shortlist):
            try expect(.collecting)
            guard !decision.proposals.isEmpty else { throw refuse("no topic has been proposed yet; a shortlist needs proposals") }
            guard !shortlist.topics.isEmpty, shortlist.topics.contains(shortlist.chosen) else {
                throw refuse("the chosen topic \"\(shortlist.chosen)\" must be on the shortlist", .domainRule)
            }
            decision.shortlist = shortlist.topics
            decision.topic = shortlist.chosen
            decision.stage = .shortlisted
        case .draft(let plan):
            try expect(.shortlisted, .drafting, .resultPublished)
            if decision.stage == .resultPublished, decision.meeting?.passed == true {
                throw refuse("the plan was adopted; it is implemented, not drafted again")
            }
            try needText(plan.text, "the plan's text")
            decision.plan = plan.text
            decision.stage = .drafting
        case .comment(let comment):
            try expect(.drafting)
            try needText(comment.text, "a comment")
            decision.comments += 1
        case .publishPlan(let plan):
            try expect(.drafting)
            try needText(plan.text, "the plan's text")
            decision.plan = plan.text
            decision.stage = .planPublished
        case .vote(let vote):
            try expect(.planPublished)
            decision.meeting = try vote.meeting()
            decision.stage = .voted
        case .publishResult(let result):
            try expect(.voted)
            try needText(result.text, "the result's text")
            decision.result = result.text
            decision.stage = .resultPublished
        case .implement(let plan):
            try expect(.resultPublished)
            guard decision.meeting?.passed == true else { throw refuse("the plan was voted down; only an adopted plan is implemented") }
            guard !plan.milestones.isEmpty else { throw refuse("an implementation plan needs at least one milestone", .domainRule) }
            decision.milestones = plan.milestones.map { Milestone(name: $0, percent: 0) }
            decision.stage = .implementing
        case .progress(let progress):
            try expect(.implementing)
            let index = Int(progress.milestone)
            guard decision.milestones.indices.contains(index) else {
                throw refuse("milestone \(index) does not exist; the plan has \(decision.milestones.count)", .domainRule)
            }
            guard progress.percent <= 100, Int(progress.percent) >= decision.milestones[index].percent else {
                throw refuse(
                    "milestone \"\(decision.milestones[index].name)\" is at \(decision.milestones[index].percent)%; progress goes forward, to at most 100%, not to \(progress.percent)%",
                    .domainRule)
            }
            decision.milestones[index].percent = Int(progress.percent)
        case .evaluate(let evaluation):
            try expect(.implementing)
            try needText(evaluation.text, "the evaluation's text")
            decision.evaluation = evaluation.text
            decision.stage = .evaluated
        }
        decision.history.append(Record(kind: step.kind, key: key, at: time))
        return decision
    }
}

extension LedgerError.Code {
    /// A meeting without two thirds of its members present voted.
    public static let noQuorum = LedgerError.Code(rawValue: "no-quorum")
}
