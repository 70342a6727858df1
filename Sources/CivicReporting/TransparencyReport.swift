import CivicGovernance
import CivicLedger
import Foundation

/// A community's transparency report (DOMAIN.md §8): its decisions in
/// public, the closed loop of its cases, its points and its care, every
/// figure computed from the ledger up to a stated checkpoint.
///
/// Residents appear under pseudonyms (``Pseudonym``), erased residents as
/// erased, and no personal field is read. Officials (the secretary, the
/// street office, department staff) appear by their actor ids: they act in
/// their office.
///
/// Build one with ``TransparencyReportBuilder``; its JSON
/// (``jsonText()``) is what the ledger's log key signs
/// (``signed(with:)``), so anyone can check which state of the log it came
/// from.
public struct TransparencyReport: Codable, Sendable, Equatable {
    /// The format name of the JSON form.
    public static let formatName = "civic-ledger/transparency-report@v1"

    /// ``formatName``.
    public var format = Self.formatName
    /// The ledger's origin.
    public var origin: String
    /// The community's place.
    public var community: String
    /// The community's name.
    public var communityName: String
    /// The period: entries recorded from `from` (inclusive) to `to`
    /// (exclusive), as ISO 8601 times; `nil` ends are open.
    public var from: String?
    /// The end of the period.
    public var to: String?
    /// The checkpoint every figure is computed up to.
    public var checkpoint: CheckpointReference
    /// When residents are named (for a reader whose role may see names),
    /// who that reader is: `actor (roles)`; `nil` in a public report.
    public var namesShownTo: String?
    /// Decisions in public.
    public var decisions: [Decision]
    /// The closed loop.
    public var cases: CaseFigures
    /// Neighbourhood points.
    public var points: PointsFigures
    /// Care: volunteers and visits.
    public var care: CareFigures

    /// The checkpoint a report is tied to.
    public struct CheckpointReference: Codable, Sendable, Equatable {
        /// Entries covered.
        public var size: UInt64
        /// The Merkle root, base64.
        public var root: String
        /// The signed checkpoint note, as the log key signed it.
        public var note: String
    }

    /// One decision and its rounds and publications.
    public struct Decision: Codable, Sendable, Equatable {
        /// The decision's stream.
        public var id: String
        /// The title.
        public var title: String
        /// Where it stands.
        public var stage: String
        /// Every step: kind, who (pseudonym or official), when.
        public var steps: [Step]
        /// Topics proposed in round 1.
        public var proposals: Int
        /// The shortlist.
        public var shortlist: [String]
        /// The chosen topic.
        public var topic: String?
        /// The plan.
        public var plan: String?
        /// Comments on drafts.
        public var comments: Int
        /// The vote, once held.
        public var vote: Vote?
        /// The published result.
        public var result: String?
        /// Milestones and their progress.
        public var milestones: [Milestone]
        /// Overall progress, per cent.
        public var progress: Int
        /// The evaluation.
        public var evaluation: String?

        /// A step.
        public struct Step: Codable, Sendable, Equatable {
            /// The event kind.
            public var kind: String
            /// Who signed it.
            public var by: String
            /// When, ISO 8601.
            public var at: String
        }

        /// The representatives' vote.
        public struct Vote: Codable, Sendable, Equatable {
            /// Representatives entitled.
            public var entitled: Int
            /// Representatives present.
            public var present: Int
            /// Yes votes.
            public var yes: Int
            /// No votes.
            public var no: Int
            /// Abstentions.
            public var abstain: Int
            /// A secret ballot.
            public var secret: Bool
            /// Adopted.
            public var passed: Bool
            /// Named votes by pseudonym (empty for a secret ballot).
            public var votes: [String: String]
        }

        /// A milestone.
        public struct Milestone: Codable, Sendable, Equatable {
            /// The milestone.
            public var name: String
            /// Per cent done.
            public var percent: Int
        }
    }

