import CivicLedger
import Foundation
import GRDB
import Testing

/// Files the tool must not touch, half-made files, read-only copies,
/// readable secrets, hostile text in messages, bad numbers.
@Suite("The tool writes only ledgers, atomically, and quotes input safely")
struct FileSafetyTests {
    static let event = #"{"kind":"case.report","stream":"case/1","place":"zhuji/dongsheng","payload":{"category":"x"}}"#

    @Test("append, checkpoint and cases on another program's SQLite file or a 0-byte file refuse, leaving it byte for byte")
    func foreignFiles() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        try Data().write(to: URL(fileURLWithPath: cli.path("zero.sqlite")))
        // A SQLite database of another program, in its own journal mode.
        let other = try DatabaseQueue(path: cli.path("other.sqlite"))
        try other.write { try $0.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine')") }
        try other.close()
        for file in ["zero.sqlite", "other.sqlite"] {
            let before = try #require(FileManager.default.contents(atPath: cli.path(file)))
            for arguments in [["append", file, "--key", key], ["checkpoint", file], ["cases", file], ["verify", file]] {
                let result = try cli.run(arguments, stdin: Self.event)
                #expect(result.status == 2, "\(arguments)")
                #expect(result.stderr.contains("not a CivicLedger") || result.stderr.contains("empty"), "\(arguments): \(result.stderr)")
            }
            #expect(FileManager.default.contents(atPath: cli.path(file)) == before, "\(file) was changed")
            #expect(!FileManager.default.fileExists(atPath: cli.path(file + "-wal")), "\(file) was switched to WAL")
        }
    }

    @Test("resident on a ledger without the governance rules refuses before writing anything")
    func residentOnPlainLedger() throws {
        let cli = try CLI()
        _ = try cli.ledgerWithWorker()
        let before = try #require(FileManager.default.contents(atPath: cli.path("l.sqlite")))
        let result = try cli.run(["resident", "l.sqlite", "r1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("not a governance ledger"))
        #expect(FileManager.default.contents(atPath: cli.path("l.sqlite")) == before)
    }

    @Test("an interrupted init or keygen does not block a retry; what it left is cleared")
    func interruptedCreation() throws {
        let cli = try CLI()
        // What a keygen killed after placing the public key leaves: the public key and the marker.
        try Data("x\n".utf8).write(to: URL(fileURLWithPath: cli.path("k.pub")))
        try Data("\(cli.path("k"))\n\(cli.path("k.pub"))\n".utf8).write(to: URL(fileURLWithPath: cli.path("k.incomplete")))
        let keygen = try cli.run(["keygen", "--out", cli.path("k")])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        #expect(try cli.mode("k") == 0o600)
        #expect(!FileManager.default.fileExists(atPath: cli.path("k.incomplete")))
        // An init killed after its keys, before its ledger.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: cli.path("l.sqlite.authority.key")))
        try Data(["l.sqlite", "l.sqlite.authority.key"].map { cli.path($0) + "\n" }.joined().utf8).write(
            to: URL(fileURLWithPath: cli.path("l.sqlite.incomplete")))
        let initialised = try cli.run(["init", cli.path("l.sqlite")])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        #expect(try cli.run(["verify", "l.sqlite"]).status == 0)
        // Nothing temporary is left beside them.
        let names = try FileManager.default.contentsOfDirectory(atPath: cli.directory.path)
        #expect(!names.contains { $0.contains(".tmp-") || $0.hasSuffix(".incomplete") }, "\(names)")
        // A finished set is never cleared: a marker beside a whole ledger is only removed.
        try Data(["l.sqlite", "l.sqlite.authority.key"].map { cli.path($0) + "\n" }.joined().utf8).write(
            to: URL(fileURLWithPath: cli.path("l.sqlite.incomplete")))
        #expect(try cli.run(["init", cli.path("l.sqlite")]).status == 2)
        #expect(try cli.run(["verify", "l.sqlite"]).status == 0, "the ledger is still there")
    }

    @Test("a secret key readable by others is refused, saying how to fix it")
    func readableSecret() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: cli.path(key))
        let result = try cli.run(["append", "l.sqlite", "--key", key], stdin: Self.event)
        #expect(result.status == 2)
        #expect(result.stderr.contains("chmod 600"))
        #expect(try cli.entryCount("l.sqlite") == 2, "nothing was appended")
    }

