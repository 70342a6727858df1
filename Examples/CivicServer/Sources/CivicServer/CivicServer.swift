import ArgumentParser
import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import Foundation
import Hummingbird

/// The service: a governance ledger on a SQLite file (with its log key and
/// key vault beside it, as `civic-ledger init --governance` or `demo`
/// make them), live projections, and the HTTP API of ``CivicAPI``. Many
/// processes may serve one file: each sees the others' appends.
@main
struct CivicServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "civic-server", abstract: "Serve a governance ledger over HTTP: signed events in, live cases, points, feed, proofs and the report out.")

    @Option(help: "The ledger's SQLite file; its log key is FILE.log.key, its key vault FILE.vault.")
    var db: String

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port, printed when listening).")
    var port = 8080

    func run() async throws {
        // README service begin
        let store = try SQLiteEventStore(path: db)
        let logKey = try LocalKeyFiles.readSecretKey(at: db + ".log.key")
        let ledger = try await GovernanceLedger.open(store: store, logSigner: logKey)
        let cases = LiveProjection<CaseBoard>(store: store)
        let points = LiveProjection<PointsBalances>(store: store)
        let api = CivicAPI(ledger: ledger, cases: cases, points: points, vault: try SQLiteKeyVault(path: db + ".vault"))
        let router = Router()
        api.register(on: router)
        var app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                print("listening on \(channel.localAddress?.description ?? "?")")
                fflush(nil)
            })
        // Stopped in reverse order: the server first, the ledger, drained, last.
        app.addServices(ledger, cases, points)
        try await app.runService()
        // README service end
    }
}
