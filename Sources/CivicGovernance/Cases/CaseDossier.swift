import CivicLedger

/// Everything that happened to each case, in order, with who signed each
/// step: what a supervisor opens first. Each step's words (its note,
/// reason or summary) are in its entry: ``note(of:)`` reads them.
public struct CaseDossier: Projection, Codable, Hashable {
    public static let name = "case-dossier"
    public var lastPosition: UInt64?

    /// One step of a case.
    public struct Step: Codable, Hashable, Sendable {
        /// The entry's log position.
        public var position: UInt64
        /// The event kind.
        public var kind: String
        /// Who signed it.
        public var actor: PublicKey
        /// When the ledger recorded it.
        public var recordedAt: Timestamp
    }

    /// Steps by case stream.
    public private(set) var cases: [String: [Step]] = [:]

    /// No cases.
    public init() {}

    /// The steps of `stream`.
    public subscript(stream: String) -> [Step] { cases[stream] ?? [] }

    public mutating func apply(_ entry: LedgerEntry) throws {
        guard let code = GovernanceKind.code(of: entry), code.isCaseStep else { return }
        cases[entry.stream, default: []].append(
            Step(position: entry.position, kind: entry.kind, actor: entry.actorKey, recordedAt: entry.recordedAt))
    }

    /// A readable summary of a case step's payload.
    public static func note(of entry: LedgerEntry) -> String {
        let payload = entry.payload
        switch entry.kind {
        case GovernanceKind.report:
            return (try? CaseReport(payload: payload)).map {
                "\($0.urgency.rawValue) \($0.category) (\($0.source.rawValue)): \($0.summary)"
            } ?? ""
        case GovernanceKind.dispatch:
            return (try? CaseDispatch(payload: payload)).map { "to \($0.department), \($0.deadlineMinutes) minutes" } ?? ""
        case GovernanceKind.approve:
            return (try? CaseApproval(payload: payload)).map { ($0.skipsReview ? "emergency: no second review. " : "") + $0.note } ?? ""
        case GovernanceKind.progress:
            return (try? CaseProgress(payload: payload)).map { "\($0.percent)%: \($0.note)" } ?? ""
        case GovernanceKind.extend:
            return (try? CaseExtension(payload: payload)).map { "+\($0.minutes) minutes: \($0.reason)" } ?? ""
        case GovernanceKind.verify:
            return (try? CaseVerification(payload: payload)).map { ($0.passed ? "passed: " : "failed: ") + $0.note } ?? ""
        case GovernanceKind.rate:
            return (try? CaseRating(payload: payload)).map {
                "\($0.rating.rawValue)\($0.controllable ? " (controllable)" : ""): \($0.comment)"
            } ?? ""
        default:
            return (try? CaseNote(payload: payload))?.note ?? ""
        }
    }
}