    @Test("control characters from input are quoted in messages, never sent to the terminal")
    func controlCharacters() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        let hostile = #"{"kind":"case.report","stream":"case/1","place":"zhuji/\u001b[2J\u0007x","payload":{}}"#
        let result = try cli.run(["append", "l.sqlite", "--key", key], stdin: hostile)
        #expect(result.status != 0)
        #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(result.stderr.contains(#"\u{1B}[2J"#))
    }

    @Test("negative and out-of-range numbers get a message naming the option; a position past the end says so")
    func numbers() throws {
        let cli = try CLI()
        _ = try cli.ledgerWithWorker()
        let negative = try cli.run(["prove", "inclusion", "l.sqlite", "--index", "-1"])
        #expect(negative.status == 2)
        #expect(negative.stderr.contains("'-1' is invalid for '--index"))
        let past = try cli.run(["prove", "inclusion", "l.sqlite", "--index", "7"])
        #expect(past.status == 2)
        #expect(past.stderr.contains("no such entry; the log holds 2"))
        #expect(try cli.run(["log", "l.sqlite", "--from", "-4"]).status == 2)
    }

    @Test("repair from the command line: damaged index rows and head are rebuilt (exit 0); a missing or changed entry is refused (exit 1), writing nothing")
    func repairDamaged() async throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        for n in 1...3 {
            let event = Self.event.replacingOccurrences(of: "case/1", with: "case/\(n)")
            #expect(try cli.run(["append", "l.sqlite", "--key", key], stdin: event).status == 0)
        }
        #expect(try cli.run(["checkpoint", "l.sqlite"]).status == 0)
        func database() throws -> DatabaseQueue { try DatabaseQueue(path: cli.path("l.sqlite")) }
        /// Every row of every table, in order: what "nothing written" means.
        func rows() async throws -> [String] {
            try await database().read { db in
                try ["entry", "head", "checkpoint", "snapshot"].flatMap { table in
                    try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1").map { "\(table) \($0)" }
                }
            }
        }
        // Derived state damaged: an index row and the head.
        try await database().write { db in
            try db.execute(sql: "UPDATE entry SET stream = 'case/forged' WHERE position = 3")
            try db.execute(sql: "UPDATE head SET size = size + 7")
        }
        let damaged = try cli.run(["verify", "l.sqlite"])
        #expect(damaged.status == 1, "\(damaged.stdout)")
        let repaired = try cli.run(["repair", "l.sqlite"])
        #expect(repaired.status == 0, "\(repaired.stdout) \(repaired.stderr)")
        #expect(repaired.stdout.contains("rewrote the index row of position 3"))
        #expect(repaired.stdout.contains("rewrote the head"))
        #expect(repaired.stdout.contains("verified clean"))
        #expect(try cli.run(["verify", "l.sqlite"]).status == 0)

        // An entry changed: refused, exit 1, the file as it was.
        try await database().write { db in
            var bytes = try #require(try Data.fetchOne(db, sql: "SELECT bytes FROM entry WHERE position = 4"))
            bytes[bytes.count - 1] ^= 0x01
            try db.execute(sql: "UPDATE entry SET bytes = ? WHERE position = 4", arguments: [bytes])
        }
        let changedBefore = try await rows()
        let changed = try cli.run(["repair", "l.sqlite"])
        #expect(changed.status == 1, "\(changed.stdout) \(changed.stderr)")
        #expect(!changed.stderr.isEmpty || !changed.stdout.isEmpty)
        #expect(try await rows() == changedBefore, "repair wrote to a ledger whose entries are not intact")

        // An entry missing: refused, exit 1, nothing written.
        try await database().write { db in try db.execute(sql: "DELETE FROM entry WHERE position = 2") }
        let missingBefore = try await rows()
        let missing = try cli.run(["repair", "l.sqlite"])
        #expect(missing.status == 1, "\(missing.stdout) \(missing.stderr)")
        #expect((missing.stdout + missing.stderr).contains("2"), "the message names the missing position: \(missing.stderr)")
        #expect(try await rows() == missingBefore, "repair wrote to a ledger with an entry missing")
    }

    @Test("repair on an intact ledger says there is nothing to repair and verifies clean")
    func repairIntact() throws {
        let cli = try CLI()
        _ = try cli.ledgerWithWorker()
        let result = try cli.run(["repair", "l.sqlite"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("verified clean"))
    }
}

