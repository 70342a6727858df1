import Foundation
import GRDB
import Testing

/// Every subcommand the tool has (read from its own `--experimental-dump-help`,
/// so a new one is covered without editing this file) run with a folder, a
/// missing file and an empty file for each path it reads or writes, and with
/// a negative, a huge and an overflowing value for each numeric option, and
/// with another program's SQLite database for each ledger it reads or makes:
/// nothing traps, every refusal is an exit code with a message, and nothing
/// is written into the folder, the empty file or the other database.
@Suite("Bad input to every subcommand: never a trap", .serialized)
struct BadInputMatrixTests {
    /// What an argument takes.
    enum Kind: Equatable {
        /// A file the command reads.
        case input(String)
        /// A file the command writes (a new file is a valid value).
        case output
        /// A folder the command writes files into (a new or empty folder is
        /// a valid value, a file is not).
        case folder
        /// A number.
        case number(String)
        /// Anything else (names, dates, formats, places, prefixes): given
        /// its usual value, not varied.
        case text(String)
        /// Not run.
        case skip
    }

    /// Every argument of every subcommand, by `command/argument` or by the
    /// argument's name alone. An argument the tool has and this table does
    /// not fails the test: the matrix stays complete.
    static let table: [String: Kind] = [
        "path": .input("l.sqlite"), "source": .input("l.sqlite"), "init/path": .output, "copy/destination": .output, "tiles/out": .folder,
        "proof": .input("proof.txt"), "verify-report/file": .input("report.json"), "id": .text("r00001"),
        "case-id": .text("2026-00001"), "subcommands": .skip,
        "keys": .text("l.sqlite"), "key": .input("w.key"), "enrol/key": .input("l.sqlite.authority.key"),
        "public-key": .input("w.key.pub"), "role": .text("grid-worker"), "scope": .text("zhuji/dongsheng"), "actor": .text("worker-x"),
        "origin": .text("test.example/matrix"), "permissions": .input("permissions.json"), "governance": .text("zhuji/dongsheng"),
        "community-name": .text("东盛村"), "file": .input("event.json"), "out": .output, "db": .output, "workload-out": .output,
        "fail-on": .text("error"), "entries-for": .text("internal"), "format": .text("text"), "export/format": .text("jsonl"), "report/format": .text("html"),
        "start": .text("2025-01-01"), "trusted-checkpoint": .input("cp.txt"), "checkpoint": .input("cp.txt"),
        "old-checkpoint": .input("cp.txt"), "policy": .input("policy.txt"), "log-key": .text("VKEY"), "log": .text("VKEY"),
        "log-key-file": .input("l.sqlite.log.key"), "names-for": .input("w.key"), "reveal-for": .input("w.key"), "profiles-for": .input("w.key"),
        "vault": .input("l.sqlite.vault"), "community": .text("zhuji/dongsheng"), "report/from": .text("2025-01-01"),
        "to": .text("2099-01-01"), "state": .text("reported"), "at": .text("2026-01-01T00:00:00Z"), "store": .skip,
        "name": .text("w.example/w1"), "listen": .text("127.0.0.1:0"),
        "concurrency": .number("16"), "log/from": .number("0"), "limit": .number("5"), "page-size": .number("100"),
        "residents": .number("20"), "days": .number("1"), "seed": .number("1"), "index": .number("0"), "size": .number("1"),
        "old": .number("1"), "new": .number("1"), "top": .number("5"), "year": .number("2026"), "quota": .number("1"),
        "events": .number("10"), "appenders": .number("4"), "processes": .number("1"), "worker": .skip,
        "interval": .number("1"), "retry": .number("1"), "url": .text("http://127.0.0.1:1/feed"), "method": .text("GET"),
        "lifetime": .number("60"),
    ]

    /// The arguments that name a ledger (or, for `witness serve`, a
    /// witness's state): each is also given another program's SQLite file.
    static let ledgerArguments: Set<String> = ["path", "source", "destination", "db"]

    struct Argument {
        let name: String
        let positional: Bool
        let required: Bool
        let kind: Kind
    }

    struct Command {
        let path: [String]
        let arguments: [Argument]
    }

