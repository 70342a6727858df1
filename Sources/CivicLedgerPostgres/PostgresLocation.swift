#if PostgreSQL
import CivicLedger
import Foundation
import PostgresNIO

/// Where a PostgreSQL ledger lives: the server, the database and the
/// ledger's name in it, as a URL names them.
///
/// The URL follows libpq's conventions
/// (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?OPTIONS`): without a
/// user `PGUSER`, then `postgres`; without a password `PGPASSWORD`; without
/// a database the user's name; `?host=/socket/folder` (with `port=`, default
/// 5432) for a unix socket; `sslmode=disable` for plain TCP, otherwise TLS
/// is used when the server offers it (`prefer`), and `sslmode=require`
/// (or `verify-ca`, `verify-full`) refuses a server without it. One option
/// (`connect_timeout=SECONDS`, default 5) bounds how long a call waits
/// for a connection, so that callers get an error while the server is
/// away. One option is this project's own: `ledger=NAME` names the ledger, one PostgreSQL
/// schema of its own (default `civic_ledger`), so that one database holds
/// many ledgers side by side (docs/deployment.md).
public struct PostgresLocation: Sendable, CustomStringConvertible {
    /// The connection settings.
    public let configuration: PostgresClient.Configuration
    /// The ledger's schema.
    public let ledger: String
    /// How long a call waits for a connection (`connect_timeout`, default
    /// 5 seconds): while the server is away, calls fail after it.
    public let connectTimeout: Duration
    /// The URL without its password, for messages and logs.
    public let description: String

    /// The ledger a URL names.
    ///
    /// - Throws: `LedgerError` `.invalidField` naming what is wrong.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(LedgerError) {
        guard var components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw LedgerError(.invalidField, "\(url) is not a postgres:// or postgresql:// URL")
        }
        let items = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        let known: Set<String> = ["host", "port", "sslmode", "ledger", "user", "password", "dbname", "application_name", "connect_timeout"]
        if let unknown = items.keys.sorted().first(where: { !known.contains($0) }) {
            throw LedgerError(.invalidField, "the URL's option \"\(unknown)\" is not one this store reads (\(known.sorted().joined(separator: ", ")))")
        }
        let ledger = items["ledger"] ?? "civic_ledger"
        try Self.validate(ledger: ledger)
        let user = components.user ?? items["user"] ?? environment["PGUSER"] ?? "postgres"
        let password = components.password ?? items["password"] ?? environment["PGPASSWORD"]
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let database = items["dbname"] ?? (path.isEmpty ? user : path)
        let portText = items["port"] ?? components.port.map(String.init) ?? environment["PGPORT"] ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw LedgerError(.invalidField, "the URL's port \"\(portText)\" is not a port number")
        }
        let host = items["host"] ?? (components.host.flatMap { $0.isEmpty ? nil : $0 }) ?? environment["PGHOST"] ?? "localhost"
        var configuration: PostgresClient.Configuration
        if host.hasPrefix("/") {
            configuration = PostgresClient.Configuration(
                unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch items["sslmode"] ?? environment["PGSSLMODE"] ?? "prefer" {
            case "disable": tls = .disable
            case "allow", "prefer": tls = .prefer(.clientDefault)
            case "require", "verify-ca", "verify-full": tls = .require(.clientDefault)
            case let other:
                throw LedgerError(.invalidField, "sslmode \"\(other)\": use disable, allow, prefer, require, verify-ca or verify-full")
            }
            configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        var connectTimeout = Duration.seconds(5)
        if let timeout = items["connect_timeout"] ?? environment["PGCONNECT_TIMEOUT"] {
            guard let seconds = Int(timeout), (1...3600).contains(seconds) else {
                throw LedgerError(.invalidField, "connect_timeout \"\(timeout)\" is not a number of seconds from 1 to 3600")
            }
            connectTimeout = .seconds(seconds)
        }
        configuration.options.connectTimeout = connectTimeout
        self.connectTimeout = connectTimeout
        self.configuration = configuration
        self.ledger = ledger
        components.password = components.password == nil ? nil : "***"
        components.queryItems = components.queryItems?.map { $0.name == "password" ? URLQueryItem(name: $0.name, value: "***") : $0 }
        description = components.string ?? "a postgres:// URL"
    }

    /// Whether `text` is a PostgreSQL URL rather than a file path.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Checks a ledger's name: 1 to 63 of a-z, 0-9 and _, not starting
    /// with a digit (a PostgreSQL identifier that needs no quoting rules).
    public static func validate(ledger: String) throws(LedgerError) {
        guard ledger.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil, !ledger.hasPrefix("pg_") else {
            throw LedgerError(.invalidField, "ledger \"\(ledger)\": use 1 to 63 of a-z, 0-9 and _, not starting with a digit or pg_")
        }
    }
}
#endif
