import CivicLedger
import Foundation

/// The rules a community runs by, as data: docs/domain.md's defaults, changed
/// by a `community.rules` event (its payload is this value as JSON).
///
/// Everything a rule of the domain gives a default for is here: deadlines
/// by urgency, how emergency mode shortens them, extensions, departments
/// and their staff, point rules with caps and grantors, the appeal window,
/// expiry, visit intervals and the volunteer quota.
public struct GovernanceRules: Codable, Hashable, Sendable {
    /// A department and the actors who act for it.
    public struct Department: Codable, Hashable, Sendable {
        /// The department's name, such as 水务.
        public var name: String
        /// The actor ids of its staff.
        public var staff: [String]
        /// A department.
        public init(name: String, staff: [String]) {
            self.name = name
            self.staff = staff
        }
    }

    /// What may serve as evidence for a points award.
    public enum Evidence: String, Codable, Hashable, Sendable, CaseIterable {
        /// A closed case (`case.close`): the reporter earns.
        case caseClosed = "case-closed"
        /// A confirmed volunteer task (`volunteer.confirm`): the volunteer earns.
        case taskConfirmed = "task-confirmed"
        /// A household visit (`archive.visit`): the visited resident earns
        /// (for taking part in a check).
        case visit
    }

    /// A rule for awarding or deducting points ("奖惩有度").
    public struct PointRule: Codable, Hashable, Sendable {
        /// What it is for, such as 社区巡防.
        public var title: String
        /// The account it moves.
        public var account: PointsAccount
        /// Points per award (positive) or deduction (negative).
        public var amount: Int64
        /// The most one resident may earn under this rule in a month
        /// (awards only); `nil` for no cap.
        public var monthlyCap: Int64?
        /// The roles that may grant it (in a place covering the resident's).
        public var grantors: [String]
        /// What an award must cite; empty for a deduction.
        public var evidence: [Evidence]
        /// A deduction that also suspends redemption for the rest of the year.
        public var suspendsRedemption: Bool

        /// A rule.
        public init(
            title: String, account: PointsAccount, amount: Int64, monthlyCap: Int64? = nil, grantors: [String],
            evidence: [Evidence] = [], suspendsRedemption: Bool = false
        ) {
            self.title = title
            self.account = account
            self.amount = amount
            self.monthlyCap = monthlyCap
            self.grantors = grantors
            self.evidence = evidence
            self.suspendsRedemption = suspendsRedemption
        }

        /// `true` for a deduction rule.
        public var isDeduction: Bool { amount < 0 }

        /// The points one award or deduction moves: |amount|, without
        /// trapping on `Int64.min` (which ``GovernanceRules/validate()``
        /// refuses).
        public var size: Int64 { Int64(clamping: amount.magnitude) }
    }

    /// The community's place, such as `zhuji/dongsheng`.
    public var community: Place
    /// The community's name, such as 东盛村.
    public var communityName: String
    /// The community's time zone, as minutes east of UTC (China: 480). Months
    /// and years (caps, expiry, quotas) are counted in it.
    public var utcOffsetMinutes: Int
    /// Minutes allowed from dispatch, by urgency, in peacetime.
    public var deadlineMinutes: [Urgency: UInt32]
    /// In emergency mode, deadlines are this per cent of the peacetime ones.
    public var emergencyDeadlinePercent: UInt32
    /// The longest single extension, in minutes.
    public var maximumExtensionMinutes: UInt32
    /// How many extensions a case may have.
    public var maximumExtensions: Int
    /// Departments by id.
    public var departments: [String: Department]
    /// Point rules by id.
    public var pointRules: [String: PointRule]
    /// An award or deduction may be appealed within this many days.
    public var appealWindowDays: Int
    /// Unspent contribution points expire at the year's close.
    public var contributionExpiresYearly: Bool
    /// Days between visits by default (every household at least yearly).
    public var visitIntervalDays: Int
    /// Days between visits for residents with a tag (special groups).
    public var visitIntervalDaysByTag: [String: Int]
    /// Days between visits by risk level (red and orange more often).
    public var visitIntervalDaysByLevel: [RiskLevel: Int]
    /// Volunteer tasks each party member is expected to complete a year.
    public var volunteerQuotaPerYear: Int
    /// The role whose holders the volunteer quota applies to.
    public var quotaRole: String
    /// How long each kind of personal data is kept (PIPL art. 19, 47), in
    /// days: `visit` and `health` notes after the last of their kind for a
    /// resident, the `archive` (name, phone, address, level and tags) after
    /// the resident's last archive entry. A kind not named is kept until
    /// the resident is erased. Rules that set it are `community.rules`
    /// version 2.
    public var retentionDays: [RetainedData: Int]? = nil

