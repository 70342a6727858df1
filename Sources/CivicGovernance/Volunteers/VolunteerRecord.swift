import CivicLedger

/// Volunteer tasks (小红旗) and who completed how many, by year.
public struct VolunteerRecord: Projection, Codable, Hashable {
    public static let name = "volunteer-record"
    public var lastPosition: UInt64?

    /// The state of a task.
    public enum TaskState: String, Codable, Hashable, Sendable {
        /// Posted, not claimed.
        case posted
        /// Claimed by a volunteer.
        case claimed
        /// The volunteer reported it done.
        case done
        /// The organiser confirmed it.
        case confirmed
    }

    /// One task.
    public struct Task: Codable, Hashable, Sendable {
        /// Its category.
        public var category: String
        /// Who posted it (the organiser, who confirms).
        public var organiser: PublicKey
        /// Who claimed it.
        public var volunteer: PublicKey?
        /// Its state.
        public var state: TaskState
        /// When it was posted.
        public var postedAt: Timestamp
        /// When it was confirmed.
        public var confirmedAt: Timestamp?
        /// The stream's version.
        public var version: UInt64
    }

    /// Tasks by stream.
    public private(set) var tasks: [String: Task] = [:]
    /// Confirmed tasks by volunteer key and year (the community's time zone).
    public private(set) var completions: [PublicKey: [Int32: Int]] = [:]
    private var utcOffsetMinutes = 480

    /// No tasks.
    public init() {}

    /// Tasks `key` completed in `year`.
    public func completed(by key: PublicKey, in year: Int32) -> Int { completions[key]?[year] ?? 0 }

    public mutating func apply(_ entry: LedgerEntry) throws {
        guard let code = GovernanceKind.code(of: entry) else { return }
        switch code {
        case .rules:
            if let rules = try? GovernanceRules(payload: entry.payload) { utcOffsetMinutes = rules.utcOffsetMinutes }
            return
        case .post:
            guard tasks[entry.stream] == nil, let post = try? TaskPost(entry: entry) else { return }
            tasks[entry.stream] = Task(
                category: post.category, organiser: entry.actorKey, state: .posted, postedAt: entry.recordedAt, version: entry.streamVersion
            )
        case .claim:
            guard tasks[entry.stream]?.state == .posted else { return }
            tasks[entry.stream]!.volunteer = entry.actorKey
            tasks[entry.stream]!.state = .claimed
        case .complete:
            guard tasks[entry.stream]?.state == .claimed else { return }
            tasks[entry.stream]!.state = .done
        case .confirm:
            guard let task = tasks[entry.stream], task.state == .claimed || task.state == .done, let volunteer = task.volunteer else {
                return
            }
            tasks[entry.stream]!.state = .confirmed
            tasks[entry.stream]!.confirmedAt = entry.recordedAt
            let year = CivilMonth(entry.recordedAt, offsetMinutes: utcOffsetMinutes).year
            completions[volunteer, default: [:]][year, default: 0] += 1
        default:
            return
        }
        tasks[entry.stream]?.version = entry.streamVersion
    }
}
