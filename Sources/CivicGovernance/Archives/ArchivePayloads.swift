import CivicLedger

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

/// The kind of a health archive entry.
public enum HealthEntryKind: String, ByteCoded {
    /// 健康打卡.
    case checkin
    /// A vaccination.
    case vaccination
    /// A chronic-care follow-up.
    case followup
}

/// `archive.register`: a resident's archive. The name, phone and address
/// are sealed under the resident's key.
public struct ResidentRegistration: GovernancePayload {
    /// The household id (一户一档).
    public var household = ""
    /// The four-colour level.
    public var level: RiskLevel = .green
    /// Tags, such as `elderly-alone` (docs/domain.md §4).
    public var tags: [String] = []
    /// The sealed name.
    public var name = SealedField.empty
    /// The sealed phone number.
    public var phone = SealedField.empty
    /// The sealed address.
    public var address = SealedField.empty

    public static let fields: [PayloadField<Self>] = [
        .code("level", \.level), .text("household", \.household, maxLength: 128), .strings("tags", \.tags), .sealed("name", \.name),
        .sealed("phone", \.phone), .sealed("address", \.address),
    ]

    /// An empty registration: what the decoders fill in.
    public init() {}

    /// A registration.
    public init(household: String, level: RiskLevel, tags: [String], name: SealedField, phone: SealedField, address: SealedField) {
        self.household = household
        self.level = level
        self.tags = tags
        self.name = name
        self.phone = phone
        self.address = address
    }
}

/// `archive.update`: new tags and level.
public struct ResidentUpdate: GovernancePayload {
    /// The level from now on.
    public var level: RiskLevel = .green
    /// The tags from now on.
    public var tags: [String] = []

    public static let fields: [PayloadField<Self>] = [.code("level", \.level), .strings("tags", \.tags)]

    /// An empty update: what the decoders fill in.
    public init() {}

    /// An update.
    public init(level: RiskLevel, tags: [String]) {
        self.level = level
        self.tags = tags
    }
}

/// `archive.visit` and `health.record`: a dated entry with a sealed note.
public struct SealedNote: GovernancePayload {
    /// For `health.record`, the kind of entry; `checkin` for visits.
    public var kind: HealthEntryKind = .checkin
    /// The sealed note.
    public var note = SealedField.empty

    public static let fields: [PayloadField<Self>] = [.code("kind", \.kind), .sealed("note", \.note)]

    /// An empty note: what the decoders fill in.
    public init() {}

    /// A sealed note.
    public init(kind: HealthEntryKind = .checkin, note: SealedField) {
        self.kind = kind
        self.note = note
    }
}