    /// The closed loop's figures, over the cases reported in the period.
    public struct CaseFigures: Codable, Sendable, Equatable {
        /// How many cases reached each stage: reported, accepted,
        /// dispatched, resolved, closed, rated.
        public var funnel: [FunnelStage]
        /// Cases by current state.
        public var byState: [String: Int]
        /// Time from report to close, by category.
        public var timeToClose: [CategoryTime]
        /// The on-time rate, by department.
        public var onTime: [DepartmentRate]
        /// Dispatched cases a department answered, acknowledging (签收) or
        /// returning (退回) them, per cent.
        public var responseRate: Double?
        /// Dispatched cases resolved, per cent.
        public var resolutionRate: Double?
        /// Rated cases rated satisfied or basically satisfied, per cent.
        public var satisfactionRate: Double?
        /// Cases in the unresolved register (挂账).
        public var shelved: [ShelvedCase]

        /// A stage of the funnel.
        public struct FunnelStage: Codable, Sendable, Equatable {
            /// The stage.
            public var stage: String
            /// Cases that reached it.
            public var cases: Int
        }

        /// Time to close in one category.
        public struct CategoryTime: Codable, Sendable, Equatable {
            /// The category.
            public var category: String
            /// Cases closed.
            public var closed: Int
            /// The median, in hours.
            public var medianHours: Double
        }

        /// A department's on-time rate.
        public struct DepartmentRate: Codable, Sendable, Equatable {
            /// The department id.
            public var department: String
            /// Cases resolved with a deadline.
            public var resolved: Int
            /// Resolved by the deadline.
            public var onTime: Int
            /// Per cent.
            public var rate: Double
        }

        /// A shelved case.
        public struct ShelvedCase: Codable, Sendable, Equatable {
            /// The case stream.
            public var id: String
            /// The category.
            public var category: String
            /// Reported, ISO 8601.
            public var reportedAt: String
        }
    }

    /// Points figures.
    public struct PointsFigures: Codable, Sendable, Equatable {
        /// Issued into the pool, awarded, deducted and redeemed in the period, by month.
        public var months: [Month]
        /// The ledger's running totals at the checkpoint.
        public var totals: PointsBalances.Totals
        /// Pool and accounts add up to what was issued.
        public var conserved: Bool
        /// The published ranking: pseudonyms and contribution balances.
        public var ranking: [Ranked]

        /// One month's flows.
        public struct Month: Codable, Sendable, Equatable {
            /// `YYYY-MM`.
            public var month: String
            /// Issued into the pool.
            public var issued: Int64 = 0
            /// Awarded to residents.
            public var awarded: Int64 = 0
            /// Deducted from residents.
            public var deducted: Int64 = 0
            /// Redeemed by residents.
            public var redeemed: Int64 = 0
        }

        /// A place in the ranking.
        public struct Ranked: Codable, Sendable, Equatable {
            /// The resident's pseudonym, or 已注销 erased.
            public var resident: String
            /// Contribution points.
            public var contribution: Int64
            /// Reputation points.
            public var reputation: Int64
        }
    }

    /// Care figures.
    public struct CareFigures: Codable, Sendable, Equatable {
        /// The year the volunteer quota is counted in.
        public var year: Int32
        /// Tasks each quota holder should complete in the year.
        public var quota: Int
        /// Quota holders (party members).
        public var quotaHolders: Int
        /// Of them, those who met the quota.
        public var metQuota: Int
        /// Residents with a visit schedule.
        public var scheduled: Int
        /// Of them, overdue for a visit at the end of the period.
        public var overdueVisits: Int
        /// Residents erased.
        public var erased: Int
    }
}

extension TransparencyReport {
    /// The JSON form: sorted keys, no whitespace, one line.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The JSON form as a C2SP signed note, signed by the ledger's log key
    /// under the ledger's origin: the note's text is the JSON and a newline.
    public func signed(with logSigner: any Signer) throws -> SignedNote {
        let text = try jsonText() + "\n"
        let line = try NoteKey(name: origin, publicKey: logSigner.publicKey).sign(text, with: logSigner)
        return SignedNote(text: text, signatures: [line])
    }

