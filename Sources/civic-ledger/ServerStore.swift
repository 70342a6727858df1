import CivicLedger
import CivicLedgerPostgres
import Foundation
import Logging

/// A ledger on a PostgreSQL server, named by a `postgres://` URL
/// (docs/deployment.md): what every command that takes a ledger accepts in
/// place of a SQLite file. The library's ``StoreLocation`` opens it; this
/// says its errors in the tool's words.
enum ServerStore {
    /// Whether the ledger argument is a server URL rather than a file.
    static func isURL(_ text: String) -> Bool { StoreLocation.isServer(text) }

    /// A ledger argument as it may be printed: a URL without its password.
    static func shown(_ path: String) -> String { StoreLocation.shown(path) }

    /// The ledger's name in its database (the URL's `ledger=`).
    static func ledgerName(_ url: String) throws -> String {
        #if PostgreSQL
            do {
                return try PostgresLocation(url: url).ledger
            } catch {
                throw CLIError.usage(error.message)
            }
        #else
            throw unavailable
        #endif
    }

    /// Connects to the ledger at `url`; with `create`, makes its tables
    /// when missing, otherwise a ledger that does not exist is an error.
    static func open(_ url: String, create: Bool) async throws -> any RepairableEventStore {
        #if !PostgreSQL
            throw unavailable
        #else
            do {
                var logger = Logger(label: "civic-ledger.postgres")
                logger.logLevel = ProcessInfo.processInfo.environment["CIVIC_LEDGER_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
                return try await StoreLocation.openStore(url, create: create, logger: logger)
            } catch let error as LedgerError where error.code == .notInitialised {
                throw CLIError.io("\(error.message) (create one with: civic-ledger init URL)")
            } catch let error as LedgerError where error.code == .invalidField {
                throw CLIError.usage(error.message)
            } catch let error as LedgerError where error.code == .storeFailure {
                throw CLIError.io(error.message)
            }
        #endif
    }

    /// The key vault on the server `url` names (`PostgresKeyVault`).
    static func openVault(_ url: String) async throws -> any KeyVault {
        #if !PostgreSQL
            throw unavailable
        #else
            do {
                var logger = Logger(label: "civic-ledger.vault")
                logger.logLevel = .warning
                return try await StoreLocation.openVault(url, logger: logger)
            } catch let error as LedgerError where error.code == .invalidField {
                throw CLIError.usage(error.message)
            } catch let error as LedgerError where error.code == .storeFailure {
                throw CLIError.io(error.message)
            }
        #endif
    }

    #if !PostgreSQL
        static var unavailable: CLIError {
            CLIError.usage(
                "this civic-ledger was built for SQLite alone (make demo builds it so); `make tool` builds it with the PostgreSQL store, for postgres:// ledgers")
        }
    #endif
}
