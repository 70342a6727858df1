import CivicLedger

/// One resident's archive (群众档案, 一户一档) as the log holds it: the
/// personal fields stay sealed; open them with the resident's key from a
/// `KeyVault`. An erased resident keeps only the fact of erasure.
public struct ResidentRecord: Codable, Hashable, Sendable {
    /// The household id.
    public var household: String
    /// The resident's place (the archive stream's place).
    public var place: Place
    /// The four-colour level.
    public var level: RiskLevel
    /// The tags.
    public var tags: [String]
    /// Sealed name, phone and address; `nil` once erased.
    public var sealed: SealedContact?
    /// When the archive was opened.
    public var registeredAt: Timestamp
    /// The last household visit.
    public var lastVisit: Timestamp?
    /// Visits recorded.
    public var visits: Int = 0
    /// Health archive entries recorded.
    public var healthEntries: Int = 0
    /// When the resident was erased, if they were.
    public var erasedAt: Timestamp?

    /// `true` once erased.
    public var isErased: Bool { erasedAt != nil }
}

/// The sealed contact fields of a resident.
public struct SealedContact: Codable, Hashable, Sendable {
    /// Sealed name.
    public var name: [UInt8]
    /// Sealed phone.
    public var phone: [UInt8]
    /// Sealed address.
    public var address: [UInt8]

    /// The associated data a field of `resident` is sealed with: the
    /// ledger origin, the archive stream and the field name, so a sealed
    /// value cannot be moved to another record or ledger.
    public static func context(origin: String, resident: String, field: String) -> String {
        "\(origin)|\(GovernanceStream.resident(resident))|\(field)"
    }

    /// The sealed fields.
    public init(name: [UInt8], phone: [UInt8], address: [UInt8]) {
        self.name = name
        self.phone = phone
        self.address = address
    }

    private enum CodingKeys: String, CodingKey { case name, phone, address }

    /// Decodes the fields from base64 strings.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func field(_ key: CodingKeys) throws -> [UInt8] {
            let text = try container.decode(String.self, forKey: key)
            guard let bytes = [UInt8](base64String: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not base64")
            }
            return bytes
        }
        self.init(name: try field(.name), phone: try field(.phone), address: try field(.address))
    }

    /// Encodes the fields as base64 strings (in a snapshot, a number per
    /// byte would make the archive five times larger and slower to write).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name.base64String, forKey: .name)
        try container.encode(phone.base64String, forKey: .phone)
        try container.encode(address.base64String, forKey: .address)
    }
}

/// Resident archives by resident id.
public struct ResidentArchive: Projection, Codable, Hashable {
    public static let name = "resident-archive"
    public var lastPosition: UInt64?
    /// Records by resident id.
    public private(set) var residents: [String: ResidentRecord] = [:]

    /// No residents.
    public init() {}

    /// The record of `resident`.
    public subscript(resident: String) -> ResidentRecord? { residents[resident] }

    /// Erased residents.
    public var erasedCount: Int { residents.values.filter(\.isErased).count }

    public mutating func apply(_ entry: LedgerEntry) throws {
        guard let code = GovernanceKind.code(of: entry) else { return }
        switch code {
        case .health:
            guard let resident = GovernanceStream.subject(of: entry.stream, prefix: "health") else { return }
            residents[String(resident)]?.healthEntries += 1
            return
        case .register, .update, .visit, .erase:
            break
        default:
            return
        }
        guard let subject = GovernanceStream.subject(of: entry.stream, prefix: "resident") else { return }
        let resident = String(subject)
        switch code {
        case .register:
            guard residents[resident] == nil, let registration = try? ResidentRegistration(payload: entry.payload) else { return }
            residents[resident] = ResidentRecord(
                household: registration.household, place: entry.content.place, level: registration.level, tags: registration.tags,
                sealed: SealedContact(name: registration.name.bytes, phone: registration.phone.bytes, address: registration.address.bytes),
                registeredAt: entry.recordedAt)
        case .update:
            guard let update = try? ResidentUpdate(payload: entry.payload), residents[resident]?.isErased == false else { return }
            residents[resident]!.level = update.level
            residents[resident]!.tags = update.tags
        case .visit:
            guard residents[resident] != nil else { return }
            residents[resident]!.visits += 1
            residents[resident]!.lastVisit = entry.recordedAt
        default:
            guard residents[resident] != nil else { return }
            residents[resident]!.erasedAt = entry.recordedAt
            residents[resident]!.sealed = nil
            residents[resident]!.tags = []
        }
    }
}

