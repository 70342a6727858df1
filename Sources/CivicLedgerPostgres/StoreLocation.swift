import CivicLedger
import CivicLedgerSQLite
import Foundation
import Logging
import ServiceLifecycle

/// Where a ledger is, as a program's users name it: a SQLite file, or a
/// PostgreSQL ledger as `postgres://USER@HOST:PORT/DATABASE?ledger=NAME`
/// (docs/deployment.md). The tool and the example service open every
/// ledger and key vault through these calls.
///
/// Without the `PostgreSQL` trait a URL is refused with a clear error and
/// SQLite files still open.
public enum StoreLocation {
    /// Whether `location` names a ledger on a PostgreSQL server rather than
    /// a file.
    public static func isServer(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// The store at `location`: a `Service` as well, which a service group
    /// runs first and stops last (its database closed then).
    ///
    /// - Parameters:
    ///   - location: a SQLite file's path or a `postgres://` URL.
    ///   - create: make the ledger's file or tables when missing; otherwise
    ///     a ledger that does not exist is `.notInitialised`.
    ///   - readOnly: for a SQLite file, open it read-only (a server ledger is
    ///     read through the same connections).
    ///   - logger: where a server store logs.
    /// - Throws: `LedgerError` `.notInitialised` for a missing ledger;
    ///   `.invalidField` for a URL that does not parse, or one this build
    ///   cannot open; `.storeFailure` for a file that is not a ledger, or a
    ///   server that cannot be reached.
    public static func openStore(
        _ location: String, create: Bool = false, readOnly: Bool = false,
        logger: Logger = Logger(label: "civic-ledger.store")
    ) async throws -> any RepairableEventStore & Service {
        guard isServer(location) else {
            var options = SQLiteEventStore.Options()
            options.createIfMissing = create
            options.readOnly = readOnly
            return try SQLiteEventStore(path: location, options: options)
        }
        #if PostgreSQL
            return try await PostgresEventStore(location: try PostgresLocation(url: location), create: create, logger: logger)
        #else
            throw withoutTrait
        #endif
    }

    /// The key vault at `location`: a file (made when missing), or a
    /// `postgres://` URL whose `ledger=` name plus `_vault` is its schema.
    public static func openVault(_ location: String, logger: Logger = Logger(label: "civic-ledger.vault")) async throws -> any KeyVault {
        guard isServer(location) else { return try SQLiteKeyVault(path: location) }
        #if PostgreSQL
            return try await PostgresKeyVault(url: location, logger: logger)
        #else
            throw withoutTrait
        #endif
    }

    /// A location as it may be shown or logged: a URL without its password.
    public static func shown(_ location: String) -> String {
        #if PostgreSQL
            if isServer(location), let parsed = try? PostgresLocation(url: location) { return parsed.description }
        #endif
        return location
    }

    #if !PostgreSQL
        static let withoutTrait = LedgerError(
            .invalidField, "this build has no PostgreSQL store (the package's PostgreSQL trait is off); a postgres:// ledger cannot be opened")
    #endif
}