    /// The deadline for `urgency` in `mode`, in minutes.
    public func deadline(for urgency: Urgency, mode: CommunityMode) -> UInt32 {
        let base = deadlineMinutes[urgency] ?? 7 * 24 * 60
        return mode == .emergency ? max(1, UInt32(clamping: UInt64(base) * UInt64(emergencyDeadlinePercent) / 100)) : base
    }

    /// Days between visits for a resident with `tags` at `level`: the
    /// shortest interval that applies.
    public func visitInterval(tags: [String], level: RiskLevel) -> Int {
        var days = visitIntervalDays
        for tag in tags { if let interval = visitIntervalDaysByTag[tag] { days = min(days, interval) } }
        if let interval = visitIntervalDaysByLevel[level] { days = min(days, interval) }
        return days
    }

    /// Every interval ``visitInterval(tags:level:)`` can give: the default,
    /// and each shorter interval by tag or level.
    public var possibleVisitIntervals: Set<Int> {
        Set([visitIntervalDays] + (Array(visitIntervalDaysByTag.values) + Array(visitIntervalDaysByLevel.values)).filter { $0 < visitIntervalDays })
    }

    /// The rules of docs/domain.md for `community`, with no departments.
    public static func defaults(community: Place, name: String) -> GovernanceRules {
        let deadlines: [Urgency: UInt32] = [.emergency: 120, .utilities: 24 * 60, .general: 7 * 24 * 60, .complex: 15 * 24 * 60]
        let leaders = ["grid-leader", "community-secretary"]
        let judges = ["community-secretary", "points-committee"]
        var rules: [String: PointRule] = [:]
        rules["patrol"] = PointRule(title: "社区巡防 patrol", account: .contribution, amount: 5, monthlyCap: 20, grantors: leaders, evidence: [.taskConfirmed])
        rules["care"] = PointRule(title: "邻里照护 neighbour care", account: .contribution, amount: 10, monthlyCap: 40, grantors: leaders, evidence: [.taskConfirmed])
        rules["report"] = PointRule(title: "隐患上报 hazard report", account: .contribution, amount: 3, monthlyCap: 15, grantors: leaders, evidence: [.caseClosed])
        rules["screening"] = PointRule(title: "疫情排查 health screening", account: .contribution, amount: 2, monthlyCap: 10, grantors: ["grid-worker", "grid-leader"], evidence: [.visit])
        rules["recognition"] = PointRule(title: "表彰 recognition", account: .reputation, amount: 10, grantors: ["points-committee"], evidence: [.taskConfirmed, .caseClosed])
        rules["littering"] = PointRule(title: "高空抛物 littering from height", account: .reputation, amount: -10, grantors: judges)
        rules["obstruction"] = PointRule(title: "阻碍应急 obstructing emergency work", account: .reputation, amount: -20, grantors: judges, suspendsRedemption: true)
        let byTag: [String: Int] = ["elderly-alone": 30, "disability": 30, "chronic-illness": 90, "released-prisoner": 30, "left-behind-child": 30]
        let byLevel: [RiskLevel: Int] = [.red: 30, .orange: 90]
        return GovernanceRules(
            community: community, communityName: name, utcOffsetMinutes: 480, deadlineMinutes: deadlines,
            emergencyDeadlinePercent: 50, maximumExtensionMinutes: 7 * 24 * 60, maximumExtensions: 1, departments: [:],
            pointRules: rules, appealWindowDays: 30, contributionExpiresYearly: true, visitIntervalDays: 365,
            visitIntervalDaysByTag: byTag, visitIntervalDaysByLevel: byLevel, volunteerQuotaPerYear: 5, quotaRole: "party-member")
    }

    /// The `community.rules` version these rules are written in: 2 when
    /// they set retention periods, else 1.
    public var schemaVersion: UInt32 { retentionDays == nil ? 1 : 2 }

