import Foundation

/// The event kinds of the governance domain (DOMAIN.md), and the streams
/// they go on.
///
/// | stream | kinds |
/// |---|---|
/// | `community` | `community.rules`, `community.mode`, `points.issue`, `points.period-close` |
/// | `case/ID` | `case.*` |
/// | `points/RESIDENT` | `points.award`, `points.deduct`, `points.appeal`, `points.appeal-decision`, `points.redeem` |
/// | `resident/RESIDENT` | `archive.register`, `archive.update`, `archive.visit`, `archive.erase` |
/// | `health/RESIDENT` | `health.record` |
/// | `task/ID` | `volunteer.*` |
/// | `supplies/STORE` | `supplies.in`, `supplies.out` |
///
/// Payloads are compact binary (``GovernancePayload``); `community.rules`
/// is JSON.
public enum GovernanceKind {
    /// The community's rules, as data (``GovernanceRules``).
    public static let rules = "community.rules"
    /// A switch of mode (peacetime, emergency) or phase.
    public static let mode = "community.mode"

    /// A case is reported (上报).
    public static let report = "case.report"
    /// The grid leader accepts a reported case (受理).
    public static let accept = "case.accept"
    /// The grid leader rejects a reported case, with a reason (不予受理).
    public static let reject = "case.reject"
    /// The community secretary approves the whistle (吹哨).
    public static let approve = "case.approve"
    /// The street office's second review of a whistle.
    public static let review = "case.review"
    /// The street office dispatches the case to a department (派单).
    public static let dispatch = "case.dispatch"
    /// Delivery to the department failed.
    public static let deliveryFailed = "case.delivery-failed"
    /// Delivery to the department was retried.
    public static let deliveryRetried = "case.delivery-retried"
    /// The department acknowledges receipt (签收).
    public static let acknowledge = "case.acknowledge"
    /// The department reports progress.
    public static let progress = "case.progress"
    /// The department returns the case as not its duty (退回).
    public static let returned = "case.return"
    /// The department asks for more time, before the deadline.
    public static let extend = "case.extend"
    /// The department reports the case handled (处置完毕).
    public static let resolve = "case.resolve"
    /// Someone other than the resolver checks the work (核查).
    public static let verify = "case.verify"
    /// The case is closed (销号).
    public static let close = "case.close"
    /// The reporter rates the outcome (回访评价).
    public static let rate = "case.rate"
    /// The case is shelved in the unresolved register (挂账).
    public static let shelve = "case.shelve"
    /// A supervisor reminds the owner of an overdue case (催办).
    public static let remind = "case.remind"

    /// Points enter the community pool (an explicit issuance).
    public static let issue = "points.issue"
    /// Points move from the pool to a resident, under a rule, citing evidence.
    public static let award = "points.award"
    /// Points move from a resident to the pool, under a rule.
    public static let deduct = "points.deduct"
    /// A resident appeals an award or a deduction.
    public static let appeal = "points.appeal"
    /// The points committee decides an appeal; upheld, it reverses the entry.
    public static let appealDecision = "points.appeal-decision"
    /// A resident redeems contribution points for goods or services.
    public static let redeem = "points.redeem"
    /// The end of a year: unspent contribution points expire to the pool.
    public static let periodClose = "points.period-close"

    /// A resident's archive is opened (一户一档).
    public static let register = "archive.register"
    /// A resident's tags or four-colour level change.
    public static let update = "archive.update"
    /// A grid worker records a household visit (走访).
    public static let visit = "archive.visit"
    /// A resident is erased: their key is destroyed.
    public static let erase = "archive.erase"
    /// A health archive entry (一码一档案).
    public static let health = "health.record"

    /// A volunteer task is posted (小红旗).
    public static let post = "volunteer.post"
    /// A volunteer claims the task.
    public static let claim = "volunteer.claim"
    /// The volunteer reports the task done.
    public static let complete = "volunteer.complete"
    /// The organiser confirms the task was done (谁组织谁证明).
    public static let confirm = "volunteer.confirm"

    /// Emergency supplies counted into a store.
    public static let stockIn = "supplies.in"
    /// Emergency supplies counted out of a store.
    public static let stockOut = "supplies.out"

