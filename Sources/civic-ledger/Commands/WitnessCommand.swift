#if WitnessHTTP
import ArgumentParser
import CivicLedger
import CivicLedgerSQLite
import CivicWitnessHTTP
import Foundation
import Logging
import ServiceLifecycle

struct WitnessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Run a witness (C2SP tlog-witness), or send a ledger's checkpoints to witnesses.",
        subcommands: [WitnessServeCommand.self, WitnessKeyCommand.self, WitnessCollectCommand.self])
}

/// The witness's key file and name, which `serve` and `key` share.
struct WitnessIdentity: ParsableArguments {
    @Option(help: "The witness's secret key file (civic-ledger keygen).")
    var key: String
    @Option(help: "The witness's name, a schema-less URL such as witness.street.example/w1.")
    var name: String

    func cosigner() throws -> (SigningKey, CosignerKey) {
        let signer = try KeyFile.read(key)
        guard !name.isEmpty, !name.contains(where: { $0 == "+" || $0.isWhitespace }) else {
            throw CLIError.usage("--name \"\(name)\": a witness name is non-empty, without spaces or +")
        }
        return (signer, CosignerKey(name: name, publicKey: signer.publicKey))
    }
}

struct WitnessKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Print the witness's verifier key (cosignature/v1), for policies.")

    @OptionGroup var identity: WitnessIdentity

    func run() async throws {
        print(try identity.cosigner().1.verifierKey)
    }
}

struct WitnessServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve POST /add-checkpoint (C2SP tlog-witness) until SIGTERM or SIGINT.",
        discussion: """
            The witness cosigns a checkpoint of a log it knows (--log) when the log's key signed \
            it and it is consistent with the last one it cosigned for that log, after recording it \
            in --db (a SQLite file of its own, created if missing): its records survive restarts \
            and never go backwards. It prints "listening on HOST:PORT" once it listens.
            """)

    @OptionGroup var identity: WitnessIdentity
    @Option(help: "The witness's state, a SQLite file (created if missing).")
    var db: String
    @Option(help: "A log the witness cosigns for: its verifier key (name+id+key). Repeat for more logs.")
    var log: [String]
    @Option(help: "The address to listen on, HOST:PORT (port 0: any free port).")
    var listen: String = "127.0.0.1:7381"

    func run() async throws {
        let (signer, cosigner) = try identity.cosigner()
        guard !log.isEmpty else { throw CLIError.usage("give the logs the witness cosigns for with --log VKEY") }
        let logs = try log.map { vkey in
            do throws(LedgerError) { return try NoteKey(verifierKey: vkey) } catch { throw CLIError.usage("--log \(vkey): \(error.message)") }
        }
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw CLIError.usage("--listen \(listen): expected HOST:PORT")
        }
        let host = String(listen[..<colon])
        let state: SQLiteWitnessState
        do { state = try SQLiteWitnessState(path: db) } catch let error as LedgerError { throw CLIError.io(error.message) }
        let witness = Witness(name: cosigner.name, signer: signer, logs: logs, state: state)
        let logger = Logger(label: "civic-ledger.witness")
        let server = WitnessHTTPServer(witness: witness, host: host, port: port, logger: logger) { bound in
            writeOut(FileHandle.standardOutput, "listening on \(host):\(bound)\nverifier key \(cosigner.verifierKey)\n")
        }
        let group = ServiceGroup(
            configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            throw CLIError.io("the witness stopped: \(error)")
        }
    }
}

