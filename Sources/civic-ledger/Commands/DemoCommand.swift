import ArgumentParser
import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import CivicReporting
import CivicSimulator
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Simulate a community's year on a new SQLite ledger, audit it and print a summary.",
        discussion: """
            The simulated community (deterministic from --seed) enrols every actor with a key \
            of its own, opens the residents' archives with sealed personal fields, and lives \
            --days days: ordinary life, a flood warning and emergency mode, recovery and a \
            review. Every event is signed by the actor who acts and checked by the ledger \
            against the governance rules. The demo's authority key is derived from the seed \
            (it is a demo); the log key is random. Files: PATH, PATH.vault (field keys), \
            PATH.authority.key, PATH.log.key.
            """)

    @Option(help: "Where to create the demo ledger (must not exist): a SQLite file, or a postgres:// URL whose ledger is new.")
    var db: String = "demo-ledger.sqlite"
    @Option(help: "Where the key files go: PREFIX.authority.key, PREFIX.log.key, PREFIX.vault (default: beside a SQLite file; for a PostgreSQL ledger, its name in the current folder).")
    var keys: String?
    @Option(parsing: .unconditional, help: "Residents in the community (20 to 500,000).", transform: NumericOption.whole(20...500_000))
    var residents: Int = 3000
    @Option(parsing: .unconditional, help: "Days to simulate (1 to 3,660).", transform: NumericOption.whole(1...3660))
    var days: Int = 365
    @Option(parsing: .unconditional, help: "The simulation's seed.", transform: NumericOption.whole(UInt64.min...UInt64.max))
    var seed: UInt64 = 2026
    @Option(help: "The first simulated day, YYYY-MM-DD (from midnight China Standard Time, UTC+8).")
    var start: String = "2025-01-01"

    /// `--start` as the first day's midnight in China Standard Time.
    var startTime: Timestamp? { try? parseTime(start, option: "--start") }

    func validate() throws {
        guard startTime != nil else { throw CLIError.usage("--start \"\(start)\" is not a date such as 2025-01-01") }
    }

    func run() async throws {
        let files = LedgerFiles(path: db, keys: keys)
        var profile = CommunityProfile()
        profile.residents = residents
        profile.days = days
        profile.seed = seed
        if let startTime { profile.start = startTime }
        profile.partyMembers = max(3, residents / 50)
        profile.volunteers = max(2, residents / 150)
        let simulator = CommunitySimulator(profile: profile)
        let logKey = SigningKey.generate()
        // Every file under a temporary name, placed together at the end: a
        // demo stopped part way leaves nothing that blocks the next one.
        let verifierKey = try await FileSet.create(files.newLedgerPaths, note: { printError("note: " + $0) }) { set in
            try LocalKeyFiles.add(simulator.key("ledger-authority"), at: files.authorityKeyPath, to: &set)
            try LocalKeyFiles.add(logKey, at: files.logKeyPath, to: &set)
            let store: any EventStore =
                files.isServer ? try await ServerStore.open(db, create: true) : try SQLiteEventStore(path: set.temporary(for: files.path))
            let vault = try SQLiteKeyVault(path: set.temporary(for: files.vaultPath))
            let key = try await simulate(simulator, profile: profile, store: store, vault: vault, logKey: logKey)
            try (store as? SQLiteEventStore)?.close()
            try vault.close()
            return key
        }
        // The audit reads the ledger where it now is.
        let store = try await files.openStore(readOnly: true)
        let report = try await Auditor(store: store, domain: GovernanceState(), projections: GovernanceProjections.all).audit()
        print(
            "\nAudit: \(report.isClean ? "clean" : "FINDINGS") — \(report.entriesChecked) entries, every signature, key, role and governance rule replayed, \(report.checkpointsChecked) checkpoints, \(report.snapshotsChecked) projection snapshots compared"
        )
        for finding in report.findings.prefix(5) { print("  \(finding)") }
        guard let checkpoint = try await store.latestCheckpoint() else { throw CLIError.io("the demo ledger has no checkpoint") }
        print("\nFinal checkpoint (C2SP signed note; verifier key \(verifierKey)):\n")
        print(checkpoint.note, terminator: "")
        let shown = files.isServer ? "'\(ServerStore.shown(db))'" : db
        print(
            "\nTry: civic-ledger cases \(shown)    civic-ledger points \(shown)    civic-ledger dossier \(shown) case/\(CivilMonth(profile.start, offsetMinutes: 480).year)-00001"
        )
        print(
            "     civic-ledger audit \(shown)    civic-ledger export \(shown) --out \(files.keyPrefix).jsonl    civic-ledger prove inclusion \(shown) --index 100"
        )
        if !report.isClean { throw ExitCode(1) }
    }

    /// Runs the simulation into `store` and `vault`, prints what it did,
    /// saves the projections' snapshots and the final checkpoint; returns
    /// the log's verifier key.
    func simulate(
        _ simulator: CommunitySimulator, profile: CommunityProfile, store: any EventStore, vault: SQLiteKeyVault, logKey: SigningKey
    ) async throws -> String {
        print("Simulating \(residents) residents over \(days) days (seed \(seed)) into \(ServerStore.shown(db))")
        fflush(nil)
        let progress = ProgressReporter("days")
        var configuration = CLIContext.ledgerConfiguration
        configuration.checkpointMaximumAgeMilliseconds = 86_400_000
        let (ledger, summary) = try await simulator.run(store: store, vault: vault, logSigner: logKey, configuration: configuration) {
            day, _ in
            progress.update(done: UInt64(day), total: UInt64(days))
        }
        let state = summary.state
        print(
            String(
                format: "\nBuilt %llu signed events by %d actors in %.1f s (%.0f events/s, including signing and checking every rule)",
                summary.events, summary.actors, summary.seconds, Double(summary.events) / summary.seconds))
        if !summary.refusedCommands.isEmpty {
            let refused = summary.refusedCommands.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("Commands the rules refused before signing (nothing written): \(refused)")
        }

        print("\nCases by state (案件状态)")
        for caseState in CaseState.allCases where state.board.count(caseState) > 0 {
            print("  \(caseState.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)) \(state.board.count(caseState))")
        }
        let resolved = state.board.cases.values.compactMap(\.resolvedOnTime)
        let onTime = resolved.filter { $0 }.count
        print(
            String(
                format: "  on-time rate (按时办结率): %.1f%% of %d resolved with a deadline",
                resolved.isEmpty ? 0 : 100 * Double(onTime) / Double(resolved.count), resolved.count))
        let end = profile.start.adding(milliseconds: Int64(days) * 86_400_000)
        print("  overdue now: \(state.board.overdue(at: end).count)")

        let totals = state.points.totals
        print("\nPoints (邻里积分)")
        print(
            "  issued \(totals.issued), awarded \(totals.awarded), deducted \(totals.deducted), redeemed \(totals.redeemed), expired \(totals.expired), reversed by appeal \(totals.reversed)"
        )
        print(
            "  pool \(state.points.pool) + accounts \(state.points.accountsTotal) = issued \(totals.issued): \(state.points.isConserved ? "conserved" : "NOT CONSERVED")"
        )
        let pseudonymKey = try await PseudonymKey.from(vault)
        print("  top contributors (pseudonyms):")
        for (rank, entry) in state.points.ranking(limit: 5).enumerated() {
            print(
                "    \(rank + 1). \(Pseudonym.of(entry.resident, key: pseudonymKey))  contribution \(entry.balance.contribution), reputation \(entry.balance.reputation)"
            )
        }

        var visits = VisitSchedule()
        try await EntryPages(store: store).forEach { try visits.fold($0) }
        let overdueVisits = visits.overdue(at: end)
        print("\nCare (关爱)")
        print(
            "  overdue visits: \(overdueVisits.count) of \(visits.schedule.count) residents; erased residents: \(state.archive.erasedCount)"
        )
        if let registry = state.registry {
            let quota = VolunteerQuota(record: state.volunteers, registry: registry, rules: state.rules, asOf: end.adding(milliseconds: -1))
            print(
                "  \(quota.role)s under the volunteer quota of \(quota.quota) in \(quota.year): \(quota.short.count) of \(quota.members.count)")
        }
        print("  sandbags in depot-1: \(state.supplies.quantity(of: "sandbag", in: "depot-1"))")

        // The projections' snapshots, as a service would keep them: the audit compares them with the log.
        for type in GovernanceProjections.all { try await Self.saveSnapshot(type, store: store) }
        // A checkpoint of the whole log and a sealed state snapshot, so the next open reads little.
        try await ledger.close()
        guard state.points.isConserved else { throw CLIError(message: "the points are not conserved", exitCode: 1) }
        return NoteKey(name: simulator.origin, publicKey: ledger.logKey).verifierKey
    }

    /// Brings a projection's snapshot up to date with the log.
    static func saveSnapshot<P: Projection>(_ type: P.Type, store: any EventStore) async throws {
        let runner = ProjectionRunner<P>(store: store)
        var projection = try await runner.resume()
        try await runner.catchUp(&projection)
    }
}