extension FileSafetyTests {
    /// Runs the tool as a user who cannot write `folder`: as `nobody` when
    /// the tests run as root (who may write anything), as this user
    /// otherwise.
    static func runWithoutWriteAccess(_ cli: CLI, _ arguments: [String]) throws -> CLI.Result {
        guard getuid() == 0 else { return try cli.run(arguments) }
        return try cli.run(arguments, asUser: "nobody")
    }

    @Test("every reading command works on a read-only copy (ledger and vault) in a folder the reader cannot write, and writes nothing there")
    func readOnlyCopy() throws {
        let cli = try CLI()
        #expect(try cli.run(["demo", "--db", "l.sqlite", "--residents", "60", "--days", "20"]).status == 0)
        let copy = cli.path("copy")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: false)
        for name in ["l.sqlite", "l.sqlite.vault"] {
            try FileManager.default.copyItem(atPath: cli.path(name), toPath: copy + "/" + name)
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: copy + "/" + name)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: copy)
        // Every folder above must be passable for the other user, and outputs go to a folder they may write.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: cli.directory.path)
        let out = cli.path("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: out)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy) }
        let ledger = copy + "/l.sqlite"
        let commands: [[String]] = [
            ["verify", ledger], ["audit", ledger], ["log", ledger, "--limit", "5"], ["cases", ledger], ["points", ledger, "--pseudonyms"],
            ["resident", ledger, "r00002"], ["dossier", ledger, "2025-00001"], ["volunteers", ledger],
            ["export", ledger, "--out", out + "/l.jsonl"], ["prove", "inclusion", ledger, "--index", "1"],
            ["report", ledger, "--community", "zhuji/dongsheng", "--out", out + "/report.html"],
        ]
        // The eleven the documentation names, each one here.
        #expect(Set(commands.map { $0[0] }).count == 11)
        for arguments in commands {
            let result = try Self.runWithoutWriteAccess(cli, arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(!result.stdout.isEmpty || arguments.contains("--out"), "\(arguments) printed nothing")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: copy).sorted()
        #expect(names == ["l.sqlite", "l.sqlite.vault"], "nothing was written beside the copy: \(names)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["l.jsonl", "report.html"])
    }
}

@Suite("Verification that is easy to use right")
struct VerificationUseTests {
    @Test("the README's quick start (demo, keygen, enrol, verify) passes with its governance warnings reported; --fail-on warning fails on them")
    func quickStart() throws {
        let cli = try CLI()
        #expect(try cli.run(["demo", "--db", "d.sqlite", "--residents", "300", "--days", "120"]).status == 0)
        #expect(try cli.run(["keygen", "--out", "w.key"]).status == 0)
        let enrol = try cli.run([
            "enrol", "d.sqlite", "--key", "d.sqlite.authority.key", "--public-key", "w.key.pub", "--role", "grid-worker", "--scope",
            "zhuji/dongsheng", "--actor", "worker-demo",
        ])
        #expect(enrol.status == 0, "\(enrol.stderr)")
        let verify = try cli.run(["verify", "d.sqlite"])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(verify.stdout.contains("PASSED with"))
        #expect(verify.stdout.contains("warning"))
        let strict = try cli.run(["verify", "d.sqlite", "--fail-on", "warning"])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("FAILED"))
        let audit = try cli.run(["audit", "d.sqlite"])
        #expect(audit.status == 0)
        #expect(audit.stdout.contains("overdue-unreminded"))
        #expect(try cli.run(["audit", "d.sqlite", "--fail-on", "warning"]).status == 1)
        let json = try cli.run(["verify", "d.sqlite", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["passed"] as? Bool == true)
        #expect(((object["counts"] as? [String: Any])?["warning"] as? NSNumber)?.intValue ?? 0 > 0)
        #expect(try cli.run(["verify", "d.sqlite", "--fail-on", "nothing"]).status == 2)
    }
}
