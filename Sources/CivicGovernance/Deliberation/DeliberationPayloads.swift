import CivicLedger

/// `deliberation.open`.
public struct DeliberationOpen: GovernancePayload {
    /// The decision's title, such as 低洼楼栋水位传感器 flood sensors for
    /// the low-lying buildings.
    public var title = ""
    /// What is to be decided and why.
    public var summary = ""

    public static let fields: [PayloadField<Self>] = [.text(.public, "title", \.title), .text(.public, "summary", \.summary)]

    /// An empty opening: what the decoders fill in.
    public init() {}

    /// An opening.
    public init(title: String, summary: String) {
        self.title = title
        self.summary = summary
    }
}

/// `deliberation.propose`, `.comment`, `.publish-result`, `.evaluate`: a text.
public struct DeliberationText: GovernancePayload {
    /// The text.
    public var text: String

    public static let fields: [PayloadField<Self>] = [.text(.public, "text", \.text)]

    /// A text.
    public init(_ text: String) { self.text = text }
    /// An empty text.
    public init() { self.init("") }
}

/// `deliberation.shortlist`.
public struct DeliberationShortlist: GovernancePayload {
    /// The topics on the shortlist (at most 64).
    public var topics: [String] = []
    /// The topic taken forward.
    public var chosen = ""

    public static let fields: [PayloadField<Self>] = [.strings(.public, "topics", \.topics), .text(.public, "chosen", \.chosen, maxLength: 128)]

    /// An empty shortlist: what the decoders fill in.
    public init() {}

    /// A shortlist.
    public init(topics: [String], chosen: String) {
        self.topics = topics
        self.chosen = chosen
    }
}

/// `deliberation.draft`, `.publish-plan`, `.implement`: a plan and its
/// milestones (at most 64).
public struct DeliberationPlan: GovernancePayload {
    /// The plan.
    public var text: String
    /// Its milestones.
    public var milestones: [String]

    public static let fields: [PayloadField<Self>] = [.text(.public, "text", \.text), .strings(.public, "milestones", \.milestones)]

    /// A plan.
    public init(_ text: String, milestones: [String] = []) {
        self.text = text
        self.milestones = milestones
    }
    /// An empty plan.
    public init() { self.init("") }
}

/// `deliberation.progress`.
public struct DeliberationProgress: GovernancePayload {
    /// The milestone's index in the implementation plan.
    public var milestone: UInt32
    /// Per cent done, 0 to 100; it never goes back.
    public var percent: UInt8
    /// What was done.
    public var note: String

    public static let fields: [PayloadField<Self>] = [.u32(.public, "milestone", \.milestone), .u8(.public, "percent", \.percent), .text(.public, "note", \.note)]

    /// Progress on a milestone.
    public init(milestone: UInt32, percent: UInt8, note: String = "") {
        self.milestone = milestone
        self.percent = percent
        self.note = note
    }
    /// No progress.
    public init() { self.init(milestone: 0, percent: 0) }
}

/// `deliberation.vote`: the meeting of residents' representatives (三上).
///
/// It records who was entitled, who attended, and either each named vote
/// or, for a secret ballot, the totals only. The meeting is valid with at
/// least two thirds of the entitled present; the plan passes with more
/// than half of those present voting yes.
public struct DeliberationMeeting: GovernancePayload {
    /// One named vote.
    public struct Vote: Hashable, Sendable {
        /// The representative.
        public var actor: String
        /// How they voted.
        public var choice: VoteChoice
        /// A vote.
        public init(actor: String, choice: VoteChoice) {
            self.actor = actor
            self.choice = choice
        }
    }

    /// Representatives entitled to attend (actor ids, at most 512).
    public var entitled: [String] = []
    /// Representatives present.
    public var present: [String] = []
    /// Named votes; empty for a secret ballot.
    public var votes: [Vote] = []
    /// `true` for a secret ballot: the totals below, no names.
    public var secret = false
    /// Totals of a secret ballot (named votes are counted from ``votes``).
    public var yes: UInt32 = 0
    /// Votes against.
    public var no: UInt32 = 0
    /// Abstentions.
    public var abstain: UInt32 = 0

    public static let fields: [PayloadField<Self>] = [
        .strings(.public, "entitled", \.entitled, maxCount: 512), .strings(.public, "present", \.present, maxCount: 512), .bool(.public, "secret", \.secret),
        .votes("votes", \.votes), .u32(.public, "yes", \.yes), .u32(.public, "no", \.no), .u32(.public, "abstain", \.abstain),
    ]

    /// An empty meeting: what the decoders fill in.
    public init() {}

    /// A meeting with named votes.
    public init(entitled: [String], present: [String], votes: [Vote]) {
        self.entitled = entitled
        self.present = present
        self.votes = votes
        secret = false
        yes = UInt32(votes.filter { $0.choice == .yes }.count)
        no = UInt32(votes.filter { $0.choice == .no }.count)
        abstain = UInt32(votes.filter { $0.choice == .abstain }.count)
    }