    /// The payload of a `community.rules` event: JSON with sorted keys.
    public var encoded: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try! encoder.encode(self))
    }

    /// Checks the values are usable and within ``GovernanceLimits``.
    public func validate() throws(LedgerError) {
        func within<T: BinaryInteger>(_ field: String, _ value: T, _ bounds: ClosedRange<T>) throws(LedgerError) {
            guard bounds.contains(value) else {
                throw LedgerError(.domainRule, "rules: " + GovernanceLimits.outOfBounds(field, value, bounds))
            }
        }
        for urgency in Urgency.allCases {
            try within("deadlineMinutes.\(urgency.rawValue)", deadlineMinutes[urgency] ?? 0, GovernanceLimits.minutes)
        }
        try within("emergencyDeadlinePercent", emergencyDeadlinePercent, 1...100)
        try within("maximumExtensionMinutes", maximumExtensionMinutes, GovernanceLimits.minutes)
        try within("maximumExtensions", maximumExtensions, GovernanceLimits.extensions)
        try within("utcOffsetMinutes", utcOffsetMinutes, GovernanceLimits.utcOffsetMinutes)
        try within("appealWindowDays", appealWindowDays, GovernanceLimits.appealDays)
        try within("visitIntervalDays", visitIntervalDays, GovernanceLimits.visitDays)
        for (tag, days) in visitIntervalDaysByTag.sorted(by: { $0.key < $1.key }) {
            try within("visitIntervalDaysByTag.\(tag)", days, GovernanceLimits.visitDays)
        }
        for (level, days) in visitIntervalDaysByLevel.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            try within("visitIntervalDaysByLevel.\(level.rawValue)", days, GovernanceLimits.visitDays)
        }
        try within("volunteerQuotaPerYear", volunteerQuotaPerYear, GovernanceLimits.yearlyQuota)
        for (data, days) in (retentionDays ?? [:]).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            try within("retentionDays.\(data.rawValue)", days, GovernanceLimits.retentionDays)
        }
        for (id, rule) in pointRules.sorted(by: { $0.key < $1.key }) {
            guard !rule.grantors.isEmpty else {
                throw LedgerError(.domainRule, "rules: point rule \(id) needs a grantor")
            }
            try within("pointRules.\(id).amount (its size)", rule.size, GovernanceLimits.pointsPerMovement)
            if let cap = rule.monthlyCap { try within("pointRules.\(id).monthlyCap", cap, GovernanceLimits.monthlyCap) }
            guard rule.isDeduction || !rule.evidence.isEmpty else {
                throw LedgerError(.domainRule, "rules: award rule \(id) must name what evidence it needs")
            }
        }
    }
}

extension GovernanceRules {
    /// Decodes and checks a `community.rules` payload.
    ///
    /// - Throws: `LedgerError` `.malformed` when it is not this JSON, or
    ///   `.domainRule` when a value is out of range.
    public init(payload: [UInt8]) throws(LedgerError) {
        self = try StrictJSON.decode(GovernanceRules.self, from: payload, what: "community.rules payload")
        try validate()
    }
}

/// The kinds of personal data a retention period applies to
/// (``GovernanceRules/retentionDays``).
public enum RetainedData: String, ByteCoded {
    /// The archive: name, phone, address, level and tags; kept after the
    /// resident's last archive entry, then the resident is erased.
    case archive
    /// Visit notes (`archive.visit`).
    case visit
    /// Health entries (`health.record`).
    case health
}

/// A civil date in the community's time zone, for months and years.
public struct CivilMonth: Hashable, Sendable, Codable, Comparable {
    /// The year.
    public var year: Int32
    /// The month, 1 to 12.
    public var month: Int32

    /// The month `time` falls in, `offsetMinutes` east of UTC.
    public init(_ time: Timestamp, offsetMinutes: Int) {
        let seconds = time.millisecondsSinceEpoch / 1000 + Int64(offsetMinutes) * 60
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let m = mp < 10 ? mp + 3 : mp - 9
        year = Int32(yoe + era * 400 + (m <= 2 ? 1 : 0))
        month = Int32(m)
    }

    public static func < (lhs: CivilMonth, rhs: CivilMonth) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }
}
