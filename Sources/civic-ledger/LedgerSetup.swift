import CivicLedger
import CivicGovernance
import CivicLedgerSQLite
import CivicReporting

/// Creating a ledger: the SQLite file (or the ledger in a PostgreSQL
/// database) with its genesis entry and first checkpoint, and beside it the authority and log key files (mode
/// 0600), all made under temporary names and placed together (``FileSet``):
/// a failed or killed `init` leaves nothing that blocks a retry.
enum LedgerSetup {
    /// What a new ledger's files say.
    struct Created {
        var authorityKey: PublicKey
        var logKey: PublicKey
    }

    /// Creates the files; with `rules`, a governance ledger (its genesis
    /// names the domain, the rules are its first event).
    static func create(_ files: LedgerFiles, origin: String, permissions: PermissionTable, rules: GovernanceRules? = nil) async throws -> Created {
        let authority = SigningKey.generate()
        let logKey = SigningKey.generate()
        return try await FileSet.create(files.newLedgerPaths, note: { printError("note: " + $0) }) { set in
            try LocalKeyFiles.add(authority, at: files.authorityKeyPath, to: &set)
            try LocalKeyFiles.add(logKey, at: files.logKeyPath, to: &set)
            // The key vault, with the operator's pseudonym key (mode 0600).
            let vault = try SQLiteKeyVault(path: set.temporary(for: files.vaultPath))
            _ = try await PseudonymKey.from(vault)
            try vault.close()
            // A server ledger is created in its database at once (a ledger
            // already there is refused, writing nothing); its key files
            // are placed only once it exists.
            let store: any EventStore =
                files.isServer
                ? try await ServerStore.open(files.path, create: true) : try SQLiteEventStore(path: set.temporary(for: files.path))
            let ledger =
                if let rules {
                    try await GovernanceLedger.create(
                        store: store, origin: origin, authority: authority, logSigner: logKey, rules: rules, permissions: permissions,
                        configuration: CLIContext.ledgerConfiguration)
                } else {
                    try await Ledger.create(
                        store: store, origin: origin, authority: authority, logSigner: logKey, permissions: permissions,
                        configuration: CLIContext.ledgerConfiguration)
                }
            let created = Created(authorityKey: await ledger.registry.authorityKey, logKey: ledger.logKey)
            // The file alone holds the ledger before it moves into place.
            try (store as? SQLiteEventStore)?.close()
            return created
        }
    }
}
