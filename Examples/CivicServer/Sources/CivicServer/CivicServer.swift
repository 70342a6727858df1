import ArgumentParser
import CivicGovernance
import CivicLedger
import CivicLedgerPostgres
import CivicLedgerSQLite
import CivicWitnessHTTP
import Foundation
import Hummingbird

/// The service: a governance ledger on a SQLite file or in a PostgreSQL
/// database (with its log key and key vault, as `civic-ledger init
/// --governance` or `demo` make them), live projections, and the HTTP API
/// of ``CivicAPI``. Many processes may serve one ledger, on one machine
/// (a SQLite file) or on many (PostgreSQL): each sees the others' appends.
@main
struct CivicServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "civic-server", abstract: "Serve a governance ledger over HTTP: signed events in, live cases, points, feed, proofs and the report out.")

    @Option(help: "The ledger: a SQLite file, or postgres://USER@HOST:PORT/DATABASE?ledger=NAME.")
    var db: String

    @Option(name: .customLong("keys"), help: "The key files' prefix: PREFIX.log.key, PREFIX.vault (default: the SQLite file).")
    var keyPrefix: String?

    @Option(help: "The key vault: a file (default: PREFIX.vault), or a postgres:// URL that instances on several machines share.")
    var vault: String?

    /// Where the log key and the vault are.
    var keys: String { keyPrefix ?? db }

    func validate() throws {
        if StoreLocation.isServer(db), keyPrefix == nil { throw ValidationError("a PostgreSQL ledger needs --keys PREFIX") }
    }

    @Option(help: "A witness policy (C2SP tlog-policy) whose witnesses have URLs: checkpoints go to them and receipts carry their cosignatures.")
    var witnessPolicy: String?

    /// The collector that sends the ledger's checkpoints to the witnesses
    /// of `witnessPolicy`, if one was given.
    func witnesses(_ ledger: Ledger, store: any EventStore) throws -> CosignatureCollector? {
        guard let witnessPolicy else { return nil }
        let policy = try WitnessPolicy(parsing: try String(contentsOfFile: witnessPolicy, encoding: .utf8))
        let clients = try HTTPWitnessClient.clients(for: policy, timeout: .seconds(3))
        guard !clients.isEmpty else { throw ValidationError("\(witnessPolicy) gives no witness a URL") }
        return CosignatureCollector(store: store, logKey: NoteKey(name: ledger.origin, publicKey: ledger.logKey), witnesses: clients)
    }

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port, printed when listening).")
    var port = 8080

    func run() async throws {
        // README service begin
        let store = try await StoreLocation.openStore(db)
        let logKey = try LocalKeyFiles.readSecretKey(at: keys + ".log.key")
        let ledger = try await GovernanceLedger.open(store: store, logSigner: logKey)
        let cases = LiveProjection<CaseBoard>(store: store)
        let points = LiveProjection<PointsBalances>(store: store)
        let witnesses = try witnesses(ledger, store: store)
        let api = CivicAPI(
            ledger: ledger, cases: cases, points: points, witnesses: witnesses, vault: try await StoreLocation.openVault(vault ?? keys + ".vault"))
        let router = Router()
        api.register(on: router)
        var app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                print("listening on \(channel.localAddress?.description ?? "?")")
                fflush(nil)
            })
        // Stopped in reverse order: the server first, the ledger drained, the store last.
        app.addServices(store, ledger, cases, points)
        if let witnesses { app.addServices(witnesses) }
        try await app.runService()
        // README service end
    }
}
