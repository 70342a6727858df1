import CivicLedger

/// Who met the yearly volunteer quota (docs/domain.md §5): each member of the
/// role the rules name, their completed tasks in a year of the community's
/// time zone, against the quota the rules set.
public struct VolunteerQuota: Sendable, Equatable {
    /// The year, in the community's time zone.
    public var year: Int32
    /// Completed tasks required.
    public var quota: Int
    /// The role the quota applies to.
    public var role: String
    /// Each member, by actor id in order, and their completions.
    public var members: [(member: String, completed: Int)]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.year == rhs.year && lhs.quota == rhs.quota && lhs.role == rhs.role
            && lhs.members.map(\.member) == rhs.members.map(\.member) && lhs.members.map(\.completed) == rhs.members.map(\.completed)
    }

    /// Members short of the quota, fewest completions first.
    public var short: [(member: String, completed: Int)] {
        members.filter { $0.completed < quota }.sorted { ($0.completed, $0.member) < ($1.completed, $1.member) }
    }

    /// The quota as of `time`: the rules' quota, role and time zone unless
    /// given. Completions count over all of a member's keys (a rotated key
    /// still counts).
    public init(
        record: VolunteerRecord, registry: AuthorityRegistry, rules: GovernanceRules?, asOf time: Timestamp, year: Int32? = nil,
        quota: Int? = nil, role: String? = nil
    ) {
        let role = role ?? rules?.quotaRole ?? "party-member"
        self.role = role
        self.quota = quota ?? rules?.volunteerQuotaPerYear ?? 5
        let year = year ?? CivilMonth(time, offsetMinutes: rules?.utcOffsetMinutes ?? 480).year
        self.year = year
        var done: [String: Int] = [:]
        for (key, byYear) in record.completions {
            guard let actor = registry.keys[key]?.actor else { continue }
            done[actor, default: 0] += byYear[year] ?? 0
        }
        members = registry.actors.values.filter { $0.roles.contains { $0.role == role } }.map(\.id).sorted().map { ($0, done[$0] ?? 0) }
    }
}

extension GovernanceRules {
    /// The rules in force after the first `size` entries of `store` (the
    /// whole log by default): the last `community.rules` on the community
    /// stream, read through the store's stream index; `nil` before the
    /// first. A few entries are read, never the log.
    public static func inForce(in store: any EventStoreReader, size: UInt64 = .max) async throws -> GovernanceRules? {
        var rules: GovernanceRules?
        var version: UInt64 = 1
        while true {
            let page = try await store.entries(inStream: GovernanceKind.communityStream, fromVersion: version, limit: 256)
            for stored in page where stored.position < size {
                let entry = try LedgerEntry(bytes: stored.bytes)
                if entry.kind == GovernanceKind.rules, let parsed = try? GovernanceRules(payload: entry.payload) { rules = parsed }
            }
            version += UInt64(page.count)
            if page.count < 256 { return rules }
        }
    }
}
