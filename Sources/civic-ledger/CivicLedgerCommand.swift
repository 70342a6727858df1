import ArgumentParser
import CivicLedger
import Foundation

@main
struct CivicLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "civic-ledger",
        abstract: "An actor-signed, append-only governance ledger.",
        discussion: """
            Exit codes: 0 success; 1 the ledger refused an event, or verification \
            found a problem; 2 usage or I/O errors.
            """,
        subcommands: [
            InitCommand.self, KeygenCommand.self, EnrolCommand.self, AppendCommand.self, SignCommand.self,
            VerifyCommand.self, RepairCommand.self, CheckpointCommand.self, LogCommand.self, CopyCommand.self, DemoCommand.self,
            AuditCommand.self, ProveCommand.self, VerifyProofCommand.self, ExportCommand.self, ReportCommand.self, VerifyReportCommand.self,
            CasesCommand.self, PointsCommand.self, ResidentCommand.self, DossierCommand.self, VolunteersCommand.self, BenchCommand.self,
        ])

    /// Runs the tool with the exit codes of the discussion above (argument
    /// errors exit 2, not ArgumentParser's 64).
    static func main() async {
        CLIContext.bootstrapLogging()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is CleanExit {
                exit(withError: error)
            }
            if error is CLIError || error is LedgerError {
                let failure = CLIError.classify(error)
                printError("error: \(failure.message)")
                Foundation.exit(failure.exitCode)
            }
            if let exitCode = error as? ExitCode {
                Foundation.exit(exitCode.rawValue)
            }
            printError(fullMessage(for: error))
            Foundation.exit(2)
        }
    }
}

/// The ledger every command takes first: a SQLite file or a PostgreSQL URL.
struct LedgerPath: ParsableArguments {
    @Argument(
        help: """
            The ledger: a SQLite file, or postgres://USER@HOST:PORT/DATABASE?ledger=NAME \
            (libpq's conventions: PGPASSWORD, sslmode, ?host=/socket/folder).
            """)
    var path: String

    @Option(
        help: """
            Where the key files are: PREFIX.authority.key, PREFIX.log.key, PREFIX.vault \
            (default: beside a SQLite file; for a PostgreSQL ledger, its name in the current folder).
            """)
    var keys: String?

    var files: LedgerFiles { LedgerFiles(path: path, keys: keys) }
}
