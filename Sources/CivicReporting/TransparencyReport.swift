import CivicGovernance
import CivicLedger
import Foundation

/// A community's transparency report (docs/domain.md §8): its decisions in
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
        /// The signed checkpoint note, as the log key signed it (with the
        /// witnesses' cosignatures it had when the report was made).
        public var note: String
        /// The witnesses (by a policy's names) whose cosignatures on the
        /// note verified when the report was made; `nil` when no witness
        /// policy was given.
        public var witnesses: [String]? = nil
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

    /// The checkpoint a signed report embeds, unchecked: what a verifier
    /// with a witness policy checks the report against.
    ///
    /// - Throws: `LedgerError` when the report or its checkpoint does not parse.
    public static func embeddedCheckpoint(signed serialized: String) throws -> SignedCheckpoint {
        let note = try SignedNote(parsing: serialized)
        let report = try StrictJSON.decode(TransparencyReport.self, from: Array(note.text.utf8), what: "the report's text")
        return try SignedCheckpoint(parsing: report.checkpoint.note)
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
