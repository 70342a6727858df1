import ArgumentParser
import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import CivicSimulator
import CoreMetrics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the civic mix end to end: durable append, projection rebuild, full audit, memory, the verify rate.",
        discussion: """
            The workload (deterministic from --seed): genesis and the enrolment of every actor, \
            then --events commands: 40% points awards, 10% deductions, 20% case reports, 15% \
            dispatches, 15% resolutions, each signed by its own actor before the clock starts. \
            It is appended by --appenders concurrent appenders to a new SQLite ledger (WAL, \
            synchronous = FULL: every commit is on disk), or with --store to a new PostgreSQL \
            ledger, by --processes processes each with --appenders appenders and its share of \
            the streams; then rebuilt from the store (pages of 16,384 entries) into the case \
            dossier and the points balances, and audited in full. The libsodium verify rate on \
            every core is measured in the same process, as the limit the audit works against. \
            Use the optimised build (swift build -c release).
            """)

    @Option(parsing: .unconditional, help: "How many events the mix appends after its preamble (1 to 50,000,000).", transform: NumericOption.whole(1...50_000_000))
    var events: Int = 100_000
    @Option(parsing: .unconditional, help: "The seed the workload is drawn from.", transform: NumericOption.whole(UInt64.min...UInt64.max))
    var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Concurrent appenders (1 to 1024).", transform: NumericOption.whole(1...1024))
    var appenders: Int = 16
    @Option(help: "Keep the ledger in this new SQLite file (default: a temporary file, removed afterwards).")
    var db: String?
    @Option(help: "Append to a PostgreSQL ledger instead: a postgres:// URL naming a ledger that holds nothing yet (it is kept).")
    var store: String?
    @Option(parsing: .unconditional, help: "With --store: how many processes append (1 to 64), each with --appenders appenders and a share of the streams.", transform: NumericOption.whole(1...64))
    var processes: Int = 1
    @Option(parsing: .unconditional, help: .hidden, transform: NumericOption.whole(0...63))
    var worker: Int?
    @Option(help: "Also write the workload's commands to this file, one JSON object per line (for the peer benchmark).")
    var workloadOut: String?
    @Flag(help: "JSON output.")
    var json = false

    func validate() throws {
        if let store, !ServerStore.isURL(store) { throw CLIError.usage("--store takes a postgres:// URL; for SQLite use --db") }
        if store != nil, db != nil { throw CLIError.usage("--store and --db name two ledgers; give one") }
        if processes > 1, store == nil { throw CLIError.usage("--processes needs --store: processes share a PostgreSQL ledger") }
        if let worker, !(0..<processes).contains(worker) { throw CLIError.usage("--worker must be below --processes") }
    }

    func run() async throws {
        if let worker, let store { return try await BenchWorker(command: self, url: store, index: worker).run() }
        let path =
            db ?? FileManager.default.temporaryDirectory.appendingPathComponent("civic-ledger-bench-\(UUID().uuidString).sqlite").path
        let files = LedgerFiles(path: path)
        if store == nil {
            guard !FileManager.default.fileExists(atPath: path) else {
                throw CLIError.usage("\(path) already exists; the benchmark needs a new file")
            }
        }
        defer {
            if db == nil, store == nil { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: files.path + suffix) } }
        }
        // The workload, signed before the clock starts (as clients sign on
        // their devices); the commands are let go once signed. With several
        // processes, each signs its own share.
        var results = BenchResults(events: events, seed: seed, appenders: appenders)
        results.processes = processes
        results.store = store == nil ? "sqlite" : "postgresql"
        let started = ContinuousClock.now
        var signed: SignedWorkload? = try prepare(&results, signLanes: processes == 1)
        let awarded = signed?.awarded ?? 0
        results.signingSeconds = started.duration(to: .now).seconds
        results.signingPeakMB = PeakMemory.megabytes()
        if processes == 1 {
            say("signed \(events.formatted()) events in \(String(format: "%.1f", results.signingSeconds)) s (before the clock starts)")
        }

        // Each phase holds its own store, ledger and projections, and lets
        // them go before the next phase starts.
        let writer: any EventStore = if let store { try await Self.emptyServerLedger(store) } else { try SQLiteEventStore(path: path) }
        if processes > 1, let store {
            try await appendFromProcesses(&signed, to: writer, url: store, results: &results)
        } else {
            try await append(&signed, to: writer, results: &results)
        }
        let reader: any EventStore = if let store { try await ServerStore.open(store, create: false) } else { try SQLiteEventStore(path: path) }
        try await rebuild(reader, awarded: awarded, results: &results)
        try await audit(reader, results: &results)

        // The reference limit: libsodium verifying on every core, here.
        results.verifyPerSecond = try await Self.verifyRate(seed: seed)
        // Each phase reset the high-water mark; the run's peak is the
        // highest of them.
        results.peakMB = max(
            PeakMemory.megabytes(), results.signingPeakMB, results.appendPeakMB, results.rebuildPeakMB, results.auditPeakMB)
        say(
            String(
                format: "libsodium Ed25519 verify on %d cores: %.0f/s; the durable append runs at %.2f× of it, the audit at %.2f×",
                results.cores, results.verifyPerSecond, results.append.perSecond / results.verifyPerSecond,
                results.audit.perSecond / results.verifyPerSecond))
        say(
            "peak resident memory: \(results.peakMB) MB (signing \(results.signingPeakMB) MB, append \(results.appendPeakMB) MB, rebuild \(results.rebuildPeakMB) MB, audit \(results.auditPeakMB) MB)"
        )
        if let db { say("the ledger is kept in \(db)") }
        if json { print(jsonString(results.object)) }
    }

    /// Durable append: the signed events from concurrent appenders, each
    /// waiting until its event is durable; the events are let go after.
    func append(_ signed: inout SignedWorkload?, to store: any EventStore, results: inout BenchResults) async throws {
        guard let workload = signed else { return }
        PeakMemory.reset()
        let commits = CommitMetrics()
        let ledger = try await Self.createLedger(workload, on: store, metrics: commits)
        let progress = ProgressReporter("appending")
        let appended = Counter()
        let total = UInt64(events)
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in workload.lanes {
                group.addTask {
                    for event in lane {
                        _ = try await ledger.append(event)
                        progress.update(done: appended.increment(), total: total)
                    }
                }
            }
            try await group.waitForAll()
        }
        results.append = .init(count: events, seconds: started.duration(to: .now).seconds)
        // The signed events are not needed past here: the later phases'
        // memory is their own.
        signed = nil
        _ = try await ledger.checkpoint()
        results.appendPeakMB = PeakMemory.megabytes()
        say(results.append.line("durable append (\(appenders) appenders, \(storeLabel))", unit: "events"))
        let summary = commits.summary
        results.commits = summary.commits
        results.commitMeanEntries = summary.meanEntries
        results.commitMeanMicroseconds = summary.meanMicroseconds
        say(
            String(
                format: "  %@ group commits of %.1f entries on average; the store's durable write of one: %.0f µs on average, %.0f µs at p99",
                summary.commits.formatted(), summary.meanEntries, summary.meanMicroseconds, summary.p99Microseconds))
    }

    /// A new ledger of the workload on `store`, its preamble (genesis,
    /// enrolments, the points issued) appended.
    static func createLedger(_ workload: SignedWorkload, on store: any EventStore, metrics: (any MetricsFactory)? = nil) async throws -> Ledger {
        var configuration = CLIContext.ledgerConfiguration
        configuration.metricsFactory = metrics
        let ledger = try await Ledger.create(
            store: store, origin: CivicMixWorkload.origin, authority: workload.authority, logSigner: workload.log,
            permissions: CivicMixWorkload.permissions, configuration: configuration)
        _ = try await ledger.append(batch: workload.preamble)
        return ledger
    }

    /// Projection rebuild from the file: a short phase on a noisy machine,
    /// so the best of three runs counts (the peer does the same). Each run
    /// is checked against the workload.
    func rebuild(_ reader: any EventStore, awarded: Int64, results: inout BenchResults) async throws {
        PeakMemory.reset()
        for _ in 0..<Self.rebuildRuns {
            var dossier = CaseDossier()
            var points = PointsBalances()
            let started = ContinuousClock.now
            let rebuilt = Int(
                try await EntryPages(store: reader, pageSize: 16_384).forEach { entry in
                    try dossier.fold(entry)
                    try points.fold(entry)
                })
            let run = BenchResults.Phase(count: rebuilt, seconds: started.duration(to: .now).seconds)
            if results.rebuild.count == 0 || run.seconds < results.rebuild.seconds { results.rebuild = run }
            guard points.totals.awarded == awarded, dossier.cases.count == results.counts["report", default: 0], points.isConserved
            else {
                throw CLIError.io("the rebuilt projections do not match the workload: \(points.totals), \(dossier.cases.count) cases")
            }
        }
        results.rebuildPeakMB = PeakMemory.megabytes()
        say(
            results.rebuild.line(
                "projection rebuild (case dossier + points balances, from \(store == nil ? "the SQLite file" : "PostgreSQL"); best of \(Self.rebuildRuns))", unit: "events"))
    }

    /// The full audit: every signature, key, role, stream version and
    /// checkpoint, and the Merkle tree.
    func audit(_ reader: any EventStore, results: inout BenchResults) async throws {
        PeakMemory.reset()
        let started = ContinuousClock.now
        let auditing = ProgressReporter("auditing")
        let audit = try await Auditor(store: reader).audit { checked, total in auditing.update(done: checked, total: total) }
        results.audit = .init(count: Int(audit.entries), seconds: started.duration(to: .now).seconds)
        results.auditPeakMB = PeakMemory.megabytes()
        guard audit.isClean, audit.signaturesChecked == UInt64(results.rebuild.count) else {
            throw CLIError.io("the audit of the benchmark ledger is not clean: \(audit.findings.prefix(3).map(\.description))")
        }
        say(
            results.audit.line(
                "full audit (every signature, key, role, stream version, the Merkle tree, \(audit.checkpointsChecked) checkpoints)",
                unit: "entries"))
    }

    /// How many times the rebuild runs; the fastest counts.
    static let rebuildRuns = 3

    /// The workload of this run, signed, with the keys and what the checks
    /// after the rebuild expect.
    struct SignedWorkload {
        var lanes: [[SignedEvent]]
        var preamble: [SignedEvent]
        var authority: SigningKey
        var log: SigningKey
        var awarded: Int64
    }

    /// Draws the workload and signs it; writes it for the peer when asked.
    func prepare(_ results: inout BenchResults, signLanes: Bool = true) throws -> SignedWorkload {
        let workload = CivicMixWorkload(events: events, seed: seed)
        if let workloadOut { try writeWorkload(workload, to: workloadOut) }
        results.counts = workload.counts
        results.actors = workload.actors.count
        results.residents = workload.residents
        results.cores = ProcessInfo.processInfo.activeProcessorCount
        let time = Timestamp(Date())
        return SignedWorkload(
            lanes: signLanes ? try workload.signed(lanes: appenders, at: time) : [], preamble: try workload.preamble(at: time),
            authority: workload.authority, log: workload.logKey,
            awarded: workload.commands.filter { $0.action == "award" }.compactMap(\.amount).reduce(0, +))
    }

    func say(_ line: String) {
        if json { printError(line) } else { print(line) }
    }

    /// Signatures verified per second on every core: 32,768 events of the
    /// mix (the same sizes the audit checks), verified three times, the
    /// best run counted.
    static func verifyRate(seed: UInt64) async throws -> Double {
        let sample = try CivicMixWorkload(events: 32_768, seed: seed &+ 1).signed(lanes: 1, at: Timestamp(Date()))[0]
        var best = 0.0
        for _ in 0..<3 {
            let started = ContinuousClock.now
            let valid = await SignedEvent.validSignatures(sample)
            let seconds = started.duration(to: .now).seconds
            guard valid.allSatisfy({ $0 }) else { throw CLIError.io("a freshly signed event failed verification") }
            best = max(best, Double(sample.count) / seconds)
        }
        return best
    }

    func writeWorkload(_ workload: CivicMixWorkload, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for command in workload.commands {
            data.append(try encoder.encode(command))
            data.append(0x0A)
        }
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw CLIError.io("cannot write \(path): \(error.localizedDescription)")
        }
    }
}