struct WitnessCollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Send the ledger's latest checkpoint to the witnesses of a policy and store their cosignatures.",
        discussion: """
            The witnesses are the policy's witness lines that give a URL (witness NAME VKEY URL). \
            The checkpoint is checked first (the log key's signature, the root of the stored entries). \
            With --follow it goes on, sending each newer checkpoint and retrying witnesses that were \
            down, until SIGTERM or SIGINT. Exit codes: 0 the checkpoint meets the policy's quorum; \
            1 it does not (yet); 2 usage or I/O errors.
            """)

    @OptionGroup var ledger: LedgerPath
    @Option(help: "A witness policy (C2SP tlog-policy) whose witnesses have URLs.")
    var policy: String
    @Option(help: "The log's verifier key (default: the policy's log for the ledger's origin, or the log key file beside the ledger).")
    var logKey: String?
    @Flag(help: "Keep collecting for new checkpoints until interrupted.")
    var follow = false
    @Option(help: "With --follow, seconds between looks for a newer checkpoint (0.01 to 86,400).", transform: NumericOption.seconds(0.01...86_400))
    var interval: Double = 1
    @Option(help: "Seconds before a witness that failed is tried again (0.01 to 86,400).", transform: NumericOption.seconds(0.01...86_400))
    var retry: Double = 5

    func run() async throws {
        let policy = try readPolicy(self.policy)
        guard interval > 0, interval <= 86_400, retry >= 0, retry <= 86_400 else {
            throw CLIError.usage("--interval is 0 to 86400 seconds (not 0), --retry 0 to 86400")
        }
        let files = ledger.files
        let store = try await files.openStore()
        guard let latest = try await store.latestCheckpoint() else { throw CLIError.io("the ledger has no checkpoint") }
        let origin: String
        do { origin = try SignedCheckpoint(parsing: latest.note).checkpoint.origin } catch { throw CLIError.io("the stored checkpoint: \(error.message)") }
        let noteKey = try self.noteKey(origin: origin, policy: policy, files: files)
        let clients: [HTTPWitnessClient]
        do { clients = try HTTPWitnessClient.clients(for: policy) } catch { throw CLIError.usage("\(self.policy): \(error.message)") }
        guard !clients.isEmpty else { throw CLIError.usage("\(self.policy) gives no witness a URL (witness NAME VKEY URL)") }
        let logger = Logger(label: "civic-ledger.witness")
        let collector = CosignatureCollector(
            store: store, logKey: noteKey, witnesses: clients,
            options: .init(pollInterval: .milliseconds(Int64(interval * 1000)), retryInterval: .milliseconds(Int64(retry * 1000)), logger: logger))
        if follow {
            let group = ServiceGroup(
                configuration: .init(services: [collector], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
            return
        }
        let pass = try await collector.pass(force: true)
        for (name, why) in pass.failures.sorted(by: { $0.key < $1.key }) { printError("\(name): \(why)") }
        say("checkpoint \(pass.size) cosigned by: \(pass.cosignedBy.isEmpty ? "no witness" : pass.cosignedBy.joined(separator: ", "))")
        guard let stored = try await store.checkpoints(fromSize: pass.size, limit: 1).first else { return }
        do {
            let names = try policy.check(try SignedCheckpoint(parsing: stored.note), logKey: noteKey.publicKey)
            say("meets the policy's quorum (\(names.joined(separator: ", ")))")
        } catch {
            printError(error.message)
            throw ExitCode(1)
        }
    }

    func noteKey(origin: String, policy: WitnessPolicy, files: LedgerFiles) throws -> NoteKey {
        if let logKey {
            let key: NoteKey
            do { key = try NoteKey(verifierKey: logKey) } catch { throw CLIError.usage("--log-key: \(error.message)") }
            guard key.name == origin else { throw CLIError.usage("--log-key is named \(key.name), the ledger's origin is \(origin)") }
            return key
        }
        if let listed = policy.logs.first(where: { $0.name == origin }) { return listed }
        guard FileManager.default.fileExists(atPath: files.logKeyPath + ".pub") else {
            throw CLIError.usage("give --log-key: the policy lists no log \(origin) and there is no \(files.logKeyPath).pub")
        }
        return NoteKey(name: origin, publicKey: try KeyFile.publicKey(files.logKeyPath + ".pub"))
    }
}
#endif