    /// The leaf subcommands and their arguments, from the tool itself.
    static func commands(_ cli: CLI) throws -> [Command] {
        let dump = try cli.run(["--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        var found: [Command] = []
        func walk(_ command: [String: Any], _ path: [String]) throws {
            let name = command["commandName"] as? String ?? ""
            let here = path + [name]
            if let subcommands = command["subcommands"] as? [[String: Any]], !subcommands.isEmpty {
                for sub in subcommands { try walk(sub, here) }
                return
            }
            guard name != "help" else { return }
            var arguments: [Argument] = []
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                let kind = argument["kind"] as? String ?? ""
                guard kind != "flag" else { continue }
                let preferred = (argument["preferredName"] as? [String: Any])?["name"] as? String
                let argumentName = try #require(preferred ?? argument["valueName"] as? String)
                let key = here.dropFirst().joined(separator: "/")
                let entry = Self.table["\(here.last ?? "")/\(argumentName)"] ?? Self.table["\(key)/\(argumentName)"] ?? Self.table[argumentName]
                let known = try #require(entry, "civic-ledger \(key) --\(argumentName) is not in the bad-input table: add it")
                arguments.append(
                    Argument(
                        name: argumentName, positional: kind == "positional", required: !(argument["isOptional"] as? Bool ?? true),
                        kind: known))
            }
            found.append(Command(path: Array(here.dropFirst()), arguments: arguments))
        }
        try walk(root["command"] as? [String: Any] ?? [:], [])
        return found
    }

    /// The arguments of `command` with `value` for `varied` (nil: the
    /// usual values); optional arguments appear only when varied, except
    /// what a command needs to be short (the demo's size, the bench's
    /// events).
    static func invocation(_ command: Command, varied: String?, value: String, serial: Int, verifierKey: String) -> [String] {
        var words = command.path
        let short: Set<String> = ["residents", "days", "events"]
        for argument in command.arguments {
            let isVaried = argument.name == varied
            guard isVaried || argument.required || short.contains(argument.name) else { continue }
            let usual: String
            switch argument.kind {
            case .input(let file): usual = file
            case .output, .folder: usual = "new-\(serial)-\(argument.name)"
            case .number(let number): usual = number
            case .text(let text): usual = text == "VKEY" ? verifierKey : text
            case .skip: continue
            }
            let given = isVaried ? value : usual
            words += argument.positional ? [given] : ["--\(argument.name)", given]
        }
        return words
    }

    @Test("folders, missing, empty and foreign files, negative and huge numbers: exit 1 or 2 with a message, never a trap, nothing written")
    func matrix() async throws {
        let cli = try CLI()
        let initialised = try cli.run(["init", "l.sqlite", "--governance", "zhuji/dongsheng"])
        try #require(initialised.status == 0, "\(initialised.stderr)")
        let verifierKey = try #require(
            initialised.stdout.split(separator: "\n").first { $0.contains("verifier key:") }?.split(separator: " ").last.map(String.init))
        try #require(try cli.run(["keygen", "--out", "w.key"]).status == 0)
        try Data(#"{"kind":"note","stream":"note/1","place":"zhuji/dongsheng","payload":{}}"#.utf8).write(to: URL(fileURLWithPath: cli.path("event.json")))
        try Data(#"{"grid-worker":["case.*"]}"#.utf8).write(to: URL(fileURLWithPath: cli.path("permissions.json")))
        try Data("log \(verifierKey)\nquorum none\n".utf8).write(to: URL(fileURLWithPath: cli.path("policy.txt")))
        let checkpoint = try cli.run(["checkpoint", "l.sqlite"])
        try #require(checkpoint.status == 0, "\(checkpoint.stderr)")
        try checkpoint.stdout.write(toFile: cli.path("cp.txt"), atomically: true, encoding: .utf8)
        try #require(try cli.run(["prove", "inclusion", "l.sqlite", "--index", "0", "--out", "proof.txt"]).status == 0)
        let report = try cli.run(["report", "l.sqlite", "--community", "zhuji/dongsheng", "--format", "json", "--out", "report.json"])
        try #require(report.status == 0, "\(report.stderr)")
        try FileManager.default.createDirectory(atPath: cli.path("a-folder"), withIntermediateDirectories: false)
        FileManager.default.createFile(atPath: cli.path("empty-file"), contents: Data())
        // Another program's SQLite database, in its own journal mode.
        let other = try DatabaseQueue(path: cli.path("other.sqlite"))
        try await other.write { try $0.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine')") }
        try other.close()
        let otherBytes = try Data(contentsOf: URL(fileURLWithPath: cli.path("other.sqlite")))
        let ledgerBefore = try cli.run(["log", "l.sqlite", "--json"]).stdout

        let commands = try Self.commands(cli)
        #expect(commands.count >= 25, "every subcommand: \(commands.map { $0.path.joined(separator: " ") })")
        var runs = 0
        var serial = 0
        for command in commands {
            for argument in command.arguments {
                let values: [(String, Bool)]  // the value, and whether it must be refused
                // A ledger the command reads or makes may also be another program's database.
                let ledger = Self.ledgerArguments.contains(argument.name)
                switch argument.kind {
                case .input: values = [("a-folder", true), ("no-such-file", true), ("empty-file", true)] + (ledger ? [("other.sqlite", true)] : [])
                case .output: values = [("a-folder", true), ("no-such-file-\(serial)", false)] + (ledger ? [("other.sqlite", true)] : [])
                case .folder: values = [("empty-file", true), ("no-such-folder-\(serial)", false)]
                case .number: values = [("-1", true), ("99999999999999999999999", true), ("9223372036854775807", false)]
                case .text, .skip: continue
                }
                for (value, refused) in values {
                    serial += 1
                    let words = Self.invocation(command, varied: argument.name, value: value, serial: serial, verifierKey: verifierKey)
                    // A server given valid arguments serves until stopped.
                    let serving = command.path == ["witness", "serve"] && !refused
                    let result = try cli.runBounded(words, seconds: serving ? 3 : 60)
                    runs += 1
                    let shown = "civic-ledger \(words.joined(separator: " "))"
                    #expect(!result.signalled, "\(shown): killed by signal \(result.status)\n\(result.stderr)")
                    #expect(!result.timedOut || serving, "\(shown): still running after 60 s")
                    #expect(!result.stderr.contains("Fatal error"), "\(shown): \(result.stderr)")
                    #expect([0, 1, 2].contains(result.status) || result.timedOut, "\(shown): exit \(result.status)")
                    if refused {
                        #expect(result.status == 1 || result.status == 2, "\(shown): exit \(result.status), expected a refusal")
                        #expect(!result.stderr.isEmpty, "\(shown): refused without a message")
                    }
                    if case .number = argument.kind, refused {
                        #expect(result.status == 2 && result.stderr.contains("--\(argument.name)"), "\(shown): \(result.stderr)")
                    }
                    #expect(try FileManager.default.contentsOfDirectory(atPath: cli.path("a-folder")).isEmpty, "\(shown) wrote into a folder")
                    #expect(try Data(contentsOf: URL(fileURLWithPath: cli.path("empty-file"))).isEmpty, "\(shown) wrote into an empty file")
                    #expect(try Data(contentsOf: URL(fileURLWithPath: cli.path("other.sqlite"))) == otherBytes, "\(shown) changed another program's database")
                    #expect(!FileManager.default.fileExists(atPath: cli.path("other.sqlite-wal")), "\(shown) switched another program's database to WAL")
                }
            }
        }
        #expect(runs > 100)
        // The shared ledger was only read: appends with an unenrolled key were refused.
        #expect(try cli.run(["log", "l.sqlite", "--json"]).stdout == ledgerBefore)
    }
}

extension CLI {
    struct BoundedResult {
        let status: Int32
        let signalled: Bool
        let timedOut: Bool
        let stderr: String
    }

    /// Runs the tool with standard input closed and its output in files,
    /// killing it after `seconds`.
    func runBounded(_ arguments: [String], seconds: Double) throws -> BoundedResult {
        let binary = try #require(Self.binary, "the civic-ledger binary was not built")
        // At a lower priority: the matrix starts hundreds of processes, and
        // the suites beside it (witness processes with timeouts) come first.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
        process.arguments = ["-n", "10", binary.path] + arguments
        process.currentDirectoryURL = directory
        let errorPath = path(".stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        let errorFile = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        defer { try? errorFile.close() }
        process.standardError = errorFile
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        let timedOut = done.wait(timeout: .now() + seconds) == .timedOut
        if timedOut {
            process.terminate()
            done.wait()
        }
        let stderr = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: errorPath))) ?? Data(), as: UTF8.self)
        return BoundedResult(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal && !timedOut,
            timedOut: timedOut, stderr: stderr)
    }
}

@Suite("The tool's help")
struct HelpTests {
    @Test("the help groups every subcommand under what a reader comes to do, each once")
    func grouped() throws {
        let cli = try CLI()
        let help = try cli.run(["--help"])
        #expect(help.status == 0)
        let groups = ["MAKING AND WRITING", "READING", "CHECKING, PROVING AND PUBLISHING", "TRYING IT"]
        for group in groups { #expect(help.stdout.contains(group + " SUBCOMMANDS:"), "\(group)") }
        let commands = try BadInputMatrixTests.commands(cli).map { $0.path[0] }
        for name in Set(commands) {
            let lines = help.stdout.split(separator: "\n").filter { $0.hasPrefix("  \(name) ") || $0 == "  \(name)" }
            #expect(lines.count == 1, "\(name) is listed \(lines.count) times")
        }
    }
}
