import CivicLedger
import Foundation

/// The event kinds of the governance domain (docs/domain.md), and the streams
/// they go on.
///
/// | stream | kinds |
/// |---|---|
/// | `community` | `community.rules`, `community.mode`, `points.issue`, `points.period-close` |
/// | `case/ID` | `case.*` |
/// | `points/RESIDENT` | `points.award`, `points.deduct`, `points.appeal`, `points.appeal-decision`, `points.redeem` |
/// | `resident/RESIDENT` | `archive.register`, `archive.update`, `archive.visit`, `archive.erase`, `archive.expire` |
/// | `health/RESIDENT` | `health.record` |
/// | `task/ID` | `volunteer.*` |
/// | `supplies/STORE` | `supplies.in`, `supplies.out` |
/// | `deliberation/ID` | `deliberation.*` but proposals and comments |
/// | `deliberation/ID/from/ACTOR` | `deliberation.propose`, `deliberation.comment`, in the actor's own place |
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
    /// One kind of a resident's notes (visit or health) is erased when its
    /// retention period has passed: that kind's key is destroyed.
    public static let expire = "archive.expire"
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

    /// The community committee opens a decision in public (三上三下三公开);
    /// round 1, collecting topics, begins.
    public static let deliberationOpen = "deliberation.open"
    /// A resident or organisation proposes a topic (一上).
    public static let propose = "deliberation.propose"
    /// The committee publishes the shortlist and the chosen topic (一下).
    public static let shortlist = "deliberation.shortlist"
    /// A plan is drafted and published for comment (二上).
    public static let draft = "deliberation.draft"
    /// A comment on the draft plan.
    public static let comment = "deliberation.comment"
    /// The plan put to the vote is published (二下).
    public static let publishPlan = "deliberation.publish-plan"
    /// The representatives' meeting votes on the plan (三上).
    public static let vote = "deliberation.vote"
    /// The vote result is published (三下; the first of 三公开).
    public static let publishResult = "deliberation.publish-result"
    /// The implementation plan, with milestones, is published (the second).
    public static let implement = "deliberation.implement"
    /// A milestone's per-cent progress.
    public static let implementationProgress = "deliberation.progress"
    /// The evaluation is published (the third).
    public static let evaluate = "deliberation.evaluate"

    /// The stream of community-wide events.
    /// The schema versions each governance kind declares: an event's
    /// `schemaVersion` must be one of them, or it is refused at append and
    /// reported by the audit (`unknown-version`). Declared with each
    /// kind's payload types in ``GovernancePayloadForms/schemas``; a new
    /// version is declared there beside the old one, which stays valid for
    /// the entries already signed.
    public static func versions(of kind: String) -> ClosedRange<UInt32> {
        // community.rules is JSON: version 2 may set retention periods.
        kind == rules ? 1...2 : GovernancePayloadForms.schemas[kind]?.range ?? 1...1
    }

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
    /// `deliberation/ID`: the committee's steps of a decision.
    public static func deliberation(_ id: String) -> String { "deliberation/" + id }
    /// `deliberation/ID/from/ACTOR`: one participant's proposals and
    /// comments on a decision, in the participant's own place (a resident
    /// signs where they are enrolled, not community-wide).
    public static func deliberationVoice(_ id: String, actor: String) -> String { "deliberation/\(id)/from/\(actor)" }
    /// The decision stream (`deliberation/ID`) of a deliberation stream,
    /// and the participant when it is a voice stream.
    public static func decision(of stream: String) -> (stream: String, participant: String?)? {
        guard stream.hasPrefix("deliberation/") else { return nil }
        guard let range = stream.range(of: "/from/") else { return (stream, nil) }
        return (String(stream[..<range.lowerBound]), String(stream[range.upperBound...]))
    }

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
        case deliberationOpen, propose, shortlist, draft, comment, publishPlan, vote, publishResult, implement, implementationProgress,
            evaluate
        // Later kinds go last, so that the codes already stored keep their meaning.
        case expire

        /// The kind string.
        public var kind: String { GovernanceKind.kinds[Int(rawValue)] }

        /// `true` for the `case.*` kinds.
        @inlinable public var isCaseStep: Bool { rawValue >= Code.report.rawValue && rawValue <= Code.remind.rawValue }
        /// `true` for the `points.*` kinds.
        @inlinable public var isPoints: Bool { rawValue >= Code.issue.rawValue && rawValue <= Code.periodClose.rawValue }
    }

    /// Every governance kind, in ``Code`` order.
    public static var all: [String] { kinds }

    /// The kind strings in ``Code`` order.
    @usableFromInline static let kinds: [String] = [
        rules, mode,
        report, accept, reject, approve, review, dispatch, deliveryFailed, deliveryRetried, acknowledge, progress, returned, extend,
        resolve, verify, close, rate, shelve, remind,
        issue, award, deduct, appeal, appealDecision, redeem, periodClose,
        register, update, visit, erase, health,
        post, claim, complete, confirm,
        stockIn, stockOut,
        deliberationOpen, propose, shortlist, draft, comment, publishPlan, vote, publishResult, implement, implementationProgress,
        evaluate,
        expire,
    ]

    /// A perfect hash of the kinds: each kind's first and last eight bytes
    /// (every kind is 8 to 32 bytes long) and length select one of 256
    /// slots, and no two kinds share a slot. Classifying an entry is one
    /// multiplication and one comparison: no hashing of the whole string, no
    /// reference counting, no allocation.
    @usableFromInline struct Classifier: Sendable {
        /// One slot: a kind's first and last eight bytes, its length and
        /// code (`count == 0`: empty), and where its bytes are in ``bytes``.
        @usableFromInline struct Slot: Sendable {
            @usableFromInline var head: UInt64 = 0
            @usableFromInline var tail: UInt64 = 0
            @usableFromInline var count: UInt8 = 0
            @usableFromInline var code: UInt8 = 0
            @usableFromInline var offset: UInt16 = 0
        }

        @usableFromInline let slots: [Slot]
        @usableFromInline let multiplier: UInt64
        /// The UTF-8 of every kind, back to back (kinds longer than 16
        /// bytes compare their middle bytes here).
        @usableFromInline let bytes: [UInt8]

        @inlinable static func slot(head: UInt64, tail: UInt64, count: Int, multiplier: UInt64) -> Int {
            Int(truncatingIfNeeded: ((head ^ (tail &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(truncatingIfNeeded: count)) &* multiplier) >> 56)
        }

        init() {
            bytes = kinds.flatMap { Array($0.utf8) }
            var keys: [Slot] = []
            var offset = 0
            for (index, kind) in kinds.enumerated() {
                let utf8 = Array(kind.utf8)
                precondition(utf8.count >= 8 && utf8.count <= 32, "kind \(kind) is outside the classifier's lengths")
                keys.append(
                    utf8.withUnsafeBytes { raw in
                        Slot(
                            head: raw.loadUnaligned(as: UInt64.self),
                            tail: raw.loadUnaligned(fromByteOffset: utf8.count - 8, as: UInt64.self),
                            count: UInt8(utf8.count), code: UInt8(index), offset: UInt16(offset))
                    })
                offset += utf8.count
            }
            // Odd multipliers from a fixed sequence until one places every
            // kind in its own slot: deterministic, found in a few tries.
            var candidate: UInt64 = 0x2545_F491_4F6C_DD1D
            while true {
                var table = [Slot](repeating: Slot(), count: 256)
                var clash = false
                for key in keys {
                    let slot = Self.slot(head: key.head, tail: key.tail, count: Int(key.count), multiplier: candidate)
                    if table[slot].count != 0 {
                        clash = true
                        break
                    }
                    table[slot] = key
                }
                if !clash {
                    slots = table
                    multiplier = candidate
                    return
                }
                candidate = (candidate &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407) | 1
            }
        }

        @inlinable func code(of raw: UnsafeRawBufferPointer) -> Code? {
            let count = raw.count
            guard count >= 8, count <= 32 else { return nil }
            let head = raw.loadUnaligned(as: UInt64.self)
            let tail = raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            let slot = slots[Self.slot(head: head, tail: tail, count: count, multiplier: multiplier)]
            guard slot.head == head, slot.tail == tail, Int(slot.count) == count else { return nil }
            if count > 16 {
                let offset = Int(slot.offset)
                let middle = bytes.withUnsafeBufferPointer { all in
                    memcmp(all.baseAddress! + offset + 8, raw.baseAddress! + 8, count - 16) == 0
                }
                guard middle else { return nil }
            }
            return Code(rawValue: slot.code)
        }
    }

    @usableFromInline static let classifier = Classifier()

    /// The code of `kind`, or `nil` when it is not a governance kind.
    @inlinable public static func code(of kind: String) -> Code? {
        var kind = kind
        return kind.withUTF8 { classifier.code(of: UnsafeRawBufferPointer($0)) }
    }

    /// The code of `entry`'s kind, read where the entry stores it (no
    /// string is touched), or `nil` when it is not a governance kind.
    @inlinable public static func code(of entry: LedgerEntry) -> Code? {
        entry.withKindUTF8 { classifier.code(of: $0) }
    }
}
