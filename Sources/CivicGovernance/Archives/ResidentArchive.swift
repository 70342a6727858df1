import CivicLedger

/// One resident's archive (群众档案, 一户一档) as the log holds it: the
/// personal fields stay sealed; open them with the resident's key from a
/// `KeyVault`. An erased resident keeps only the fact of erasure.
public struct ResidentRecord: Codable, Hashable, Sendable {
    /// The household id.
    public var household: String
    /// The resident's place (the archive stream's place).
    public var place: Place
    /// The level and tags as a version 1 entry wrote them, in the clear;
    /// `nil` when they are sealed (``sealedProfile``) or erased.
    public var clearProfile: ResidentProfile?
    /// The sealed level and tags (``ResidentProfile``) of a version 2
    /// entry; `nil` for version 1 and once erased.
    public var sealedProfile: [UInt8]?
    /// Days between visits as the last entry stated them; `0` when the
    /// rules derive them from ``clearProfile`` (a version 1 entry).
    public var visitIntervalDays: UInt32
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
    /// The resident's last archive entry (register, update, visit,
    /// health): the archive's retention period runs from it.
    public var lastActivity: Timestamp
    /// The last note of each kind still kept (visit, health): that kind's
    /// retention period runs from it; `nil` once expired.
    public var lastNotes: [RetainedData: Timestamp] = [:]
    /// How many times each kind of note expired: the generation of its
    /// current key (``NoteKeys``).
    public var noteGenerations: [RetainedData: Int] = [:]

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

    /// Decodes the fields from base64 strings (bytes in the compact form).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if decoder.userInfo[CompactCoder.userInfoKey] as? Bool == true {
            self.init(
                name: try container.decode([UInt8].self, forKey: .name), phone: try container.decode([UInt8].self, forKey: .phone),
                address: try container.decode([UInt8].self, forKey: .address))
            return
        }
        func field(_ key: CodingKeys) throws -> [UInt8] {
            let text = try container.decode(String.self, forKey: key)
            guard let bytes = [UInt8](base64String: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not base64")
            }
            return bytes
        }
        self.init(name: try field(.name), phone: try field(.phone), address: try field(.address))
    }

    /// Encodes the fields as base64 strings (in a JSON snapshot, a number
    /// per byte would make the archive five times larger and slower to
    /// write); in the compact form, as bytes.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if encoder.userInfo[CompactCoder.userInfoKey] as? Bool == true {
            try container.encode(name, forKey: .name)
            try container.encode(phone, forKey: .phone)
            try container.encode(address, forKey: .address)
            return
        }
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
            guard let resident = GovernanceStream.subject(of: entry.stream, prefix: "health").map(String.init),
                residents[resident]?.isErased == false
            else { return }
            residents[resident]!.healthEntries += 1
            residents[resident]!.lastActivity = entry.recordedAt
            residents[resident]!.lastNotes[.health] = entry.recordedAt
            return
        case .register, .update, .visit, .erase, .expire:
            break
        default:
            return
        }
        guard let subject = GovernanceStream.subject(of: entry.stream, prefix: "resident") else { return }
        let resident = String(subject)
        switch code {
        case .register:
            guard residents[resident] == nil, let registration = try? ResidentRegistration(entry: entry) else { return }
            residents[resident] = ResidentRecord(
                household: registration.household, place: entry.place, clearProfile: registration.clearProfile,
                sealedProfile: registration.clearProfile == nil ? registration.profile.bytes : nil,
                visitIntervalDays: registration.visitIntervalDays,
                sealed: SealedContact(name: registration.name.bytes, phone: registration.phone.bytes, address: registration.address.bytes),
                registeredAt: entry.recordedAt, lastActivity: entry.recordedAt)
        case .update:
            guard let update = try? ResidentUpdate(entry: entry), residents[resident]?.isErased == false else { return }
            residents[resident]!.clearProfile = update.clearProfile
            residents[resident]!.sealedProfile = update.clearProfile == nil ? update.profile.bytes : nil
            residents[resident]!.visitIntervalDays = update.visitIntervalDays
            residents[resident]!.lastActivity = entry.recordedAt
        case .visit:
            guard residents[resident]?.isErased == false else { return }
            residents[resident]!.visits += 1
            residents[resident]!.lastVisit = entry.recordedAt
            residents[resident]!.lastActivity = entry.recordedAt
            residents[resident]!.lastNotes[.visit] = entry.recordedAt
        case .expire:
            guard residents[resident]?.isErased == false, let expiry = try? RetentionExpiry(entry: entry), expiry.data != .archive else { return }
            residents[resident]!.lastNotes[expiry.data] = nil
            residents[resident]!.noteGenerations[expiry.data, default: 0] += 1
        default:
            guard residents[resident] != nil else { return }
            residents[resident]!.erasedAt = entry.recordedAt
            residents[resident]!.sealed = nil
            residents[resident]!.sealedProfile = nil
            residents[resident]!.clearProfile = nil
            residents[resident]!.lastNotes = [:]
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
    /// What each resident's interval comes from: the interval an entry
    /// stated (version 2), or the clear level and tags the rules in force
    /// derive it from (version 1).
    private var basis: [String: IntervalBasis] = [:]
    private var rules: GovernanceRules?

    enum IntervalBasis: Codable, Hashable {
        case stated(UInt32)
        case derived(ResidentProfile)
    }

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
                schedule[resident] == nil, let registration = try? ResidentRegistration(entry: entry)
            else { return }
            basis[resident] = Self.basis(registration.visitIntervalDays, registration.clearProfile)
            schedule[resident] = Due(place: entry.place, since: entry.recordedAt, intervalDays: 365)
            reschedule(resident)
        case .update:
            guard let resident = GovernanceStream.subject(of: entry.stream, prefix: "resident").map(String.init),
                schedule[resident] != nil, let update = try? ResidentUpdate(entry: entry)
            else { return }
            basis[resident] = Self.basis(update.visitIntervalDays, update.clearProfile)
            reschedule(resident)
        case .visit:
            guard let resident = GovernanceStream.subject(of: entry.stream, prefix: "resident").map(String.init), schedule[resident] != nil
            else { return }
            schedule[resident]!.since = entry.recordedAt
        case .erase:
            guard let resident = GovernanceStream.subject(of: entry.stream, prefix: "resident").map(String.init) else { return }
            schedule[resident] = nil
            basis[resident] = nil
        default:
            return
        }
    }

    static func basis(_ stated: UInt32, _ clear: ResidentProfile?) -> IntervalBasis {
        clear.map(IntervalBasis.derived) ?? .stated(stated)
    }

    /// A stated interval stands as signed (the rules in force when it was
    /// written derived it from the sealed profile; an `archive.update`
    /// restates it); a version 1 profile is derived again under new rules.
    private mutating func reschedule(_ resident: String) {
        switch basis[resident] {
        case .stated(let days)?: schedule[resident]?.intervalDays = Int(days)
        case .derived(let profile)?:
            schedule[resident]?.intervalDays = (rules ?? Self.defaultRules).visitInterval(tags: profile.tags, level: profile.level)
        case nil: break
        }
    }
}
