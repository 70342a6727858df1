import CivicLedger

/// The two accounts of a resident (docs/domain.md §3).
public enum PointsAccount: String, ByteCoded {
    /// 贡献值: earned by doing.
    case contribution
    /// 声望值: earned by standing.
    case reputation
}

/// `points.issue` and `points.redeem`: an amount with a note (what was
/// issued for, or what was redeemed).
public struct PointsAmount: GovernancePayload {
    /// The amount, at least 1.
    public var amount: Int64 = 0
    /// What for.
    public var note = ""

    public static let fields: [PayloadField<Self>] = [.i64(.public, "amount", \.amount), .text(.internal, "note", \.note)]

    /// No amount: what the decoders fill in.
    public init() {}

    /// An amount.
    public init(amount: Int64, note: String) {
        self.amount = amount
        self.note = note
    }
}

/// `points.award` and `points.deduct`: a movement between a resident's
/// account and the pool, under a rule.
///
/// ``amount`` is the size of the movement, as the rule sets it: positive
/// for a deduction too, which moves it from the account to the pool. The
/// JSON form of a `points.deduct` shows it negative, as the change to the
/// account (``GovernancePayloadForms``).
public struct PointsMovement: GovernancePayload {
    /// The account.
    public var account: PointsAccount = .contribution
    /// The amount, as the rule sets it.
    public var amount: Int64 = 0
    /// The rule's id.
    public var rule = ""
    /// The log position of the evidence (a closed case, a confirmed task,
    /// a visit); required for awards.
    public var evidence: UInt64?
    /// Why, in words.
    public var reason = ""

    public static let fields: [PayloadField<Self>] = [
        .code(.public, "account", \.account), .i64(.public, "amount", \.amount), .text(.public, "rule", \.rule, maxLength: 64), .position(.internal, "evidence", \.evidence),
        .text(.internal, "reason", \.reason),
    ]

    /// No movement: what the decoders fill in.
    public init() {}

    /// A movement.
    public init(account: PointsAccount, amount: Int64, rule: String, evidence: UInt64?, reason: String) {
        self.account = account
        self.amount = amount
        self.rule = rule
        self.evidence = evidence
        self.reason = reason
    }
}

/// `points.appeal` (the target is the award or deduction appealed) and
/// `points.appeal-decision` (the target is the appeal).
public struct PointsAppeal: GovernancePayload {
    /// The log position the appeal or decision refers to.
    public var target: UInt64 = 0
    /// For a decision: `true` when the appeal is upheld, which reverses
    /// the entry. Always `false` in an appeal.
    public var upheld = false
    /// The grounds, or the committee's reasoning.
    public var note = ""

    public static let fields: [PayloadField<Self>] = [.u64(.internal, "target", \.target), .bool(.public, "upheld", \.upheld), .text(.internal, "note", \.note)]

    /// No appeal: what the decoders fill in.
    public init() {}

    /// An appeal or a decision.
    public init(target: UInt64, upheld: Bool = false, note: String) {
        self.target = target
        self.upheld = upheld
        self.note = note
    }
}

/// `points.period-close`: the end of a year.
public struct PeriodClose: GovernancePayload {
    /// The year that ends, in the community's time zone.
    public var year: Int32 = 0
    /// `true` when unspent contribution points expire to the pool; it must
    /// be what the rules say.
    public var expiresContribution = false

    public static let fields: [PayloadField<Self>] = [.bool(.public, "expiresContribution", \.expiresContribution), .i32(.public, "year", \.year)]

    /// No period: what the decoders fill in.
    public init() {}

    /// A period close.
    public init(year: Int32, expiresContribution: Bool) {
        self.year = year
        self.expiresContribution = expiresContribution
    }
}

// MARK: Hot-path heads
//
// The leading fields of a payload, read without decoding the rest: they
// follow the field lists above (a test checks each against them).

extension PointsMovement {
    /// The account and amount of a `points.award` or `points.deduct` payload.
    public static func head(_ payload: some ContiguousBytesCollection) throws(LedgerError) -> (account: PointsAccount, amount: Int64) {
        try withBytes(payload) { (buffer) throws(LedgerError) in
            var reader = ByteReader(buffer)
            let account: PointsAccount = try reader.code("account")
            return (account, try reader.i64("amount"))
        }
    }
}

extension PointsAmount {
    /// The amount of a `points.issue` or `points.redeem` payload.
    public static func head(_ payload: some ContiguousBytesCollection) throws(LedgerError) -> Int64 {
        try withBytes(payload) { (buffer) throws(LedgerError) in
            var reader = ByteReader(buffer)
            return try reader.i64("amount")
        }
    }
}
