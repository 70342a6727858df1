import CivicLedger

/// A payload of a governance event kind, in its compact binary form.
///
/// The layout is the fields in declaration order with the core's
/// primitives (docs/format.md §1: big-endian integers, u32-length-prefixed
/// strings and bytes; an optional field is a u8 presence flag, then the
/// value). Fields a projection reads on its hot path come first, so it can
/// read them without decoding the rest.
public protocol GovernancePayload: Sendable, Equatable {
    /// Writes the fields.
    func encode(to writer: inout ByteWriter)
    /// Reads the fields.
    init(from reader: inout ByteReader) throws(LedgerError)
}

extension GovernancePayload {
    /// The payload bytes.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 64)
        encode(to: &writer)
        return writer.bytes
    }

    /// Decodes a payload strictly: nothing may follow the last field.
    public init(payload: some ContiguousBytesCollection) throws(LedgerError) {
        self = try withBytes(payload) { (buffer) throws(LedgerError) in
            var reader = ByteReader(buffer)
            let value = try Self(from: &reader)
            try reader.expectEnd("payload")
            return value
        }
    }
}

/// Small enumerations encoded as one byte, named in JSON and text.
public protocol ByteCoded: RawRepresentable<String>, CaseIterable, Hashable, Sendable, Codable, CodingKeyRepresentable {}

extension ByteCoded {
    /// The one-byte code: the case's index in declaration order (a
    /// payload-free enumeration is stored as that index).
    @inlinable public var code: UInt8 {
        MemoryLayout<Self>.size == 1 ? unsafeBitCast(self, to: UInt8.self) : UInt8(Self.allCases.distance(from: Self.allCases.startIndex, to: Self.allCases.firstIndex(of: self)!))
    }

    /// The case with `code`, if any.
    @inlinable public init?(code: UInt8) {
        let count = Self.allCases.count
        guard Int(code) < count else { return nil }
        if MemoryLayout<Self>.size == 1 {
            self = unsafeBitCast(code, to: Self.self)
        } else {
            self = Self.allCases[Self.allCases.index(Self.allCases.startIndex, offsetBy: Int(code))]
        }
    }
}

extension ByteWriter {
    /// A one-byte enumeration.
    public mutating func code(_ value: some ByteCoded) { u8(value.code) }
    /// A `Bool` as one byte, 0 or 1.
    public mutating func bool(_ value: Bool) { u8(value ? 1 : 0) }
    /// An optional position: a presence byte, then a u64.
    public mutating func optional(_ value: UInt64?) {
        bool(value != nil)
        u64(value ?? 0)
    }
    /// A list of strings: a u32 count, then each as a field.
    public mutating func strings(_ values: [String]) {
        u32(UInt32(values.count))
        for value in values { field(value) }
    }
}