    /// Reads a signed report and checks it: the note is signed by
    /// `logKey` under the report's origin, and the checkpoint the report
    /// embeds is `checkpoint` (same origin, size and root) and signed by the
    /// same key.
    ///
    /// - Throws: `LedgerError` saying what does not hold.
    public static func verify(signed serialized: String, checkpoint: SignedCheckpoint, logKey: PublicKey) throws -> TransparencyReport {
        let note = try SignedNote(parsing: serialized)
        let report: TransparencyReport
        report = try StrictJSON.decode(TransparencyReport.self, from: Array(note.text.utf8), what: "the report's text")
        guard report.format == formatName else {
            throw LedgerError(.malformed, "the report's format is \(report.format), not \(formatName)")
        }
        try NoteKey(name: report.origin, publicKey: logKey).verify(note)
        try checkpoint.verify(logKey: logKey)
        guard checkpoint.checkpoint.origin == report.origin, checkpoint.checkpoint.size == report.checkpoint.size,
            checkpoint.checkpoint.root.base64 == report.checkpoint.root
        else {
            throw LedgerError(
                .checkpointMismatch,
                "the report is computed up to \(report.checkpoint.size) entries with root \(report.checkpoint.root); the checkpoint given covers \(checkpoint.checkpoint.size) with root \(checkpoint.checkpoint.root.base64)"
            )
        }
        return report
    }
}

/// Builds a ``TransparencyReport`` by folding a ledger's entries in order,
/// up to a checkpoint.
///
/// ```swift
/// var builder = TransparencyReportBuilder(
///     origin: origin, pseudonymKey: try await PseudonymKey.from(vault), from: start, to: end)
/// for try await page in EntryPages(store: store, to: checkpoint.checkpoint.size) {
///     for entry in page { try builder.fold(entry) }
/// }
/// let report = try builder.report(checkpoint: checkpoint)
/// ```
public struct TransparencyReportBuilder: Sendable {
    /// The ledger's origin.
    public let origin: String
    /// The operator's secret the residents' pseudonyms are keyed by.
    public let pseudonymKey: PseudonymKey
    /// The start of the period, inclusive; `nil` from the first entry.
    public let from: Timestamp?
    /// The end of the period, exclusive; `nil` to the checkpoint.
    public let to: Timestamp?
    /// The governance state folded so far.
    public private(set) var state = GovernanceState()
    /// Residents' names by actor id, for a reader entitled to them
    /// (``namesReader``); empty in a public report.
    public private(set) var names: [String: String] = [:]
    /// The reader the names are shown to.
    public private(set) var namesReader: String?
    var visits = VisitSchedule()
    var months: [CivilMonth: TransparencyReport.PointsFigures.Month] = [:]
    var lastRecordedAt = Timestamp(millisecondsSinceEpoch: 0)

    /// A builder for the period `from..<to`.
    public init(origin: String, pseudonymKey: PseudonymKey, from: Timestamp? = nil, to: Timestamp? = nil) {
        self.origin = origin
        self.pseudonymKey = pseudonymKey
        self.from = from
        self.to = to
    }

    func inPeriod(_ time: Timestamp) -> Bool {
        (from.map { time >= $0 } ?? true) && (to.map { time < $0 } ?? true)
    }

    /// Folds the next entry.
    public mutating func fold(_ entry: LedgerEntry) throws {
        try state.fold(entry)
        try visits.fold(entry)
        lastRecordedAt = max(lastRecordedAt, entry.recordedAt)
        guard inPeriod(entry.recordedAt), let code = GovernanceKind.code(of: entry), code.isPoints else { return }
        let month = CivilMonth(entry.recordedAt, offsetMinutes: state.rules?.utcOffsetMinutes ?? 480)
        var figures = months[month] ?? .init(month: String(format: "%04d-%02d", month.year, month.month))
        switch code {
        case .issue: figures.issued.addClamped((try? PointsAmount(payload: entry.payload))?.amount ?? 0)
        case .redeem: figures.redeemed.addClamped((try? PointsAmount(payload: entry.payload))?.amount ?? 0)
        case .award: figures.awarded.addClamped((try? PointsMovement(payload: entry.payload))?.amount ?? 0)
        case .deduct: figures.deducted.addClamped((try? PointsMovement(payload: entry.payload))?.amount ?? 0)
        default: return
        }
        months[month] = figures
    }

