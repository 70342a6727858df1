import CivicLedger
import CivicLedgerSQLite

/// Creating a ledger on disk: key files first (mode 0600), then the
/// SQLite file with its genesis entry and first checkpoint.
enum LedgerSetup {
    static func create(_ files: LedgerFiles, origin: String, permissions: PermissionTable) async throws -> Ledger {
        let authority = SigningKey.generate()
        let logKey = SigningKey.generate()
        try KeyFile.write(authority, to: files.authorityKeyPath)
        try KeyFile.write(logKey, to: files.logKeyPath)
        return try await Ledger.create(
            store: try SQLiteEventStore(path: files.path), origin: origin, authority: authority, logSigner: logKey,
            permissions: permissions, configuration: CLIContext.ledgerConfiguration)
    }
}
