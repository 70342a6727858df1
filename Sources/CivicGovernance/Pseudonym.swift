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