extension ByteReader {
    /// A one-byte enumeration.
    public mutating func code<T: ByteCoded>(_ what: StaticString, as: T.Type = T.self) throws(LedgerError) -> T {
        let byte = try u8(what)
        guard let value = T(code: byte) else {
            throw LedgerError(.malformed, "\(what): \(byte) is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
    /// A `Bool` written as 0 or 1.
    public mutating func bool(_ what: StaticString) throws(LedgerError) -> Bool {
        switch try u8(what) {
        case 0: return false
        case 1: return true
        case let other: throw LedgerError(.malformed, "\(what): \(other) is not 0 or 1")
        }
    }
    /// An optional position.
    public mutating func optional(_ what: StaticString) throws(LedgerError) -> UInt64? {
        let present = try bool(what)
        let value = try u64(what)
        guard present || value == 0 else { throw LedgerError(.malformed, "\(what): absent but not zero") }
        return present ? value : nil
    }
    /// A short text field (at most 4,096 bytes).
    public mutating func text(_ what: StaticString) throws(LedgerError) -> String {
        try string(what, maxLength: 4096)
    }
    /// A list of short strings (at most 64 of them).
    public mutating func strings(_ what: StaticString) throws(LedgerError) -> [String] {
        let count = try u32(what)
        guard count <= 64 else { throw LedgerError(.malformed, "\(what): \(count) items, more than 64") }
        var values: [String] = []
        for _ in 0..<count { values.append(try string(what, maxLength: 128)) }
        return values
    }
    /// A sealed personal field.
    public mutating func sealed(_ what: StaticString) throws(LedgerError) -> SealedField {
        let range = try fieldRange(what, maxLength: 65_536)
        return try SealedField(bytes: Array(bytes[range]))
    }
    /// Skips a length-prefixed field without reading it.
    public mutating func skipField(_ what: StaticString) throws(LedgerError) {
        _ = try fieldRange(what, maxLength: Int(UInt32.max))
    }
}

// MARK: Enumerations

/// How urgent a case is; it sets the deadline (DOMAIN.md §2).
public enum Urgency: String, ByteCoded {
    /// Risk to life or property: 2 hours by default.
    case emergency
    /// Water, power, gas: 24 hours.
    case utilities
    /// 7 days.
    case general
    /// 15 days.
    case complex
}

/// Where a case came from.
public enum CaseSource: String, ByteCoded {
    /// A household visit 走访.
    case visit
    /// A patrol 巡查.
    case patrol
    /// A resident's one-tap report 一键上报.
    case resident
    /// A sensor alarm (water level, smart manhole).
    case sensor
    /// A hotline transfer (12345).
    case hotline
}

/// A resident's rating of a closed case (回访评价).
public enum Rating: String, ByteCoded {
    /// 满意.
    case satisfied
    /// 基本满意.
    case basic
    /// 不满意.
    case dissatisfied
}

/// The two accounts of a resident (DOMAIN.md §3).
public enum PointsAccount: String, ByteCoded {
    /// 贡献值: earned by doing.
    case contribution
    /// 声望值: earned by standing.
    case reputation
}

/// The four-colour risk level of a resident (四色管理).
public enum RiskLevel: String, ByteCoded {
    /// 绿: no special attention.
    case green
    /// 黄.
    case yellow
    /// 橙.
    case orange
    /// 红: the closest attention.
    case red
}

/// The community's mode (平战结合).
public enum CommunityMode: String, ByteCoded {
    /// 平时.
    case peacetime
    /// 战时: shorter deadlines, no second review.
    case emergency
}

/// The phase of resilience work (DOMAIN.md §6).
public enum ResiliencePhase: String, ByteCoded {
    /// Risk lists, warnings.
    case plan
    /// The emergency itself.
    case absorb
    /// Restore order, keep controls.
    case recover
    /// Learn: review what happened.
    case adapt
}

/// The kind of a health archive entry.
public enum HealthEntryKind: String, ByteCoded {
    /// 健康打卡.
    case checkin
    /// A vaccination.
    case vaccination
    /// A chronic-care follow-up.
    case followup
}

// MARK: Community

/// `community.mode`: a switch of mode or phase.
public struct ModeChange: GovernancePayload {
    /// The mode from now on.
    public var mode: CommunityMode
    /// The phase from now on.
    public var phase: ResiliencePhase
    /// Why.
    public var reason: String

    /// A mode change.
    public init(mode: CommunityMode, phase: ResiliencePhase, reason: String) {
        self.mode = mode
        self.phase = phase
        self.reason = reason
    }
    public func encode(to writer: inout ByteWriter) {
        writer.code(mode)
        writer.code(phase)
        writer.field(reason)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        mode = try reader.code("mode")
        phase = try reader.code("phase")
        reason = try reader.text("reason")
    }
}

// MARK: Cases

/// `case.report`.
public struct CaseReport: GovernancePayload {
    /// The urgency, which sets the deadline.
    public var urgency: Urgency
    /// The category, such as `drainage` (short ids keep projections fast).
    public var category: String
    /// Where the case came from.
    public var source: CaseSource
    /// What was seen. Not a personal field: say nothing about a person here.
    public var summary: String

    /// A report.
    public init(urgency: Urgency, category: String, source: CaseSource, summary: String) {
        self.urgency = urgency
        self.category = category
        self.source = source
        self.summary = summary
    }
    public func encode(to writer: inout ByteWriter) {
        writer.code(urgency)
        writer.field(category)
        writer.code(source)
        writer.field(summary)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        urgency = try reader.code("urgency")
        category = try reader.string("category", maxLength: 64)
        source = try reader.code("source")
        summary = try reader.text("summary")
    }
}

/// The payload of the case steps that carry only a note: accept, reject,
/// approve, review, delivery failed or retried, acknowledge, return, close,
/// shelve, remind. Reject, return and shelve need a reason (a non-empty note).
public struct CaseNote: GovernancePayload {
    /// The note or reason.
    public var note: String
    /// A note.
    public init(_ note: String = "") { self.note = note }
    public func encode(to writer: inout ByteWriter) { writer.field(note) }
    public init(from reader: inout ByteReader) throws(LedgerError) { note = try reader.text("note") }
}

/// `case.dispatch`.
public struct CaseDispatch: GovernancePayload {
    /// The department the case goes to.
    public var department: String
    /// The time allowed, in minutes from the dispatch; it must be what the
    /// rules give for the case's urgency in the current mode.
    public var deadlineMinutes: UInt32

    /// A dispatch.
    public init(department: String, deadlineMinutes: UInt32) {
        self.department = department
        self.deadlineMinutes = deadlineMinutes
    }
    public func encode(to writer: inout ByteWriter) {
        writer.u32(deadlineMinutes)
        writer.field(department)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        deadlineMinutes = try reader.u32("deadline minutes")
        department = try reader.string("department", maxLength: 64)
    }
}

/// `case.progress`.
public struct CaseProgress: GovernancePayload {
    /// Per cent done, 0 to 100.
    public var percent: UInt8
    /// What was done.
    public var note: String
    /// Progress.
    public init(percent: UInt8, note: String) {
        self.percent = percent
        self.note = note
    }
    public func encode(to writer: inout ByteWriter) {
        writer.u8(percent)
        writer.field(note)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        percent = try reader.u8("percent")
        note = try reader.text("note")
    }
}

/// `case.extend`: more time, asked for before the deadline.
public struct CaseExtension: GovernancePayload {
    /// Extra minutes.
    public var minutes: UInt32
    /// Why.
    public var reason: String
    /// An extension.
    public init(minutes: UInt32, reason: String) {
        self.minutes = minutes
        self.reason = reason
    }
    public func encode(to writer: inout ByteWriter) {
        writer.u32(minutes)
        writer.field(reason)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        minutes = try reader.u32("minutes")
        reason = try reader.text("reason")
    }
}

/// `case.verify`.
public struct CaseVerification: GovernancePayload {
    /// `true` when the work holds; `false` reopens the case.
    public var passed: Bool
    /// What the verifier saw.
    public var note: String
    /// A verification.
    public init(passed: Bool, note: String) {
        self.passed = passed
        self.note = note
    }
    public func encode(to writer: inout ByteWriter) {
        writer.bool(passed)
        writer.field(note)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        passed = try reader.bool("passed")
        note = try reader.text("note")
    }
}

/// `case.approve`: the community secretary approves a whistle.
public struct CaseApproval: GovernancePayload {
    /// `true` when the second review is skipped: exactly when the community
    /// is in emergency mode.
    public var skipsReview: Bool
    /// A note.
    public var note: String
    /// An approval.
    public init(skipsReview: Bool, note: String) {
        self.skipsReview = skipsReview
        self.note = note
    }
    public func encode(to writer: inout ByteWriter) {
        writer.bool(skipsReview)
        writer.field(note)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        skipsReview = try reader.bool("skips review")
        note = try reader.text("note")
    }
}

/// `case.rate`.
public struct CaseRating: GovernancePayload {
    /// The rating.
    public var rating: Rating
    /// For a dissatisfied rating: whether the cause was within the
    /// handler's control, which reopens the case.
    public var controllable: Bool
    /// A comment.
    public var comment: String
    /// A rating.
    public init(rating: Rating, controllable: Bool, comment: String) {
        self.rating = rating
        self.controllable = controllable
        self.comment = comment
    }
    public func encode(to writer: inout ByteWriter) {
        writer.code(rating)
        writer.bool(controllable)
        writer.field(comment)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        rating = try reader.code("rating")
        controllable = try reader.bool("controllable")
        comment = try reader.text("comment")
    }
}

// MARK: Points

/// `points.issue` and `points.redeem`: an amount with a note (what was
/// issued for, or what was redeemed).
public struct PointsAmount: GovernancePayload {
    /// The amount, at least 1.
    public var amount: Int64
    /// What for.
    public var note: String
    /// An amount.
    public init(amount: Int64, note: String) {
        self.amount = amount
        self.note = note
    }
    public func encode(to writer: inout ByteWriter) {
        writer.i64(amount)
        writer.field(note)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        amount = try reader.i64("amount")
        note = try reader.text("note")
    }
}

/// `points.award` and `points.deduct`: a movement between a resident's
/// account and the pool, under a rule.
public struct PointsMovement: GovernancePayload {
    /// The account.
    public var account: PointsAccount
    /// The amount, as the rule sets it.
    public var amount: Int64
    /// The rule's id.
    public var rule: String
    /// The log position of the evidence (a closed case, a confirmed task,
    /// a visit); required for awards.
    public var evidence: UInt64?
    /// Why, in words.
    public var reason: String

    /// A movement.
    public init(account: PointsAccount, amount: Int64, rule: String, evidence: UInt64?, reason: String) {
        self.account = account
        self.amount = amount
        self.rule = rule
        self.evidence = evidence
        self.reason = reason
    }
    public func encode(to writer: inout ByteWriter) {
        writer.code(account)
        writer.i64(amount)
        writer.field(rule)
        writer.optional(evidence)
        writer.field(reason)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        account = try reader.code("account")
        amount = try reader.i64("amount")
        rule = try reader.string("rule", maxLength: 64)
        evidence = try reader.optional("evidence")
        reason = try reader.text("reason")
    }
}

/// `points.appeal` (the target is the award or deduction appealed) and
/// `points.appeal-decision` (the target is the appeal).
public struct PointsAppeal: GovernancePayload {
    /// The log position the appeal or decision refers to.
    public var target: UInt64
    /// For a decision: `true` when the appeal is upheld, which reverses
    /// the entry. Always `false` in an appeal.
    public var upheld: Bool
    /// The grounds, or the committee's reasoning.
    public var note: String
    /// An appeal or a decision.
    public init(target: UInt64, upheld: Bool = false, note: String) {
        self.target = target
        self.upheld = upheld
        self.note = note
    }
    public func encode(to writer: inout ByteWriter) {
        writer.u64(target)
        writer.bool(upheld)
        writer.field(note)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        target = try reader.u64("target")
        upheld = try reader.bool("upheld")
        note = try reader.text("note")
    }
}

/// `points.period-close`: the end of a year.
public struct PeriodClose: GovernancePayload {
    /// The year that ends, in the community's time zone.
    public var year: Int32
    /// `true` when unspent contribution points expire to the pool; it must
    /// be what the rules say.
    public var expiresContribution: Bool
    /// A period close.
    public init(year: Int32, expiresContribution: Bool) {
        self.year = year
        self.expiresContribution = expiresContribution
    }
    public func encode(to writer: inout ByteWriter) {
        writer.bool(expiresContribution)
        writer.u32(UInt32(bitPattern: year))
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        expiresContribution = try reader.bool("expires contribution")
        year = Int32(bitPattern: try reader.u32("year"))
    }
}

// MARK: Archives

/// `archive.register`: a resident's archive. The name, phone and address
/// are sealed under the resident's key.
public struct ResidentRegistration: GovernancePayload {
    /// The household id (一户一档).
    public var household: String
    /// The four-colour level.
    public var level: RiskLevel
    /// Tags, such as `elderly-alone` (DOMAIN.md §4).
    public var tags: [String]
    /// The sealed name.
    public var name: SealedField
    /// The sealed phone number.
    public var phone: SealedField
    /// The sealed address.
    public var address: SealedField

    /// A registration.
    public init(household: String, level: RiskLevel, tags: [String], name: SealedField, phone: SealedField, address: SealedField) {
        self.household = household
        self.level = level
        self.tags = tags
        self.name = name
        self.phone = phone
        self.address = address
    }
    public func encode(to writer: inout ByteWriter) {
        writer.code(level)
        writer.field(household)
        writer.strings(tags)
        writer.field(name.bytes)
        writer.field(phone.bytes)
        writer.field(address.bytes)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        level = try reader.code("level")
        household = try reader.string("household", maxLength: 128)
        tags = try reader.strings("tags")
        name = try reader.sealed("name")
        phone = try reader.sealed("phone")
        address = try reader.sealed("address")
    }
}

/// `archive.update`: new tags and level.
public struct ResidentUpdate: GovernancePayload {
    /// The level from now on.
    public var level: RiskLevel
    /// The tags from now on.
    public var tags: [String]
    /// An update.
    public init(level: RiskLevel, tags: [String]) {
        self.level = level
        self.tags = tags
    }
    public func encode(to writer: inout ByteWriter) {
        writer.code(level)
        writer.strings(tags)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        level = try reader.code("level")
        tags = try reader.strings("tags")
    }
}

/// `archive.visit` and `health.record`: a dated entry with a sealed note.
public struct SealedNote: GovernancePayload {
    /// For `health.record`, the kind of entry; `checkin` for visits.
    public var kind: HealthEntryKind
    /// The sealed note.
    public var note: SealedField
    /// A sealed note.
    public init(kind: HealthEntryKind = .checkin, note: SealedField) {
        self.kind = kind
        self.note = note
    }
    public func encode(to writer: inout ByteWriter) {
        writer.code(kind)
        writer.field(note.bytes)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        kind = try reader.code("kind")
        note = try reader.sealed("note")
    }
}

// MARK: Volunteer tasks and supplies

/// `volunteer.post`.
public struct TaskPost: GovernancePayload {
    /// What the task is for, such as `elderly-visit`.
    public var category: String
    /// What to do.
    public var title: String
    /// A task.
    public init(category: String, title: String) {
        self.category = category
        self.title = title
    }
    public func encode(to writer: inout ByteWriter) {
        writer.field(category)
        writer.field(title)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        category = try reader.string("category", maxLength: 64)
        title = try reader.text("title")
    }
}

/// `supplies.in` and `supplies.out`.
public struct StockMovement: GovernancePayload {
    /// The item, such as `sandbag`.
    public var item: String
    /// How many, at least 1.
    public var quantity: Int64
    /// Where from or what for.
    public var note: String
    /// A movement.
    public init(item: String, quantity: Int64, note: String) {
        self.item = item
        self.quantity = quantity
        self.note = note
    }
    public func encode(to writer: inout ByteWriter) {
        writer.i64(quantity)
        writer.field(item)
        writer.field(note)
    }
    public init(from reader: inout ByteReader) throws(LedgerError) {
        quantity = try reader.i64("quantity")
        item = try reader.string("item", maxLength: 64)
        note = try reader.text("note")
    }
}

// MARK: Hot-path heads
//
// The leading fields of a payload, read without decoding the rest; next to
// the layouts above so that each layout is written down once.

extension CaseReport {
    /// The urgency and category of a `case.report` payload.
    public static func head(_ payload: some ContiguousBytesCollection) throws(LedgerError) -> (urgency: Urgency, category: String) {
        try withBytes(payload) { (buffer) throws(LedgerError) in
            var reader = ByteReader(buffer)
            let urgency: Urgency = try reader.code("urgency")
            return (urgency, try reader.string("category", maxLength: 64))
        }
    }
}

extension CaseExtension {
    /// The minutes of a `case.extend` payload.
    public static func minutes(_ payload: some ContiguousBytesCollection) throws(LedgerError) -> UInt32 {
        try withBytes(payload) { (buffer) throws(LedgerError) in
            var reader = ByteReader(buffer)
            return try reader.u32("minutes")
        }
    }
}

extension CaseRating {
    /// The rating of a `case.rate` payload.
    public static func head(_ payload: some ContiguousBytesCollection) throws(LedgerError) -> Rating {
        try withBytes(payload) { (buffer) throws(LedgerError) in
            var reader = ByteReader(buffer)
            return try reader.code("rating")
        }
    }
}

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
