import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import Foundation

/// Where a ledger and its files live: the ledger (a SQLite file, or a
/// `postgres://` URL) and the authority and log key files and key vault,
/// named by a prefix: beside a SQLite file by default, and for a server
/// ledger the ledger's name in the current folder, unless `--keys` says.
struct LedgerFiles {
    let path: String
    /// The `--keys` prefix, when given.
    var keys: String?

    init(path: String, keys: String? = nil) {
        self.path = path
        self.keys = keys
    }

    /// Whether the ledger is on a PostgreSQL server.
    var isServer: Bool { ServerStore.isURL(path) }

    /// What the key files' names start with.
    var keyPrefix: String {
        if let keys { return keys }
        guard isServer else { return path }
        return (try? ServerStore.ledgerName(path)) ?? "civic_ledger"
    }

    var authorityKeyPath: String { keyPrefix + ".authority.key" }
    var logKeyPath: String { keyPrefix + ".log.key" }
    /// The key vault of personal-field keys, apart from the ledger.
    var vaultPath: String { keyPrefix + ".vault" }

    /// Opens the store of an existing ledger: read-only for a SQLite file
    /// when asked (a server ledger is read through the same connections).
    func openStore(readOnly: Bool = false) async throws -> any RepairableEventStore {
        if isServer { return try await ServerStore.open(path, create: false) }
        return try openFile(readOnly: readOnly)
    }

    /// Opens an existing SQLite ledger.
    func openFile(readOnly: Bool = false) throws -> SQLiteEventStore {
        var options = SQLiteEventStore.Options()
        options.createIfMissing = false
        options.readOnly = readOnly
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError.io("no ledger at \(path) (create one with: civic-ledger init \(path))")
        }
        return try SQLiteEventStore(path: path, options: options)
    }

    /// Every file a new ledger has, the ledger first (``FileSet`` places
    /// it last): the database, the authority and log keys with their
    /// public halves, and the key vault.
    var newLedgerPaths: [String] {
        (isServer ? [] : [path]) + [authorityKeyPath, authorityKeyPath + ".pub", logKeyPath, logKeyPath + ".pub", vaultPath]
    }

    /// The key vault at `vault` (default: beside the ledger's key files), a
    /// file that must exist or a `postgres://` URL (its `ledger=` name plus
    /// `_vault` is the vault's schema): it holds the personal-field keys
    /// and the operator's pseudonym key, never published
    /// (docs/threat-model.md).
    func openVault(_ vault: String? = nil) async throws -> any KeyVault {
        if let vault, ServerStore.isURL(vault) { return try await ServerStore.openVault(vault) }
        let path = vault ?? vaultPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError.io(
                "no key vault at \(path): it holds the personal-field keys and the pseudonym key (init and demo make one); pass --vault FILE or --vault postgres://…"
            )
        }
        return try SQLiteKeyVault(path: path)
    }

    /// The log key, when its file is beside the ledger.
    func logSigner() throws -> SigningKey? {
        FileManager.default.fileExists(atPath: logKeyPath) ? try KeyFile.read(logKeyPath) : nil
    }

    /// Opens the ledger, with its log key when present, enforcing the
    /// governance rules when it is a governance ledger.
    func openLedger() async throws -> Ledger {
        let store = try await openStore()
        return try await Ledger.open(
            store: store, logSigner: try logSigner(), domain: try await Self.domain(of: store),
            configuration: CLIContext.ledgerConfiguration)
    }

    /// The domain rules a ledger enforces, as its genesis records it
    /// (`GovernanceLedger.domain(of:)`).
    static func domain(of store: any EventStoreReader) async throws -> (any LedgerDomain)? {
        try await GovernanceLedger.domain(of: store)
    }
}
