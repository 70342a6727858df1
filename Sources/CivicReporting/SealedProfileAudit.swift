import CivicGovernance
import CivicLedger

extension LedgerError.Code {
    /// A stated visit interval that is not what the rules in force derive
    /// from the sealed profile it was written with.
    public static let intervalMismatch = LedgerError.Code(rawValue: "interval-mismatch")
    /// A sealed profile that does not open with the granted key.
    public static let profileUnopened = LedgerError.Code(rawValue: "profile-unopened")
}

/// The one check that needs a resident's sealed level and tags: that the
/// visit interval an `archive.register` or `archive.update` (version 2)
/// states in the clear is the one the rules in force derive from its sealed
/// profile (docs/threat-model.md, "Who sees what").
///
/// The ledger checks at append only that the interval is one the rules can
/// give someone; which profile it came from is checked here, by a reader
/// the vault grants the profile keys to (``grant(to:registry:residents:vault:)``).
/// A grant holds the profile subkeys only (`ResidentProfile/key(from:)`):
/// it opens levels and tags, never names, phones or addresses.
public enum SealedProfileAudit {
    /// The roles a vault may grant the profile keys to for an audit: the
    /// supervisor (督查), and the roles that keep the archives.
    public static let roles: Set<String> = PersonalFieldReaders.roles.union(["supervisor"])

    /// Profile keys granted to one reader.
    public struct Grant: Sendable {
        /// The reader, as `actor (roles)`.
        public let reader: String
        /// Each resident's profile key; an erased resident has none.
        public let keys: [String: FieldKey]
    }

    /// The profile keys of `residents`, for `reader`, once the registry
    /// shows the reader holds one of ``roles``. Nothing is fetched from the
    /// vault for a reader who may not have it.
    ///
    /// - Throws: `LedgerError` `.unknownKey` for a key the registry does
    ///   not enrol; `.notAuthorised` for a reader without one of ``roles``;
    ///   the vault's errors.
    public static func grant(
        to reader: PublicKey, registry: AuthorityRegistry?, residents: some Sequence<String>, vault: any KeyVault
    ) async throws -> Grant {
        let shown = try PersonalFieldReaders.admit(reader, in: registry, roles: roles, to: "be granted residents' profiles")
        var keys: [String: FieldKey] = [:]
        for resident in Set(residents) {
            if let key = try await vault.existingKey(for: resident) { keys[resident] = ResidentProfile.key(from: key) }
        }
        return Grant(reader: shown, keys: keys)
    }

    /// The ledger's registry as of its last entry (who holds which role),
    /// and the residents whose archive entries carry a sealed profile: what
    /// a grant is asked for.
    public static func survey(_ store: any EventStoreReader) async throws -> (registry: AuthorityRegistry, residents: Set<String>) {
        var registry = AuthorityRegistry(genesis: try await Ledger.genesis(of: store))
        var residents = Set<String>()
        try await forEachProfile(in: store) { entry, resident, _ in
            if let resident { residents.insert(resident) } else { try? registry.apply(entry.content, at: entry.position) }
        }
        return (registry, residents)
    }

    /// Checks every sealed profile in `store` against the interval its
    /// entry states, under the rules in force at that entry.
    ///
    /// - Returns: an `interval-mismatch` finding for each interval the
    ///   rules would not derive from the profile; a `profile-unopened`
    ///   warning for each profile the grant does not open (an erased
    ///   resident is skipped: nothing of theirs can be opened, by design).
    public static func findings(in store: any EventStoreReader, origin: String, grant: Grant) async throws -> [AuditFinding] {
        var findings: [AuditFinding] = []
        try await forEachProfile(in: store) { entry, resident, rules in
            guard let resident else { return }
            let (stated, sealed): (UInt32, SealedField)
            if let registration = try? ResidentRegistration(entry: entry), registration.clearProfile == nil {
                (stated, sealed) = (registration.visitIntervalDays, registration.profile)
            } else if let update = try? ResidentUpdate(entry: entry), update.clearProfile == nil {
                (stated, sealed) = (update.visitIntervalDays, update.profile)
            } else {
                return
            }
            guard let key = grant.keys[resident] else { return }
            guard let profile = ResidentProfile.open(sealed, profileKey: key, origin: origin, resident: resident) else {
                findings.append(
                    AuditFinding(
                        code: .profileUnopened, message: "\(entry.kind): the sealed profile of \(resident) does not open with the granted key",
                        position: entry.position, stream: entry.stream, key: entry.actorKey, severity: .warning))
                return
            }
            guard let rules else { return }
            let derived = rules.visitInterval(tags: profile.tags, level: profile.level)
            if derived != Int(stated) {
                findings.append(
                    AuditFinding(
                        code: .intervalMismatch,
                        message: "\(entry.kind): states a visit every \(stated) days, but the rules in force give this profile \(derived)",
                        position: entry.position, stream: entry.stream, key: entry.actorKey, severity: .error))
            }
        }
        return findings
    }

    /// Every version 2 archive entry, in log order, with its resident and
    /// the rules in force before it; and every `ledger.*` entry after the
    /// genesis, with no resident.
    static func forEachProfile(
        in store: any EventStoreReader, _ body: (LedgerEntry, String?, GovernanceRules?) throws -> Void
    ) async throws {
        var rules: GovernanceRules?
        var position: UInt64 = 0
        while true {
            let page = try await store.entries(from: position, limit: 1024)
            guard let last = page.last else { return }
            for stored in page {
                let entry = try LedgerEntry(bytes: stored.bytes)
                switch GovernanceKind.code(of: entry) {
                case .rules?:
                    if let parsed = try? GovernanceRules(payload: entry.payload) { rules = parsed }
                case .register?, .update?:
                    guard entry.schemaVersion >= 2, let resident = GovernanceStream.subject(of: entry.stream, prefix: "resident") else { continue }
                    try body(entry, String(resident), rules)
                default:
                    if entry.position > 0, entry.kind.hasPrefix("ledger.") { try body(entry, nil, rules) }
                }
            }
            guard last.position < UInt64.max else { return }
            position = last.position + 1
        }
    }
}
