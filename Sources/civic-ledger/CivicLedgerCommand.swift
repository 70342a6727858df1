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
        // Grouped in the help by what a reader comes to do; the names stay
        // as they are (scripts and docs use them).
        groupedSubcommands: [
            CommandGroup(
                name: "Making and writing",
                subcommands: [
                    InitCommand.self, KeygenCommand.self, EnrolCommand.self, AppendCommand.self, SignCommand.self, SignRequestCommand.self,
                    CopyCommand.self, RetentionCommand.self,
                ]),
            CommandGroup(
                name: "Reading",
                subcommands: [
                    LogCommand.self, CasesCommand.self, PointsCommand.self, ResidentCommand.self, DossierCommand.self, VolunteersCommand.self,
                ]),
            CommandGroup(
                name: "Checking, proving and publishing",
                subcommands: [
                    VerifyCommand.self, RepairCommand.self, AuditCommand.self, CheckpointCommand.self, ProveCommand.self,
                    VerifyProofCommand.self, TilesCommand.self, ExportCommand.self, ReportCommand.self, VerifyReportCommand.self,
                ] + witnessCommands),
            CommandGroup(name: "Trying it", subcommands: [DemoCommand.self, BenchCommand.self]),
        ])

    /// Runs the tool with the exit codes of the discussion above (argument
    /// errors exit 2, not ArgumentParser's 64).
    static func main() async {
        CLIContext.bootstrapLogging()
        returnLargeBlocksWhenFreed()
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

#if WitnessHTTP
/// `witness`, with the WitnessHTTP trait (the default).
let witnessCommands: [any ParsableCommand.Type] = [WitnessCommand.self]
#else
let witnessCommands: [any ParsableCommand.Type] = [WitnessUnavailableCommand.self]

/// `witness` in a build without the WitnessHTTP trait: says how to get it.
struct WitnessUnavailableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness", abstract: "Witnesses (not in this build: `make tool` builds civic-ledger with them).")
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() throws {
        throw CLIError.usage(
            "this civic-ledger was built for SQLite alone (make demo builds it so); `make tool` builds it with the witness server and client")
    }
}
#endif

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

/// Has glibc give every allocation of 1 MiB or more its own mapping,
/// returned to the system when freed. By default the threshold rises to
/// the largest block freed so far (up to 32 MiB), after which the tables a
/// long audit grows and outgrows (the idempotency set, the projections'
/// arrays) are carved from the heap and their old storage stays resident:
/// at a million entries that was 50 MB of the audit's peak.
func returnLargeBlocksWhenFreed() {
    #if os(Linux)
    // M_MMAP_THRESHOLD in glibc's <malloc.h>, which no Swift module exports.
    _ = glibcMallopt(-3, 1 << 20)
    #endif
}

#if os(Linux)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
