import CivicLedger

/// Pseudonyms for published rankings and reports: stable within one
/// ledger, and not linkable across ledgers (the ledger's origin is hashed
/// in), so a resident opted out of naming cannot be followed from one
/// community's report to another's.
public enum Pseudonym {
    /// `居民-` and the first six hex digits of SHA-256(origin ‖ 0 ‖ resident).
    public static func of(_ resident: String, origin: String) -> String {
        "居民-" + String(SHA256.hash(Array(origin.utf8) + [0] + Array(resident.utf8)).hex.prefix(6))
    }
}

/// Who may read residents' sealed personal fields once they are opened
/// outside the log (DOMAIN.md §9): the roles that keep the residents'
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
        guard let actor = registry?.keys[reader]?.actor, let record = registry?.actors[actor] else {
            throw LedgerError(.unknownKey, "the reader's key is not enrolled in this ledger")
        }
        let held = record.roles.map(\.role)
        let shown = "\(actor) (\(held.joined(separator: ", ")))"
        guard held.contains(where: roles.contains) || (resident != nil && actor == resident) else {
            let whose = resident.map { " (or \($0) themselves)" } ?? ""
            throw LedgerError(
                .notAuthorised,
                "\(actor) (roles \(held.isEmpty ? "none" : held.joined(separator: ", "))) may not read residents' personal fields; only \(roles.sorted().joined(separator: ", "))\(whose) may"
            )
        }
        return shown
    }
}