    /// A meeting with named votes given as pairs.
    public init(entitled: [String], present: [String], votes: [(actor: String, choice: VoteChoice)]) {
        self.init(entitled: entitled, present: present, votes: votes.map { Vote(actor: $0.actor, choice: $0.choice) })
    }

    /// A meeting with a secret ballot.
    public init(entitled: [String], present: [String], yes: UInt32, no: UInt32, abstain: UInt32) {
        self.entitled = entitled
        self.present = present
        votes = []
        secret = true
        self.yes = yes
        self.no = no
        self.abstain = abstain
    }

    /// The meeting as recorded, or why it is not a valid vote: unknown or
    /// repeated representatives, votes that do not add up, or no quorum.
    func meeting() throws(LedgerError) -> Deliberation.Meeting {
        func invalid(_ message: String, _ code: LedgerError.Code = .domainRule) -> LedgerError { LedgerError(code, message) }
        let entitledSet = Set(entitled)
        let presentSet = Set(present)
        guard !entitled.isEmpty, entitledSet.count == entitled.count else {
            throw invalid("a meeting lists its entitled representatives, each once")
        }
        guard presentSet.count == present.count, presentSet.isSubset(of: entitledSet) else {
            throw invalid(
                "those present must be entitled representatives, each listed once: \(presentSet.subtracting(entitledSet).sorted().joined(separator: ", "))"
            )
        }
        // 四议两公开: valid with at least two thirds of the members present.
        guard present.count * 3 >= entitled.count * 2 else {
            let needed = (entitled.count * 2 + 2) / 3
            throw invalid(
                "no quorum: \(present.count) of \(entitled.count) representatives present; a valid meeting needs at least two thirds, \(needed)",
                .noQuorum)
        }
        if secret {
            guard votes.isEmpty else { throw invalid("a secret ballot records totals, not names") }
        } else {
            let voters = votes.map(\.actor)
            guard Set(voters).count == voters.count, Set(voters).isSubset(of: presentSet) else {
                throw invalid("each named vote must be by a representative present, once")
            }
            guard yes == votes.filter({ $0.choice == .yes }).count, no == votes.filter({ $0.choice == .no }).count,
                abstain == votes.filter({ $0.choice == .abstain }).count
            else { throw invalid("the totals must be the counts of the named votes") }
        }
        guard Int(yes) + Int(no) + Int(abstain) <= present.count else {
            throw invalid("\(Int(yes) + Int(no) + Int(abstain)) votes from \(present.count) present")
        }
        return Deliberation.Meeting(
            entitled: entitled, present: present,
            votes: Dictionary(votes.map { ($0.actor, $0.choice) }, uniquingKeysWith: { first, _ in first }),
            yes: Int(yes), no: Int(no), abstain: Int(abstain), secret: secret,
            // A motion passes with more than half of those present.
            passed: Int(yes) * 2 > present.count)
    }
}

extension PayloadField where Payload == DeliberationMeeting {
    /// Named votes: a u32 count (at most 512), then each voter's id (at
    /// most 128 bytes) and choice; in JSON `[{"actor": …, "choice": …}]`.
    static func votes(_ name: StaticString, _ path: any WritableKeyPath<Payload, [DeliberationMeeting.Vote]> & Sendable) -> Self {
        Self(
            .public, name,
            write: { meeting, writer in
                let votes = meeting[keyPath: path]
                writer.u32(UInt32(votes.count))
                for vote in votes {
                    writer.field(vote.actor)
                    writer.code(vote.choice)
                }
            },
            read: { (reader, meeting) throws(LedgerError) in
                let count = try reader.u32(name)
                guard count <= 512 else { throw LedgerError(.malformed, "\(name): \(count), more than 512") }
                var votes: [DeliberationMeeting.Vote] = []
                for _ in 0..<count {
                    votes.append(DeliberationMeeting.Vote(actor: try reader.string(name, maxLength: 128), choice: try reader.code(name)))
                }
                meeting[keyPath: path] = votes
            },
            json: { meeting in
                .array(
                    meeting[keyPath: path].map { vote in
                        StrictJSON.Node(
                            value: .object([
                                ("actor", StrictJSON.Node(value: .string(vote.actor))), ("choice", StrictJSON.Node(value: .string(vote.choice.rawValue))),
                            ]))
                    })
            },
            parse: { (value, meeting) throws(PayloadFieldProblem) in
                guard case .array(let elements) = value, elements.count <= 512 else {
                    throw PayloadFieldProblem("must be an array of at most 512 votes")
                }
                var votes: [DeliberationMeeting.Vote] = []
                for (index, element) in elements.enumerated() {
                    guard case .object(let members) = element.value, members.count == 2,
                        case .string(let actor)? = element.value["actor"]?.value, case .string(let choice)? = element.value["choice"]?.value,
                        let parsed = VoteChoice(rawValue: choice)
                    else {
                        throw PayloadFieldProblem(
                            "element \(index) must be {\"actor\": ID, \"choice\": one of \(VoteChoice.allCases.map(\.rawValue).joined(separator: ", "))}")
                    }
                    votes.append(DeliberationMeeting.Vote(actor: actor, choice: parsed))
                }
                meeting[keyPath: path] = votes
            })
    }
}
