import ArgumentParser
import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import Foundation

struct CopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a ledger between stores (SQLite file, postgres:// URL, or from an export) and prove the copy.",
        discussion: """
            Every entry is copied byte for byte with every checkpoint; the copy is then read \
            back and must give the signed root at every checkpoint and the source's root at \
            the end. The destination must be new: a SQLite file that does not exist (made \
            under a temporary name and moved into place when proved), or a PostgreSQL ledger \
            that holds nothing. Key files and the key vault stay where they are: point \
            --keys at them when using the copy. Snapshots are copied as they are; \
            a ledger checks each before relying on it. Exit codes: 0 copied and proved; 1 the \
            source or the copy does not prove; 2 usage or I/O errors.
            """)

    @Argument(help: "The ledger to copy: a SQLite file, a postgres:// URL, or an export file.")
    var source: String

    @Argument(help: "The new ledger: a SQLite file that does not exist, or a postgres:// URL of an empty ledger.")
    var destination: String

    @Option(parsing: .unconditional, help: "Entries per commit (1 to 100,000).", transform: NumericOption.whole(1...100_000))
    var pageSize: Int = 2048

    func validate() throws {
        guard source != destination else { throw CLIError.usage("the destination must not be the source") }
    }

    func run() async throws {
        let from = try await LedgerSource.open(source)
        let progress = ProgressReporter("copying")
        let summary: LedgerCopy.Summary
        if ServerStore.isURL(destination) {
            let store = try await ServerStore.open(destination, create: true)
            summary = try await copy(from.store, to: store, progress: progress)
        } else {
            summary = try await FileSet.create([destination], note: { printError("note: " + $0) }) { set in
                let store = try SQLiteEventStore(path: set.temporary(for: destination))
                let summary = try await copy(from.store, to: store, progress: progress)
                try store.close()
                return summary
            }
        }
        say(
            "copied \(summary.entries) entries, \(summary.checkpoints) checkpoints and \(summary.snapshots) snapshots to \(ServerStore.shown(destination)); the copy has the signed root at every checkpoint and the source's root \(summary.root.base64)"
        )
    }

    func copy(_ source: any EventStoreReader, to destination: any EventStore, progress: ProgressReporter) async throws -> LedgerCopy.Summary {
        do {
            return try await LedgerCopy.copy(
                from: source, to: destination, snapshotNames: GovernanceProjections.all.map { $0.name }, domain: GovernanceState.name,
                pageSize: pageSize
            ) { done, total in
                progress.update(done: done, total: total)
            }
        } catch let error as LedgerError where error.code == .alreadyInitialised {
            throw CLIError.usage("\(ServerStore.shown(self.destination)): \(error.message)")
        }
    }
}
