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

/// A resident's four-colour level and tags (docs/domain.md §4): health,
/// disability and criminal-record tags are sensitive personal information
/// (PIPL art. 28), so from version 2 of `archive.register` and
/// `archive.update` the profile is sealed under the resident's key, as the
/// name is. Its plaintext is the canonical JSON
/// `{"level":"red","tags":["disability"]}`.
public struct ResidentProfile: Codable, Hashable, Sendable {
    /// The four-colour level.
    public var level: RiskLevel
    /// The tags, such as `elderly-alone`.
    public var tags: [String]

    /// A profile.
    public init(level: RiskLevel, tags: [String]) {
        self.level = level
        self.tags = tags
    }

    /// The field name the profile is sealed under (its context's last part).
    public static let field = "profile"

    /// The canonical JSON the profile is sealed as.
    public var plaintext: String {
        let value = StrictJSON.Value.object([
            (name: "level", node: StrictJSON.Node(value: .string(level.rawValue))),
            (name: "tags", node: StrictJSON.Node(value: .array(tags.map { StrictJSON.Node(value: .string($0)) }))),
        ])
        return String(decoding: StrictJSON.canonical(value), as: UTF8.self)
    }

    /// The key a resident's profile is sealed under: a subkey of the
    /// resident's key (`FieldKey/subkey(_:context:)`), so an auditor can
    /// be granted the profile keys without the keys that open names, and
    /// erasing the resident erases the profile.
    public static func key(from residentKey: FieldKey) -> FieldKey { residentKey.subkey(1, context: "profile_") }

    /// The profile sealed for `resident` of the ledger `origin`, under the
    /// profile key derived from the resident's key.
    public func sealed(with residentKey: FieldKey, origin: String, resident: String) -> SealedField {
        SealedField(
            sealing: plaintext, with: Self.key(from: residentKey), context: SealedContact.context(origin: origin, resident: resident, field: Self.field))
    }

    /// The profile `sealed` holds, or `nil` when it does not open with
    /// `profileKey` (``key(from:)``) or is not a profile (a wrong level, too
    /// many or too long tags).
    public static func open(_ sealed: SealedField, profileKey: FieldKey, origin: String, resident: String) -> ResidentProfile? {
        guard let text = sealed.open(with: profileKey, context: SealedContact.context(origin: origin, resident: resident, field: field)),
            let node = try? StrictJSON.parse(Array(text.utf8), what: "profile"), case .object(let members) = node.value,
            members.count == 2, let level = members.first(where: { $0.name == "level" }),
            case .string(let levelName) = level.node.value, let risk = RiskLevel(rawValue: levelName),
            let tags = members.first(where: { $0.name == "tags" }), case .array(let elements) = tags.node.value, elements.count <= 64
        else { return nil }
        var names: [String] = []
        for element in elements {
            guard case .string(let tag) = element.value, tag.utf8.count <= 128 else { return nil }
            names.append(tag)
        }
        return ResidentProfile(level: risk, tags: names)
    }
}

/// `archive.register`, version 2 (the shape projections see): a
/// resident's archive. The name, phone, address and profile (level and
/// tags) are sealed under the resident's key; the visit interval the rules
/// derive from the profile is in the clear, so the rules keep working at
/// append and in an audit without the key (docs/threat-model.md).
///
/// An entry written as version 1 reads as this shape with its level and
/// tags in ``clearProfile`` (``ResidentRegistrationV1``).
public struct ResidentRegistration: GovernancePayload {
    /// Days allowed between household visits, derived by the rules in force
    /// from the sealed profile (`0` only in an entry upcast from version 1,
    /// whose interval the rules derive from ``clearProfile``).
    public var visitIntervalDays: UInt32 = 0
    /// The household id (一户一档).
    public var household = ""
    /// The sealed level and tags (``ResidentProfile``).
    public var profile = SealedField.empty
    /// The sealed name.
    public var name = SealedField.empty
    /// The sealed phone number.
    public var phone = SealedField.empty
    /// The sealed address.
    public var address = SealedField.empty
    /// The level and tags of an entry written as version 1, which carried
    /// them in the clear; `nil` for version 2. Not a field: no version 2
    /// entry can carry it.
    public var clearProfile: ResidentProfile?

    public static let fields: [PayloadField<Self>] = [
        .u32(.internal, "visitIntervalDays", \.visitIntervalDays), .text(.internal, "household", \.household, maxLength: 128),
        .sealed("profile", \.profile), .sealed("name", \.name), .sealed("phone", \.phone), .sealed("address", \.address),
    ]

    /// An empty registration: what the decoders fill in.
    public init() {}

    /// A registration.
    public init(
        household: String, visitIntervalDays: UInt32, profile: SealedField, name: SealedField, phone: SealedField, address: SealedField
    ) {
        self.household = household
        self.visitIntervalDays = visitIntervalDays
        self.profile = profile
        self.name = name
        self.phone = phone
        self.address = address
    }

    /// Version 1 read as version 2: the level and tags stay in the clear,
    /// in ``clearProfile``; the interval is left to the rules (`0`).
    static func upcast(_ old: ResidentRegistrationV1) -> Self {
        var new = Self(household: old.household, visitIntervalDays: 0, profile: .empty, name: old.name, phone: old.phone, address: old.address)
        new.clearProfile = ResidentProfile(level: old.level, tags: old.tags)
        return new
    }
}