    /// The name a report shows for the signer of `key`: officials by actor
    /// id, residents by pseudonym, an erased resident as erased.
    func shown(_ key: PublicKey) -> String {
        guard let actor = state.registry?.keys[key]?.actor else { return "?" }
        return shown(actor: actor)
    }

    func shown(actor: String) -> String {
        if state.archive[actor]?.isErased == true { return "已注销 erased" }
        let roles = state.registry?.actors[actor]?.roles.map(\.role) ?? []
        let residentRoles: Set<String> = ["resident", "party-member", "volunteer"]
        if roles.isEmpty || roles.contains(where: residentRoles.contains) || state.archive[actor] != nil {
            let pseudonym = Pseudonym.of(actor, key: pseudonymKey)
            return names[actor].map { "\($0) (\(pseudonym))" } ?? pseudonym
        }
        return actor
    }

    /// The reader whose key is `reader`, as `actor (roles)`, when
    /// ``PersonalFieldReaders`` lets that key's actor see residents' names:
    /// check this before opening any name.
    ///
    /// - Throws: what ``PersonalFieldReaders/check(_:in:resident:)`` throws.
    public func nameReader(_ reader: PublicKey) throws(LedgerError) -> String {
        try PersonalFieldReaders.check(reader, in: state.registry)
    }

    /// Shows residents by name to the reader whose key is `reader`
    /// (``nameReader(_:)`` must accept it); `names` are the residents'
    /// opened name fields, by actor id. Call after folding.
    ///
    /// - Throws: what ``nameReader(_:)`` throws.
    public mutating func showNames(_ names: [String: String], to reader: PublicKey) throws(LedgerError) {
        namesReader = try nameReader(reader)
        self.names = names
    }

    /// The report, tied to `checkpoint` (which must cover exactly the
    /// entries folded).
    ///
    /// - Throws: `LedgerError` when the checkpoint does not cover the
    ///   entries folded.
    public func report(checkpoint: SignedCheckpoint) throws -> TransparencyReport {
        guard checkpoint.checkpoint.size == state.nextPosition else {
            throw LedgerError(
                .checkpointMismatch, "the checkpoint covers \(checkpoint.checkpoint.size) entries; \(state.nextPosition) were folded")
        }
        let end = to.map { min($0, lastRecordedAt.adding(milliseconds: 1)) } ?? lastRecordedAt.adding(milliseconds: 1)
        return TransparencyReport(
            origin: origin, community: state.rules?.community.path ?? "", communityName: state.rules?.communityName ?? "",
            from: from?.description, to: to?.description,
            checkpoint: .init(size: checkpoint.checkpoint.size, root: checkpoint.checkpoint.root.base64, note: checkpoint.serialized),
            namesShownTo: namesReader,
            decisions: decisions(), cases: caseFigures(), points: pointsFigures(), care: careFigures(at: end))
    }

    func decisions() -> [TransparencyReport.Decision] {
        state.deliberations.decisions.sorted { $0.key < $1.key }.compactMap { stream, decision in
            guard decision.history.contains(where: { inPeriod($0.at) }) else { return nil }
            let vote = decision.meeting.map { meeting in
                TransparencyReport.Decision.Vote(
                    entitled: meeting.entitled.count, present: meeting.present.count, yes: meeting.yes, no: meeting.no,
                    abstain: meeting.abstain, secret: meeting.secret, passed: meeting.passed,
                    votes: Dictionary(
                        meeting.votes.map { (shown(actor: $0.key), $0.value.rawValue) }, uniquingKeysWith: { first, _ in first }))
            }
            return TransparencyReport.Decision(
                id: stream, title: decision.title, stage: decision.stage.rawValue,
                steps: decision.history.map { .init(kind: $0.kind, by: shown($0.key), at: $0.at.description) },
                proposals: decision.proposals.count, shortlist: decision.shortlist, topic: decision.topic, plan: decision.plan,
                comments: decision.comments, vote: vote, result: decision.result,
                milestones: decision.milestones.map { .init(name: $0.name, percent: $0.percent) }, progress: decision.progress,
                evaluation: decision.evaluation)
        }
    }