    /// The stream of community-wide events.
    public static let communityStream = "community"
}

/// Stream names of the domain.
public enum GovernanceStream {
    /// `case/ID`.
    public static func `case`(_ id: String) -> String { "case/" + id }
    /// `points/RESIDENT`.
    public static func points(_ resident: String) -> String { "points/" + resident }
    /// `resident/RESIDENT`.
    public static func resident(_ resident: String) -> String { "resident/" + resident }
    /// `health/RESIDENT`.
    public static func health(_ resident: String) -> String { "health/" + resident }
    /// `task/ID`.
    public static func task(_ id: String) -> String { "task/" + id }
    /// `supplies/STORE`.
    public static func supplies(_ store: String) -> String { "supplies/" + store }

    /// The part of `stream` after `prefix/`, if it has that prefix.
    public static func subject(of stream: String, prefix: String) -> Substring? {
        guard stream.utf8.count > prefix.utf8.count + 1, stream.hasPrefix(prefix),
            stream.utf8[stream.utf8.index(stream.utf8.startIndex, offsetBy: prefix.utf8.count)] == UInt8(ascii: "/")
        else { return nil }
        return stream[stream.utf8.index(stream.utf8.startIndex, offsetBy: prefix.utf8.count + 1)...]
    }
}

extension GovernanceKind {
    /// Every governance kind as a one-byte code, so that projections
    /// classify an entry with one hash lookup instead of a chain of string
    /// comparisons.
    public enum Code: UInt8, Sendable, CaseIterable {
        case rules, mode
        case report, accept, reject, approve, review, dispatch, deliveryFailed, deliveryRetried, acknowledge, progress, returned, extend,
            resolve, verify, close, rate, shelve, remind
        case issue, award, deduct, appeal, appealDecision, redeem, periodClose
        case register, update, visit, erase, health
        case post, claim, complete, confirm
        case stockIn, stockOut

        /// The kind string.
        public var kind: String { GovernanceKind.kinds[Int(rawValue)] }

        /// `true` for the `case.*` kinds.
        @inlinable public var isCaseStep: Bool { rawValue >= Code.report.rawValue && rawValue <= Code.remind.rawValue }
        /// `true` for the `points.*` kinds.
        @inlinable public var isPoints: Bool { rawValue >= Code.issue.rawValue && rawValue <= Code.periodClose.rawValue }
    }

    /// The kind strings in ``Code`` order.
    @usableFromInline static let kinds: [String] = [
        rules, mode, report, accept, reject, approve, review, dispatch, deliveryFailed, deliveryRetried, acknowledge, progress, returned, extend,
        resolve, verify, close, rate, shelve, remind, issue, award, deduct, appeal, appealDecision, redeem, periodClose, register, update, visit,
        erase, health, post, claim, complete, confirm, stockIn, stockOut,
    ]

    /// The UTF-8 of every kind, back to back, and for each length the
    /// (offset, code) of the kinds that long: classification compares
    /// bytes with no hashing and no reference counting.
    @usableFromInline static let kindBytes: [UInt8] = kinds.flatMap { Array($0.utf8) }
    @usableFromInline static let byLength: [[UInt32]] = {
        var table = Array(repeating: [UInt32](), count: 33)
        var offset = 0
        for (index, kind) in kinds.enumerated() {
            let count = kind.utf8.count
            table[count].append(UInt32(offset) << 8 | UInt32(index))
            offset += count
        }
        return table
    }()

    /// The code of `kind`, or `nil` when it is not a governance kind.
    @inlinable public static func code(of kind: String) -> Code? {
        var kind = kind
        return kind.withUTF8 { buffer -> Code? in
            let count = buffer.count
            guard count < 33, count > 0 else { return nil }
            return byLength[count].withUnsafeBufferPointer { candidates -> Code? in
                kindBytes.withUnsafeBufferPointer { all -> Code? in
                    for candidate in candidates {
                        let offset = Int(candidate >> 8)
                        if memcmp(all.baseAddress! + offset, buffer.baseAddress!, count) == 0 {
                            return Code(rawValue: UInt8(truncatingIfNeeded: candidate))
                        }
                    }
                    return nil
                }
            }
        }
    }
}