/// What one run measured.
struct BenchResults {
    struct Phase {
        var count = 0
        var seconds = 0.0
        var perSecond: Double { seconds > 0 ? Double(count) / seconds : 0 }

        func line(_ label: String, unit: String) -> String {
            String(format: "%@: %@ %@ in %.2f s = %.0f %@/s", label, count.formatted(), unit, seconds, perSecond, unit)
        }
    }

    var events: Int
    var seed: UInt64
    var appenders: Int
    var processes = 1
    var store = "sqlite"
    var counts: [String: Int] = [:]
    var actors = 0
    var residents = 0
    var cores = 0
    var signingSeconds = 0.0
    var append = Phase()
    var rebuild = Phase()
    var audit = Phase()
    var verifyPerSecond = 0.0
    var signingPeakMB = 0
    var appendPeakMB = 0
    var commits = 0
    var commitMeanEntries = 0.0
    var commitMeanMicroseconds = 0.0
    var rebuildPeakMB = 0
    var auditPeakMB = 0
    var peakMB = 0

    var object: [String: Any] {
        func phase(_ phase: Phase, peak: Int) -> [String: Any] {
            ["count": phase.count, "seconds": phase.seconds, "perSecond": phase.perSecond, "peakMB": peak]
        }
        return [
            "tool": "civic-ledger", "events": events, "seed": seed, "appenders": appenders, "processes": processes, "store": store,
            "counts": counts, "actors": actors,
            "residents": residents, "cores": cores, "signingSeconds": signingSeconds,
            "append": phase(append, peak: appendPeakMB), "rebuild": phase(rebuild, peak: rebuildPeakMB),
            "audit": phase(audit, peak: auditPeakMB), "verifyPerSecond": verifyPerSecond, "peakMB": peakMB, "signingPeakMB": signingPeakMB,
            "auditToVerify": verifyPerSecond > 0 ? audit.perSecond / verifyPerSecond : 0,
            "appendToVerify": verifyPerSecond > 0 ? append.perSecond / verifyPerSecond : 0,
            "commits": ["count": commits, "meanEntries": commitMeanEntries, "meanMicroseconds": commitMeanMicroseconds],
        ]
    }
}

/// A counter appenders share.
final class Counter: @unchecked Sendable {
    // @unchecked Sendable: guarded by `lock`.
    private let lock = NSLock()
    private var value: UInt64 = 0

    func increment() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

/// Peak resident memory, per phase where the system allows: on Linux,
/// writing 5 to /proc/self/clear_refs resets the high-water mark
/// (VmHWM); elsewhere the figure is the process's peak so far.
enum PeakMemory {
    static func reset() {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
    }

    /// The high-water mark since the last reset, in MB.
    static func megabytes() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        {
            return kilobytes / 1024
        }
        return rusagePeak()
    }

    /// The peak `getrusage` reports, in MB (on Linux, `reset()` resets it
    /// too); the fallback where `/proc` is missing.
    private static func rusagePeak() -> Int {
        var usage = rusage()
        #if os(Linux)
            getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        #if os(Linux)
            return Int(usage.ru_maxrss) / 1024
        #else
            return Int(usage.ru_maxrss) / (1024 * 1024)
        #endif
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