    func caseFigures() -> TransparencyReport.CaseFigures {
        let cases = state.board.cases.filter { inPeriod($0.value.reportedAt) }.sorted { $0.key < $1.key }
        let records = cases.map(\.value)
        let accepted = records.filter { $0.state != .reported && $0.state != .rejected }
        let dispatched = records.filter { $0.department != nil }
        let responded = dispatched.filter { $0.respondedAt != nil }
        let resolved = dispatched.filter { $0.resolvedAt != nil }
        let closed = records.filter { $0.closedAt != nil }
        let rated = records.filter { $0.rating != nil }
        func percent(_ part: Int, _ whole: Int) -> Double? {
            whole == 0 ? nil : (Double(part) * 1000 / Double(whole)).rounded() / 10
        }
        var byState: [String: Int] = [:]
        for record in records { byState[record.state.rawValue, default: 0] += 1 }
        let timeToClose = Dictionary(grouping: closed, by: \.category).map { category, group in
            let hours = group.map { Double($0.closedAt!.millisecondsSinceEpoch - $0.reportedAt.millisecondsSinceEpoch) / 3_600_000 }
                .sorted()
            let median = hours.count % 2 == 1 ? hours[hours.count / 2] : (hours[hours.count / 2 - 1] + hours[hours.count / 2]) / 2
            return TransparencyReport.CaseFigures.CategoryTime(
                category: category, closed: group.count, medianHours: (median * 10).rounded() / 10)
        }.sorted { $0.category < $1.category }
        let withDeadline = records.filter { $0.resolvedOnTime != nil && $0.department != nil }
        let onTime = Dictionary(grouping: withDeadline, by: { $0.department! }).map { department, group in
            let kept = group.filter { $0.resolvedOnTime == true }.count
            return TransparencyReport.CaseFigures.DepartmentRate(
                department: department, resolved: group.count, onTime: kept, rate: percent(kept, group.count) ?? 0)
        }.sorted { $0.department < $1.department }
        return TransparencyReport.CaseFigures(
            funnel: [
                .init(stage: "reported", cases: records.count), .init(stage: "accepted", cases: accepted.count),
                .init(stage: "dispatched", cases: dispatched.count), .init(stage: "resolved", cases: resolved.count),
                .init(stage: "closed", cases: closed.count), .init(stage: "rated", cases: rated.count),
            ],
            byState: byState, timeToClose: timeToClose, onTime: onTime,
            responseRate: percent(responded.count, dispatched.count), resolutionRate: percent(resolved.count, dispatched.count),
            satisfactionRate: percent(rated.filter { $0.rating != .dissatisfied }.count, rated.count),
            shelved: cases.filter { $0.value.state == .shelved }.map {
                .init(id: $0.key, category: $0.value.category, reportedAt: $0.value.reportedAt.description)
            })
    }

    func pointsFigures() -> TransparencyReport.PointsFigures {
        let points = state.points
        return TransparencyReport.PointsFigures(
            months: months.sorted { $0.key < $1.key }.map(\.value), totals: points.totals, conserved: points.isConserved,
            ranking: points.ranking(limit: 10).map {
                .init(resident: shown(actor: $0.resident), contribution: $0.balance.contribution, reputation: $0.balance.reputation)
            })
    }

    func careFigures(at end: Timestamp) -> TransparencyReport.CareFigures {
        let rules = state.rules
        let year = state.year(of: end.adding(milliseconds: -1))
        let quotaRole = rules?.quotaRole ?? "party-member"
        let holders = (state.registry?.actors.values ?? [:].values).filter { $0.roles.contains { $0.role == quotaRole } }
        let quota = rules?.volunteerQuotaPerYear ?? 5
        // Counted by the actor's current key, as the quota is checked.
        let met = holders.filter { state.volunteers.completed(by: $0.key, in: year) >= quota }
        return TransparencyReport.CareFigures(
            year: year, quota: quota, quotaHolders: holders.count, metQuota: met.count, scheduled: visits.schedule.count,
            overdueVisits: visits.overdue(at: end).count, erased: state.archive.erasedCount)
    }
}
