import CivicGovernance
import CivicLedger

/// The operator's secret that keys the pseudonyms of a ledger's reports.
///
/// It is kept in the key vault beside the personal-field keys (under a
/// subject no actor id can take) and never published: without it, nobody
/// can tell which resident a pseudonym stands for by trying resident ids,
/// however short and sequential they are.
public struct PseudonymKey: Sendable, Equatable {
    /// The key bytes.
    public let bytes: Bytes32

    /// A key from its bytes.
    public init(bytes: Bytes32) { self.bytes = bytes }

    /// The vault subject the key is kept under: it starts with a control
    /// character, which no actor id may contain.
    public static let vaultSubject = "\u{0}pseudonym-key"

    /// The ledger's pseudonym key from its vault, made there on first use.
    public static func from(_ vault: any KeyVault) async throws -> PseudonymKey {
        PseudonymKey(bytes: try await vault.key(for: vaultSubject).bytes)
    }
}

/// Pseudonyms for published rankings and reports: stable within one
/// ledger (one operator's key), not linkable across ledgers, and not
/// reversible by anyone without the key (docs/threat-model.md).
public enum Pseudonym {
    /// `居民-` and 16 hex digits (64 bits) of HMAC-SHA-256(key, resident).
    ///
    /// Among 10^6 residents two share a pseudonym with a chance of about
    /// 3 × 10^-8.
    public static func of(_ resident: String, key: PseudonymKey) -> String {
        "居民-" + String(HMACSHA256.authenticate(Array(resident.utf8), key: key.bytes).hex.prefix(16))
    }
}

/// Who may read residents' sealed personal fields once they are opened
/// outside the log (docs/domain.md §9): the roles that keep the residents'
/// archives, and a resident their own. Tools check this before opening
/// any field with the key vault: a report with names
/// (``TransparencyReportBuilder/showNames(_:to:)``), `civic-ledger resident
/// --reveal`.
public enum PersonalFieldReaders {
    /// The roles that may read any resident's personal fields.
    public static let roles: Set<String> = ["community-secretary", "grid-leader", "grid-worker"]

    /// The reader whose key is `reader`, as `actor (roles)`, when the
    /// registry enrols that key and its actor holds one of ``roles`` or
    /// is `resident` (a resident reading their own record).
    ///
    /// - Throws: `LedgerError` `.unknownKey` for a key the registry does
    ///   not enrol; `.notAuthorised`, naming the reader's roles, for one
    ///   who may not read.
    public static func check(_ reader: PublicKey, in registry: AuthorityRegistry?, resident: String? = nil) throws(LedgerError)
        -> String
    {
        try admit(reader, in: registry, roles: roles, orSelf: resident, to: "read residents' personal fields")
    }

    /// The reader whose key is `reader`, as `actor (roles)`, when it is an
    /// actor's current key and the actor holds one of `roles` (or is
    /// `orSelf`): the one check before anything is opened for a reader.
    ///
    /// - Throws: `LedgerError` `.unknownKey` for a key not enrolled, rotated
    ///   out or revoked; `.notAuthorised`, naming the reader's roles and
    ///   what they may not do.
    static func admit(
        _ reader: PublicKey, in registry: AuthorityRegistry?, roles: Set<String>, orSelf resident: String? = nil, to what: String
    ) throws(LedgerError) -> String {
        guard let record = registry?.currentActor(of: reader) else {
            throw LedgerError(.unknownKey, "the reader's key is not enrolled in this ledger, or was rotated out or revoked")
        }
        let actor = record.id
        let held = record.roles.map(\.role)
        guard held.contains(where: roles.contains) || (resident != nil && actor == resident) else {
            let whose = resident.map { " (or \($0) themselves)" } ?? ""
            throw LedgerError(
                .notAuthorised,
                "\(actor) (roles \(held.isEmpty ? "none" : held.joined(separator: ", "))) may not \(what); only \(roles.sorted().joined(separator: ", "))\(whose) may"
            )
        }
        return "\(actor) (\(held.joined(separator: ", ")))"
    }

    /// `resident`'s key from `vault`, once ``check(_:in:resident:)`` admits
    /// `reader`: nothing is fetched for a reader who may not see it.
    static func residentKey(
        _ resident: String, for reader: PublicKey, in registry: AuthorityRegistry?, vault: any KeyVault
    ) async throws -> FieldKey {
        _ = try check(reader, in: registry, resident: resident)
        guard let key = try await vault.existingKey(for: resident) else {
            throw LedgerError(.erased, "the key vault holds no key for \(resident): erased, or sealed with another vault")
        }
        return key
    }
}

extension PersonalFieldReaders {
    /// A resident's personal fields, opened for `reader`: the one way the
    /// library reveals them. The reader's entitlement is checked first
    /// (``check(_:in:resident:)``), so nothing is opened, nor a key fetched
    /// from the vault, for a reader who may not see it.
    ///
    /// - Parameters:
    ///   - resident: the resident's actor id.
    ///   - sealed: the resident's sealed fields (from `ResidentArchive`).
    ///   - origin: the ledger's origin, part of each field's context.
    ///   - reader: the public key of whoever asks to read them.
    ///   - registry: the ledger's registry, which says the reader's roles.
    ///   - vault: the key vault holding the resident's key.
    /// - Returns: `name`, `phone` and `address`, each `nil` when it does not
    ///   open with the vault's key.
    /// - Throws: what ``check(_:in:resident:)`` throws; `LedgerError`
    ///   `.erased` when the vault holds no key for the resident (erased, or
    ///   never sealed with this vault).
    public static func reveal(
        _ resident: String, sealed: SealedContact, origin: String, to reader: PublicKey, in registry: AuthorityRegistry?,
        vault: any KeyVault
    ) async throws -> [String: String?] {
        let key = try await residentKey(resident, for: reader, in: registry, vault: vault)
        var fields: [String: String?] = [:]
        for (field, bytes) in [("name", sealed.name), ("phone", sealed.phone), ("address", sealed.address)] {
            fields[field] = try? SealedField(bytes: bytes).open(
                with: key, context: SealedContact.context(origin: origin, resident: resident, field: field))
        }
        return fields
    }
}

extension PersonalFieldReaders {
    /// A resident's sealed level and tags (`ResidentProfile`), opened for
    /// `reader` after the same check as ``reveal(_:sealed:origin:to:in:vault:)``.
    ///
    /// - Returns: the profile, or `nil` when it does not open with the
    ///   vault's key.
    /// - Throws: what ``check(_:in:resident:)`` throws; `LedgerError`
    ///   `.erased` when the vault holds no key for the resident.
    public static func revealProfile(
        _ resident: String, sealed: [UInt8], origin: String, to reader: PublicKey, in registry: AuthorityRegistry?, vault: any KeyVault
    ) async throws -> ResidentProfile? {
        let key = try await residentKey(resident, for: reader, in: registry, vault: vault)
        guard let field = try? SealedField(bytes: sealed) else { return nil }
        return ResidentProfile.open(field, profileKey: ResidentProfile.key(from: key), origin: origin, resident: resident)
    }
}
