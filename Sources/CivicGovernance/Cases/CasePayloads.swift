import CivicLedger

/// How urgent a case is; it sets the deadline (docs/domain.md §2).
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

/// `case.report`.
public struct CaseReport: GovernancePayload {
    /// The urgency, which sets the deadline.
    public var urgency: Urgency = .general
    /// The category, such as `drainage` (short ids keep projections fast).
    public var category = ""
    /// Where the case came from.
    public var source: CaseSource = .visit
    /// What was seen. Not a personal field: say nothing about a person here.
    public var summary = ""

    public static let fields: [PayloadField<Self>] = [
        .code(.public, "urgency", \.urgency), .text(.public, "category", \.category, maxLength: 64), .code(.public, "source", \.source), .text(.internal, "summary", \.summary),
    ]

    /// An empty report: what the decoders fill in.
    public init() {}

    /// A report.
    public init(urgency: Urgency, category: String, source: CaseSource, summary: String) {
        self.urgency = urgency
        self.category = category
        self.source = source
        self.summary = summary
    }
}

/// The payload of the case steps that carry only a note: accept, reject,
/// approve, review, delivery failed or retried, acknowledge, return, close,
/// shelve, remind. Reject, return and shelve need a reason (a non-empty note).
public struct CaseNote: GovernancePayload {
    /// The note or reason.
    public var note: String

    public static let fields: [PayloadField<Self>] = [.text(.internal, "note", \.note)]

    /// A note.
    public init(_ note: String = "") { self.note = note }
    /// An empty note.
    public init() { self.init("") }
}

/// `case.dispatch`.
public struct CaseDispatch: GovernancePayload {
    /// The department the case goes to.
    public var department = ""
    /// The time allowed, in minutes from the dispatch; it must be what the
    /// rules give for the case's urgency in the current mode.
    public var deadlineMinutes: UInt32 = 0

    public static let fields: [PayloadField<Self>] = [
        .u32(.public, "deadlineMinutes", \.deadlineMinutes), .text(.public, "department", \.department, maxLength: 64),
    ]

    /// An empty dispatch: what the decoders fill in.
    public init() {}

    /// A dispatch.
    public init(department: String, deadlineMinutes: UInt32) {
        self.department = department
        self.deadlineMinutes = deadlineMinutes
    }
}

/// `case.progress`.
public struct CaseProgress: GovernancePayload {
    /// Per cent done, 0 to 100.
    public var percent: UInt8 = 0
    /// What was done.
    public var note = ""

    public static let fields: [PayloadField<Self>] = [.u8(.public, "percent", \.percent), .text(.internal, "note", \.note)]

    /// No progress: what the decoders fill in.
    public init() {}

    /// Progress.
    public init(percent: UInt8, note: String) {
        self.percent = percent
        self.note = note
    }
}

/// `case.extend`: more time, asked for before the deadline.
public struct CaseExtension: GovernancePayload {
    /// Extra minutes.
    public var minutes: UInt32 = 0
    /// Why.
    public var reason = ""

    public static let fields: [PayloadField<Self>] = [.u32(.public, "minutes", \.minutes), .text(.internal, "reason", \.reason)]

    /// No extension: what the decoders fill in.
    public init() {}

    /// An extension.
    public init(minutes: UInt32, reason: String) {
        self.minutes = minutes
        self.reason = reason
    }
}

/// `case.verify`.
public struct CaseVerification: GovernancePayload {
    /// `true` when the work holds; `false` reopens the case.
    public var passed = false
    /// What the verifier saw.
    public var note = ""

    public static let fields: [PayloadField<Self>] = [.bool(.public, "passed", \.passed), .text(.internal, "note", \.note)]

    /// An empty verification: what the decoders fill in.
    public init() {}

    /// A verification.
    public init(passed: Bool, note: String) {
        self.passed = passed
        self.note = note
    }
}

/// `case.approve`: the community secretary approves a whistle.
public struct CaseApproval: GovernancePayload {
    /// `true` when the second review is skipped: exactly when the community
    /// is in emergency mode.
    public var skipsReview = false
    /// A note.
    public var note = ""

    public static let fields: [PayloadField<Self>] = [.bool(.public, "skipsReview", \.skipsReview), .text(.internal, "note", \.note)]

    /// An empty approval: what the decoders fill in.
    public init() {}

    /// An approval.
    public init(skipsReview: Bool, note: String) {
        self.skipsReview = skipsReview
        self.note = note
    }
}

/// `case.rate`.
public struct CaseRating: GovernancePayload {
    /// The rating.
    public var rating: Rating = .satisfied
    /// For a dissatisfied rating: whether the cause was within the
    /// handler's control, which reopens the case.
    public var controllable = false
    /// A comment.
    public var comment = ""

    public static let fields: [PayloadField<Self>] = [
        .code(.public, "rating", \.rating), .bool(.internal, "controllable", \.controllable), .text(.internal, "comment", \.comment),
    ]

    /// An empty rating: what the decoders fill in.
    public init() {}

    /// A rating.
    public init(rating: Rating, controllable: Bool, comment: String) {
        self.rating = rating
        self.controllable = controllable
        self.comment = comment
    }
}

// MARK: Hot-path heads
//
// The leading fields of a payload, read without decoding the rest: they
// follow the field lists above (a test checks each against them).

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
