import CivicGovernance
import CivicLedger
import CivicSimulator
import Foundation

extension BenchCommand {
    /// What the append phase ran on, for the figure's label.
    var storeLabel: String {
        guard store != nil else { return "SQLite WAL, synchronous = FULL" }
        return processes == 1
            ? "PostgreSQL, synchronous_commit = on" : "one PostgreSQL ledger, synchronous_commit = on"
    }

    /// The PostgreSQL ledger at `url`, which must hold nothing yet.
    static func emptyServerLedger(_ url: String) async throws -> any EventStore {
        let store = try await ServerStore.open(url, create: true)
        guard try await store.head() == nil else {
            throw CLIError.usage("the ledger at \(ServerStore.shown(url)) is not empty; the benchmark needs a new one (another ledger= name)")
        }
        return store
    }

    /// Durable append from `processes` processes (this binary, `bench
    /// --worker I`), each signing its share of the streams before the
    /// clock starts, then appending with `appenders` appenders; the clock
    /// runs from the start signal until the last process is done.
    func appendFromProcesses(_ signed: inout SignedWorkload?, to store: any EventStore, url: String, results: inout BenchResults)
        async throws
    {
        guard let workload = signed else { return }
        PeakMemory.reset()
        try await Self.createLedger(workload, on: store).close()
        signed = nil
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        var children: [(process: Process, input: Pipe, output: Pipe)] = []
        for index in 0..<processes {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "bench", "--store", url, "--events", "\(events)", "--seed", "\(seed)", "--appenders", "\(appenders)",
                "--processes", "\(processes)", "--worker", "\(index)",
            ]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            children.append((process, input, output))
        }
        let signing = ContinuousClock.now
        // Each says "ready" once its share is signed and its ledger open.
        for child in children {
            guard let line = Self.line(from: child.output.fileHandleForReading), line == "ready" else {
                for other in children { other.process.terminate() }
                throw CLIError.io("a benchmark process did not get ready")
            }
        }
        say("\(processes) processes signed their shares in \(String(format: "%.1f", signing.duration(to: .now).seconds)) s (before the clock starts)")
        let started = ContinuousClock.now
        for child in children { writeOut(child.input.fileHandleForWriting, "go\n") }
        var appended = 0
        for child in children {
            let answer = Self.line(from: child.output.fileHandleForReading) ?? ""
            child.process.waitUntilExit()
            guard child.process.terminationStatus == 0, let count = Int(answer) else {
                throw CLIError.io("a benchmark process failed (exit \(child.process.terminationStatus)): \(answer)")
            }
            appended += count
        }
        results.append = .init(count: appended, seconds: started.duration(to: .now).seconds)
        guard appended == events else {
            throw CLIError.io("the processes appended \(appended) events, not \(events)")
        }
        results.appendPeakMB = PeakMemory.megabytes()
        say(results.append.line("durable append (\(processes) processes × \(appenders) appenders, \(storeLabel))", unit: "events"))
    }

    /// One line from a child's output, without its newline.
    static func line(from handle: FileHandle) -> String? {
        var bytes: [UInt8] = []
        while let byte = try? handle.read(upToCount: 1), let first = byte.first {
            if first == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(first)
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}

/// One process of `bench --processes`: signs the streams of its lanes,
/// opens the ledger, says `ready`, waits for `go`, appends, prints how
/// many it appended.
struct BenchWorker {
    let command: BenchCommand
    let url: String
    let index: Int

    func run() async throws {
        let workload = CivicMixWorkload(events: command.events, seed: command.seed)
        let appenders = command.appenders
        let lanes = try workload.signed(
            lanes: appenders * command.processes, at: Timestamp(Date()), keeping: index * appenders..<(index + 1) * appenders)
        let mine = Array(lanes[(index * appenders)..<((index + 1) * appenders)])
        let ledger = try await Ledger.open(
            store: try await ServerStore.open(url, create: false), logSigner: workload.logKey, configuration: CLIContext.ledgerConfiguration)
        writeOut(FileHandle.standardOutput, "ready\n")
        guard readLine() == "go" else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in mine {
                group.addTask {
                    for event in lane { _ = try await ledger.append(event) }
                }
            }
            try await group.waitForAll()
        }
        writeOut(FileHandle.standardOutput, "\(mine.reduce(0) { $0 + $1.count })\n")
        try await ledger.close()
    }
}