/// Which residents are due or overdue a visit (every household at least
/// yearly; special groups and red/orange levels more often, by the rules
/// in force).
public struct VisitSchedule: Projection, Codable, Hashable {
    public static let name = "visit-schedule"
    public var lastPosition: UInt64?

    /// When a resident is next due.
    public struct Due: Codable, Hashable, Sendable {
        /// The resident's place.
        public var place: Place
        /// The last visit, or the registration when never visited.
        public var since: Timestamp
        /// Days allowed between visits.
        public var intervalDays: Int
        /// When the next visit is due.
        public var due: Timestamp { since.adding(milliseconds: Int64(intervalDays).clampedMultiplied(by: 86_400_000)) }
    }

    /// Due dates by resident id (erased residents are dropped).
    public private(set) var schedule: [String: Due] = [:]
    private var tags: [String: [String]] = [:]
    private var levels: [String: RiskLevel] = [:]
    private var rules: GovernanceRules?

    /// The intervals used before the log sets its rules.
    static let defaultRules = GovernanceRules.defaults(community: .everywhere, name: "")

    /// An empty schedule.
    public init() {}

    /// Residents whose visit is overdue at `time`, most overdue first.
    public func overdue(at time: Timestamp) -> [(resident: String, due: Due)] {
        schedule.filter { $0.value.due < time }
            .map { (resident: $0.key, due: $0.value) }
            .sorted { ($0.due.due, $0.resident) < ($1.due.due, $1.resident) }
    }

    public mutating func apply(_ entry: LedgerEntry) throws {
        guard let code = GovernanceKind.code(of: entry) else { return }
        switch code {
        case .rules:
            guard let rules = try? GovernanceRules(payload: entry.payload) else { return }
            self.rules = rules
            for resident in schedule.keys { reschedule(resident) }
        case .register:
            guard let resident = GovernanceStream.subject(of: entry.stream, prefix: "resident").map(String.init),
                schedule[resident] == nil, let registration = try? ResidentRegistration(payload: entry.payload)
            else { return }
            tags[resident] = registration.tags
            levels[resident] = registration.level
            schedule[resident] = Due(place: entry.content.place, since: entry.recordedAt, intervalDays: 365)
            reschedule(resident)
        case .update:
            guard let resident = GovernanceStream.subject(of: entry.stream, prefix: "resident").map(String.init),
                schedule[resident] != nil, let update = try? ResidentUpdate(payload: entry.payload)
            else { return }
            tags[resident] = update.tags
            levels[resident] = update.level
            reschedule(resident)
        case .visit:
            guard let resident = GovernanceStream.subject(of: entry.stream, prefix: "resident").map(String.init), schedule[resident] != nil
            else { return }
            schedule[resident]!.since = entry.recordedAt
        case .erase:
            guard let resident = GovernanceStream.subject(of: entry.stream, prefix: "resident").map(String.init) else { return }
            schedule[resident] = nil
            tags[resident] = nil
            levels[resident] = nil
        default:
            return
        }
    }

    private mutating func reschedule(_ resident: String) {
        let rules = self.rules ?? Self.defaultRules
        schedule[resident]?.intervalDays = rules.visitInterval(tags: tags[resident] ?? [], level: levels[resident] ?? .green)
    }
}

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
            guard tasks[entry.stream] == nil, let post = try? TaskPost(payload: entry.payload) else { return }
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

/// Emergency supplies (应急物资) in stock, per store and item.
public struct SupplyStock: Projection, Codable, Hashable {
    public static let name = "supply-stock"
    public var lastPosition: UInt64?
    /// Quantities by store stream, then item.
    public private(set) var stock: [String: [String: Int64]] = [:]
    /// Quantities counted out, by item, over all stores.
    public private(set) var issuedOut: [String: Int64] = [:]

    /// Nothing in stock.
    public init() {}

    /// The quantity of `item` in `store`.
    public func quantity(of item: String, in store: String) -> Int64 {
        stock[GovernanceStream.supplies(store)]?[item] ?? 0
    }

    public mutating func apply(_ entry: LedgerEntry) throws {
        guard let code = GovernanceKind.code(of: entry), code == .stockIn || code == .stockOut,
            let movement = try? StockMovement(payload: entry.payload), GovernanceLimits.stockPerMovement.contains(movement.quantity)
        else { return }
        let signed = code == .stockIn ? movement.quantity : -movement.quantity
        stock[entry.stream, default: [:]][movement.item, default: 0].addClamped(signed)
        if signed < 0 { issuedOut[movement.item, default: 0].addClamped(movement.quantity) }
    }
}

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