/// `archive.register`, version 1: the level and tags in the clear. Still
/// valid for the entries signed so (signed bytes never change); no longer
/// written. Published nowhere: its entries carry personal fields in the
/// clear.
public struct ResidentRegistrationV1: GovernancePayload {
    /// The household id.
    public var household = ""
    /// The four-colour level, in the clear.
    public var level: RiskLevel = .green
    /// Tags, in the clear.
    public var tags: [String] = []
    /// The sealed name.
    public var name = SealedField.empty
    /// The sealed phone number.
    public var phone = SealedField.empty
    /// The sealed address.
    public var address = SealedField.empty

    public static let fields: [PayloadField<Self>] = [
        .code(.personal, "level", \.level), .text(.internal, "household", \.household, maxLength: 128), .strings(.personal, "tags", \.tags),
        .sealed("name", \.name), .sealed("phone", \.phone), .sealed("address", \.address),
    ]

    /// An empty registration: what the decoders fill in.
    public init() {}

    /// A version 1 registration (tests of old entries only).
    public init(household: String, level: RiskLevel, tags: [String], name: SealedField, phone: SealedField, address: SealedField) {
        self.household = household
        self.level = level
        self.tags = tags
        self.name = name
        self.phone = phone
        self.address = address
    }
}

/// `archive.update`, version 2 (the shape projections see): a new sealed
/// profile and the visit interval derived from it.
public struct ResidentUpdate: GovernancePayload {
    /// Days allowed between visits from now on (`0` only when upcast from
    /// version 1).
    public var visitIntervalDays: UInt32 = 0
    /// The sealed level and tags from now on.
    public var profile = SealedField.empty
    /// The level and tags of a version 1 entry, in the clear; `nil` for
    /// version 2.
    public var clearProfile: ResidentProfile?

    public static let fields: [PayloadField<Self>] = [
        .u32(.internal, "visitIntervalDays", \.visitIntervalDays), .sealed("profile", \.profile),
    ]

    /// An empty update: what the decoders fill in.
    public init() {}

    /// An update.
    public init(visitIntervalDays: UInt32, profile: SealedField) {
        self.visitIntervalDays = visitIntervalDays
        self.profile = profile
    }

    /// Version 1 read as version 2.
    static func upcast(_ old: ResidentUpdateV1) -> Self {
        var new = Self(visitIntervalDays: 0, profile: .empty)
        new.clearProfile = ResidentProfile(level: old.level, tags: old.tags)
        return new
    }
}

/// `archive.update`, version 1: level and tags in the clear; no longer
/// written.
public struct ResidentUpdateV1: GovernancePayload {
    /// The level from now on.
    public var level: RiskLevel = .green
    /// The tags from now on.
    public var tags: [String] = []

    public static let fields: [PayloadField<Self>] = [.code(.personal, "level", \.level), .strings(.personal, "tags", \.tags)]

    /// An empty update: what the decoders fill in.
    public init() {}

    /// A version 1 update (tests of old entries only).
    public init(level: RiskLevel, tags: [String]) {
        self.level = level
        self.tags = tags
    }
}

/// `archive.visit` and `health.record`, version 2 (the shape projections
/// see): a dated entry with a note sealed under that kind's note key
/// (``NoteKeys``), which a retention period can destroy without erasing the
/// resident. An entry written as version 1 has the same layout and type,
/// sealed under the resident's key (``sealedUnderResidentKey``).
public struct SealedNote: GovernancePayload {
    /// For `health.record`, the kind of entry; `checkin` for visits.
    public var kind: HealthEntryKind = .checkin
    /// The sealed note.
    public var note = SealedField.empty
    /// `true` for a version 1 entry, whose note opens with the resident's
    /// own key. Not a field.
    public var sealedUnderResidentKey = false

    public static let fields: [PayloadField<Self>] = [.code(.internal, "kind", \.kind), .sealed("note", \.note)]

    /// An empty note: what the decoders fill in.
    public init() {}

    /// A sealed note.
    public init(kind: HealthEntryKind = .checkin, note: SealedField) {
        self.kind = kind
        self.note = note
    }

    /// Version 1, the same layout, read as version 2: sealed under the
    /// resident's key.
    static func upcast(_ old: SealedNote) -> Self {
        var new = old
        new.sealedUnderResidentKey = true
        return new
    }
}

/// `archive.expire`: one kind of a resident's notes erased because its
/// retention period passed (``GovernanceRules/retentionDays``).
public struct RetentionExpiry: GovernancePayload {
    /// The kind of notes: `visit` or `health`.
    public var data: RetainedData = .visit
    /// Why, for the record.
    public var reason = ""

    public static let fields: [PayloadField<Self>] = [.code(.internal, "data", \.data), .text(.internal, "reason", \.reason)]

    /// An empty expiry: what the decoders fill in.
    public init() {}

    /// An expiry.
    public init(data: RetainedData, reason: String) {
        self.data = data
        self.reason = reason
    }
}

/// The vault subjects of a resident's note keys: one key per kind of note
/// (visit, health) and generation, so that a retention period destroys one
/// kind's notes and leaves the rest. The generation counts that kind's
/// expiries so far: notes written after an expiry get a new key.
public enum NoteKeys {
    /// The vault subject of `resident`'s `data` notes in `generation`:
    /// `RESIDENT`, U+001F, the kind, U+001F, the generation (a control
    /// character no actor id may hold).
    public static func subject(_ resident: String, _ data: RetainedData, generation: Int) -> String {
        "\(resident)\u{1F}\(data.rawValue)\u{1F}\(generation)"
    }

    /// The subject of the key the next `data` note of `resident` is sealed
    /// under, by the state's archive.
    public static func current(_ resident: String, _ data: RetainedData, in archive: ResidentArchive) -> String {
        subject(resident, data, generation: archive[resident]?.noteGenerations[data] ?? 0)
    }
}
