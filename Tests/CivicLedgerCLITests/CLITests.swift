import CivicLedger
import Foundation
import GRDB
import Testing

/// Runs the built `civic-ledger` binary, as a user would.
struct CLI {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static let binary: URL? = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("civic-ledger")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let debug = root.appendingPathComponent(".build/debug/civic-ledger")
        return FileManager.default.isExecutableFile(atPath: debug.path) ? debug : nil
    }()

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("civic-ledger-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, asUser user: String? = nil) throws -> Result {
        let binary = try #require(Self.binary, "the civic-ledger binary was not built")
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", user, "--", binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    func mode(_ name: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path(name))[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func entryCount(_ ledger: String) throws -> Int {
        let log = try run(["log", ledger, "--limit", "100000"])
        return log.stdout.split(separator: "\n").count
    }

    /// A ledger with one enrolled grid worker: returns the worker key path.
    func ledgerWithWorker() throws -> String {
        try #require(run(["init", "l.sqlite", "--origin", "test.example/cli"]).status == 0)
        try #require(run(["keygen", "--out", "worker.key"]).status == 0)
        let enrol = try run([
            "enrol", "l.sqlite", "--key", "l.sqlite.authority.key", "--public-key", "worker.key.pub", "--role", "grid-worker", "--scope",
            "zhuji/dongsheng", "--actor", "worker-li",
        ])
        try #require(enrol.status == 0, "\(enrol.stderr)")
        return "worker.key"
    }
}

@Suite("The civic-ledger command line")
struct CLITests {
    @Test("init creates the ledger and key files with mode 0600, and never overwrites")
    func initCreatesFiles() throws {
        let cli = try CLI()
        let first = try cli.run(["init", "l.sqlite", "--origin", "test.example/cli"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try cli.mode("l.sqlite.authority.key") == 0o600)
        #expect(try cli.mode("l.sqlite.log.key") == 0o600)
        let key = try String(contentsOfFile: cli.path("l.sqlite.authority.key"), encoding: .utf8)
        let again = try cli.run(["init", "l.sqlite"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
        #expect(try String(contentsOfFile: cli.path("l.sqlite.authority.key"), encoding: .utf8) == key)
        #expect(try cli.run(["init", "x.sqlite", "--origin", "has space"]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: cli.path("x.sqlite.authority.key")))
    }

    @Test("keygen writes a 0600 secret and a public key, and refuses to overwrite")
    func keygen() throws {
        let cli = try CLI()
        let made = try cli.run(["keygen", "--out", "k.key"])
        #expect(made.status == 0)
        #expect(try cli.mode("k.key") == 0o600)
        let published = try String(contentsOfFile: cli.path("k.key.pub"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(PublicKey(base64: published) != nil)
        #expect(made.stdout.contains(published))
        #expect(try cli.run(["keygen", "--out", "k.key"]).status == 2)
    }

    @Test("an enrolled actor appends from a file and from stdin; log and verify see it")
    func appendLogVerify() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        let event =
            #"{"kind":"case.report","stream":"case/1","place":"zhuji/dongsheng/grid-03","expectedVersion":0,"payload":{"category":"drainage"}}"#
        try Data(event.utf8).write(to: URL(fileURLWithPath: cli.path("event.json")))
        let fromFile = try cli.run(["append", "l.sqlite", "--key", key, "--file", "event.json"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(fromFile.stdout.contains("position 2"))
        let second =
            #"{"kind":"case.verify","stream":"case/1","place":"zhuji/dongsheng/grid-03","expectedVersion":1,"payload":{"result":"passed"}}"#
        let fromStdin = try cli.run(["append", "l.sqlite", "--key", key, "--json"], stdin: second)
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        #expect(fromStdin.stdout.contains(#""position":3"#))
        let log = try cli.run(["log", "l.sqlite", "--from", "2", "--json"])
        let lines = log.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains(#""payload":{"category":"drainage"}"#) == true)
        let verify = try cli.run(["verify", "l.sqlite"])
        #expect(verify.status == 0)
        #expect(verify.stdout.hasPrefix("clean: 4 entries"))
    }

    @Test(
        "bad event input is a clear error, exit 2, and nothing is written",
        arguments: [
            ("not json", "standard input: line 1, column 1"),
            (#"{"stream":"s","place":"p"}"#, #"field "kind": is required"#),
            (#"{"kind":"case.report","stream":"s","place":"p","expectedVersion":-1}"#, #"field "expectedVersion""#),
            (#"{"kind":"case.report","stream":"s","place":"p","expectedVersion":true}"#, #"field "expectedVersion""#),
            (#"{"kind":"case.report","stream":"s","place":"a//b"}"#, #"field "place""#),
            (#"{"kind":"Case Report","stream":"s","place":"p"}"#, "kind"),
            (#"{"kind":"case.report","stream":"s","place":"p","colour":"red"}"#, #"field "colour" (line 1, column 57): is not an event field"#),
            (#"[{"kind":"case.report","stream":"s","place":"p"}, 3]"#, "element 1"),
        ])
    func badInput(_ input: String, _ expected: String) throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        let before = try cli.entryCount("l.sqlite")
        let result = try cli.run(["append", "l.sqlite", "--key", key], stdin: input)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(try cli.entryCount("l.sqlite") == before)
    }

    @Test("the ledger's refusals exit 1 with the reason: unknown key, stale version, no authority")
    func refusals() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        let first = #"{"kind":"case.report","stream":"case/1","place":"zhuji/dongsheng/grid-03","expectedVersion":0}"#
        #expect(try cli.run(["append", "l.sqlite", "--key", key], stdin: first).status == 0)
        let stale = try cli.run(["append", "l.sqlite", "--key", key], stdin: first)
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("stream-version-conflict"))
        #expect(stale.stderr.contains("at version 1; the event expects version 0"))
        try #require(cli.run(["keygen", "--out", "stranger.key"]).status == 0)
        let unknown = try cli.run(["append", "l.sqlite", "--key", "stranger.key"], stdin: first)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown-key"))
        let outside = try cli.run(
            ["append", "l.sqlite", "--key", key], stdin: #"{"kind":"case.report","stream":"case/9","place":"zhuji/other"}"#)
        #expect(outside.status == 1)
        #expect(outside.stderr.contains("not-authorised"))
        #expect(try cli.entryCount("l.sqlite") == 3)
    }

    @Test("verify exits 1 and names the first bad position when a stored entry is changed")
    func verifyFindsTampering() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        for index in 0..<5 {
            let event =
                #"{"kind":"case.report","stream":"case/\#(index)","place":"zhuji/dongsheng","payload":{"marker":"ORIGINAL-\#(index)"}}"#
            try #require(cli.run(["append", "l.sqlite", "--key", key], stdin: event).status == 0)
        }
        // Flip one payload byte of position 4 in the file itself.
        var data = try Data(contentsOf: URL(fileURLWithPath: cli.path("l.sqlite")))
        let marker = Data("ORIGINAL-2".utf8)
        let range = try #require(data.range(of: marker))
        data[range.lowerBound] = UInt8(ascii: "X")
        try data.write(to: URL(fileURLWithPath: cli.path("l.sqlite")))
        let verify = try cli.run(["verify", "l.sqlite"])
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("first bad position 4"), "\(verify.stdout)")
        #expect(verify.stdout.contains("invalid-signature"))
    }

    @Test("usage and I/O errors exit 2")
    func usageErrors() throws {
        let cli = try CLI()
        #expect(try cli.run(["verify", "missing.sqlite"]).status == 2)
        #expect(try cli.run(["verify"]).status == 2)
        #expect(try cli.run(["frobnicate"]).status == 2)
        #expect(try cli.run(["log", "missing.sqlite", "--limit", "-3"]).status == 2)
        #expect(try cli.run(["--help"]).status == 0)
    }

    @Test("checkpoint prints a signed note that verifies with the log key")
    func checkpoint() throws {
        let cli = try CLI()
        _ = try cli.ledgerWithWorker()
        let result = try cli.run(["checkpoint", "l.sqlite"])
        #expect(result.status == 0)
        let signed = try SignedCheckpoint(parsing: result.stdout)
        #expect(signed.checkpoint.size == 2)
        #expect(signed.checkpoint.origin == "test.example/cli")
        let logPublic = try String(contentsOfFile: cli.path("l.sqlite.log.key.pub"), encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        try signed.verify(logKey: try #require(PublicKey(base64: logPublic)))
    }

    @Test("the demo simulates a community, audits clean, prints a checkpoint, and is deterministic from its seed")
    func demo() throws {
        let cli = try CLI()
        let arguments = ["--residents", "200", "--days", "40", "--seed", "7"]
        let result = try cli.run(["demo", "--db", "demo.sqlite"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Audit: clean"))
        #expect(result.stdout.contains(": conserved"))
        let note = try #require(
            result.stdout.components(separatedBy: "\n\n").first { $0.hasPrefix("civic-ledger.example/zhuji/dongsheng\n") })
        #expect(note.split(separator: "\n").count == 3)
        #expect(try cli.run(["verify", "demo.sqlite"]).status == 0)
        #expect(try cli.run(["demo", "--db", "demo.sqlite"] + arguments).status == 2)
        #expect(try cli.mode("demo.sqlite.vault") == 0o600)
        #expect(try cli.run(["demo", "--db", "other.sqlite", "--residents", "5"]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: cli.path("other.sqlite")))
        let badStart = try cli.run(["demo", "--db", "other.sqlite", "--start", "2024-13-01"])
        #expect(badStart.status == 2)
        #expect(badStart.stderr.contains("--start \"2024-13-01\""))

        // --start moves the whole simulation: its cases are numbered in that year.
        #expect(try cli.run(["demo", "--db", "earlier.sqlite", "--start", "2023-03-01"] + arguments).status == 0)
        let earlier = try cli.run(["dossier", "earlier.sqlite", "case/2023-00001"])
        #expect(earlier.status == 0, "\(earlier.stderr)")
        #expect(earlier.stdout.contains("2023-03-"))

        // The same seed builds the same community: the same cases and the same points.
        #expect(try cli.run(["demo", "--db", "again.sqlite"] + arguments).status == 0)
        let cases = try cli.run(["cases", "demo.sqlite", "--json", "--limit", "100000"])
        #expect(cases.status == 0)
        #expect(cases.stdout == (try cli.run(["cases", "again.sqlite", "--json", "--limit", "100000"])).stdout)
        let points = try cli.run(["points", "demo.sqlite", "--json"])
        #expect(points.stdout == (try cli.run(["points", "again.sqlite", "--json"])).stdout)

        // Conservation, checked from outside: the accounts and the pool hold what was issued.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(points.stdout.utf8)) as? [String: Any])
        let accounts = try #require(object["accounts"] as? [String: [String: Int]])
        let totals = try #require(object["totals"] as? [String: Int])
        let pool = try #require(object["pool"] as? Int)
        #expect(pool + accounts.values.reduce(0) { $0 + $1["contribution"]! + $1["reputation"]! } == totals["issued"])
        #expect(totals["awarded"]! > 0)

        // The case board's counts add up, and a case's dossier names who signed each step.
        let board = try #require(try JSONSerialization.jsonObject(with: Data(cases.stdout.utf8)) as? [String: Any])
        let counts = try #require(board["counts"] as? [String: Int])
        #expect(counts.values.reduce(0, +) == board["total"] as? Int)
        let dossier = try cli.run(["dossier", "demo.sqlite", "2025-00001"])
        #expect(dossier.status == 0)
        #expect(dossier.stdout.contains("case.report"))
        #expect(try cli.run(["dossier", "demo.sqlite", "2025-99999"]).status == 2)

        // Personal fields stay sealed unless asked for with the vault.
        let sealed = try cli.run(["resident", "demo.sqlite", "r00002", "--json"])
        #expect(sealed.status == 0)
        #expect(!sealed.stdout.contains("personal"))
        #expect(try cli.run(["volunteers", "demo.sqlite", "--json"]).status == 0)

        // The tool enforces the governance rules on a governance ledger: a
        // signed, authorised event that breaks them is refused, nothing written.
        let before = try cli.run(["checkpoint", "demo.sqlite"]).stdout
        let rulesEntry = try cli.run(["log", "demo.sqlite", "--from", "1", "--limit", "1", "--json"])
        var rules = try #require(
            (try JSONSerialization.jsonObject(with: Data(rulesEntry.stdout.utf8)) as? [String: Any])?["payload"] as? [String: Any])
        rules["community"] = "zhuji/elsewhere"
        let event: [String: Any] = ["kind": "community.rules", "stream": "community", "place": "zhuji/dongsheng", "payload": rules]
        let bad = String(decoding: try JSONSerialization.data(withJSONObject: event), as: UTF8.self)
        let refused = try cli.run(["append", "demo.sqlite", "--key", "demo.sqlite.authority.key"], stdin: bad)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("the rules are for zhuji/elsewhere but the event is in zhuji/dongsheng"))
        #expect(try cli.run(["checkpoint", "demo.sqlite"]).stdout == before)
        #expect(try cli.run(["verify", "demo.sqlite"]).stdout.contains("governance rules replayed"))

        // Personal fields open only for a reader whose role keeps the archives: a department may not, a
        // grid worker may. (Last: enrolling them appends at today's time, when the demo's cases are long overdue.)
        for (key, role) in [("worker.key", "grid-worker"), ("dept.key", "department")] {
            try #require(cli.run(["keygen", "--out", key]).status == 0)
            let enrol = try cli.run([
                "enrol", "demo.sqlite", "--key", "demo.sqlite.authority.key", "--public-key", key + ".pub", "--role", role, "--scope",
                "zhuji/dongsheng", "--actor", "test-" + role,
            ])
            try #require(enrol.status == 0, "\(enrol.stderr)")
        }
        let department = try cli.run(["resident", "demo.sqlite", "r00002", "--json", "--reveal-for", "dept.key"])
        #expect(department.status == 2 && department.stdout.isEmpty)
        #expect(department.stderr.contains("test-department (roles department) may not read residents' personal fields"))
        let stranger = try cli.run(["resident", "demo.sqlite", "r00002", "--json", "--reveal-for", "demo.sqlite.log.key"])
        #expect(stranger.status == 2 && stranger.stderr.contains("not enrolled"))
        let revealed = try cli.run(["resident", "demo.sqlite", "r00002", "--json", "--reveal-for", "worker.key"])
        let personal = try #require(
            (try JSONSerialization.jsonObject(with: Data(revealed.stdout.utf8)) as? [String: Any])?["personal"] as? [String: String])
        #expect(personal["phone"]?.hasPrefix("13") == true)
    }
}

@Suite("The supervisor's commands: audit, export, prove, verify-proof")
struct AuditCLITests {
    @Test("audit, export, prove and verify-proof work on a demo ledger and its export, and say clearly what is wrong")
    func supervisor() throws {
        let cli = try CLI()
        #expect(try cli.run(["demo", "--db", "d.sqlite", "--residents", "120", "--days", "20"]).status == 0)
        let audit = try cli.run(["audit", "d.sqlite", "--format", "json"])
        #expect(audit.status == 0, "\(audit.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])
        #expect(report["clean"] as? Bool == true)
        #expect(report["snapshotsChecked"] as? Int == 8)  // every governance projection
        let key = try #require(report["logVerifierKey"] as? String)

        // The export alone audits to the same root; a changed byte fails it.
        #expect(try cli.run(["export", "d.sqlite", "--out", "d.jsonl"]).status == 0)
        let fromExport = try cli.run(["audit", "d.jsonl", "--format", "json"])
        #expect(fromExport.status == 0)
        let exported = try #require(try JSONSerialization.jsonObject(with: Data(fromExport.stdout.utf8)) as? [String: Any])
        #expect(exported["root"] as? String == report["root"] as? String)
        var lines = try String(contentsOfFile: cli.path("d.jsonl"), encoding: .utf8).components(separatedBy: "\n")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(lines[40].utf8)) as? [String: Any])
        let encoded = try #require(object["bytes"] as? String)
        var bytes = try #require([UInt8](base64String: encoded))
        bytes[bytes.count - 3] ^= 0x40
        object["bytes"] = bytes.base64String
        lines[40] = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        try lines.joined(separator: "\n").write(toFile: cli.path("t.jsonl"), atomically: true, encoding: .utf8)
        let tampered = try cli.run(["audit", "t.jsonl"])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("position \(object["position"] as? Int ?? -1): critical [invalid-signature]"))
        let html = try cli.run(["audit", "t.jsonl", "--format", "html", "--out", "t.html"])
        #expect(html.status == 1)
        let page = try String(contentsOfFile: cli.path("t.html"), encoding: .utf8)
        #expect(page.contains("invalid-signature") && !page.contains("<script"))

        // An inclusion proof verifies offline against the checkpoint, and not against another log's key.
        let checkpoint = try cli.run(["checkpoint", "d.sqlite"])
        try checkpoint.stdout.write(toFile: cli.path("cp.txt"), atomically: true, encoding: .utf8)
        #expect(try cli.run(["prove", "inclusion", "d.sqlite", "--index", "30", "--out", "p.proof"]).status == 0)
        let verified = try cli.run(["verify-proof", "p.proof", "--checkpoint", "cp.txt", "--log-key", key])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("entry 30 is in the log"))
        let proof = try String(contentsOfFile: cli.path("p.proof"), encoding: .utf8)
        let lastHash = try #require(proof.components(separatedBy: "\n").lastIndex { $0.count == 44 && !$0.contains(" ") })
        var proofLines = proof.components(separatedBy: "\n")
        proofLines[lastHash] = SHA256.hash(Array("x".utf8)).base64
        try proofLines.joined(separator: "\n").write(toFile: cli.path("bad.proof"), atomically: true, encoding: .utf8)
        #expect(try cli.run(["verify-proof", "bad.proof", "--checkpoint", "cp.txt"]).status == 1)

        // Usage errors exit 2 and say what was wrong.
        let missing = try cli.run(["audit", "nothing.sqlite"])
        #expect(missing.status == 2 && missing.stderr.contains("nothing.sqlite"))
        let noCheckpoint = try cli.run(["prove", "consistency", "d.sqlite", "--old", "3"])
        #expect(noCheckpoint.status == 2 && noCheckpoint.stderr.contains("no stored checkpoint covers exactly 3 entries"))
        try "not a checkpoint".write(toFile: cli.path("junk.txt"), atomically: true, encoding: .utf8)
        #expect(try cli.run(["audit", "d.sqlite", "--trusted-checkpoint", "junk.txt"]).status == 2)
    }

    @Test("verify-proof --policy: a proof whose checkpoint a quorum of the policy's witnesses cosigned holds, with one witness it does not")
    func witnessPolicy() throws {
        let cli = try CLI()
        #expect(try cli.run(["demo", "--db", "d.sqlite", "--residents", "60", "--days", "5"]).status == 0)
        let audit = try cli.run(["audit", "d.sqlite", "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])
        let logKey = try #require(report["logVerifierKey"] as? String)
        #expect(try cli.run(["prove", "inclusion", "d.sqlite", "--index", "12", "--out", "p.proof"]).status == 0)
        let proof = try String(contentsOfFile: cli.path("p.proof"), encoding: .utf8)
        let checkpointText = try #require(proof.components(separatedBy: "\n\n").dropFirst().first).appending("\n")

        // Two witnesses, each cosigning what it was shown.
        let witnesses = try ["street", "bureau"].map { name in
            let key = try #require(SigningKey(seed: SHA256.hash(Array("cli witness \(name)".utf8)).bytes))
            return (key, CosignerKey(name: "\(name).witness.example/w1", publicKey: key.publicKey))
        }
        let lines = try witnesses.map { key, cosigner in try cosigner.cosign(checkpointText, at: 1_790_000_000, with: key).serialized }
        try """
            log \(logKey)
            witness street \(witnesses[0].1.verifierKey)
            witness bureau \(witnesses[1].1.verifierKey)
            group both all street bureau
            quorum both

            """.write(toFile: cli.path("policy.txt"), atomically: true, encoding: .utf8)
        try (proof + lines[0]).write(toFile: cli.path("one.proof"), atomically: true, encoding: .utf8)
        try (proof + lines.joined()).write(toFile: cli.path("two.proof"), atomically: true, encoding: .utf8)

        let both = try cli.run(["verify-proof", "two.proof", "--policy", "policy.txt"])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(both.stdout.contains("entry 12 is in the log") && both.stdout.contains("witnessed by: bureau, street"))
        let one = try cli.run(["verify-proof", "one.proof", "--policy", "policy.txt"])
        #expect(one.status == 1)
        #expect(one.stderr.contains("does not meet the witness quorum: cosigned by street"), "\(one.stderr)")
        let none = try cli.run(["verify-proof", "p.proof", "--policy", "policy.txt"])
        #expect(none.status == 1 && none.stderr.contains("cosigned by no witness"))
        // A malformed policy, or neither a checkpoint nor a policy: exit 2.
        try "quorum nobody\n".write(toFile: cli.path("bad.txt"), atomically: true, encoding: .utf8)
        let bad = try cli.run(["verify-proof", "two.proof", "--policy", "bad.txt"])
        #expect(bad.status == 2 && bad.stderr.contains("policy line 1"))
        #expect(try cli.run(["verify-proof", "two.proof"]).status == 2)

        // The cosigned checkpoint stored in the ledger (as witness collect
        // stores it): the audit, the report and verify-report name the
        // witnesses; a policy asking for a third is not met.
        let logNote = String(proof[try #require(proof.range(of: "\n\n")).upperBound...])
        let stored = try SignedCheckpoint(parsing: logNote)
        let size = stored.checkpoint.size
        let database = try DatabaseQueue(path: cli.path("d.sqlite"))
        try database.write { db in
            try db.execute(sql: "UPDATE checkpoint SET note = note || ? WHERE size = ?", arguments: [lines.joined(), Int64(size)])
        }
        let latest = try SignedCheckpoint(parsing: try cli.run(["checkpoint", "d.sqlite"]).stdout)
        try #require(latest.checkpoint.size == size, "the proof's checkpoint is the latest")
        try (logNote + lines.joined()).write(toFile: cli.path("cosigned.checkpoint"), atomically: true, encoding: .utf8)
        let audited = try cli.run(["audit", "d.sqlite", "--policy", "policy.txt", "--trusted-checkpoint", "cosigned.checkpoint"])
        #expect(audited.status == 0, "\(audited.stdout)")
        #expect(audited.stdout.contains("trusted checkpoint cosigned by: bureau, street"), "\(audited.stdout)")
        #expect(audited.stdout.contains("latest checkpoint (\(size)) cosigned by: bureau, street; meets"), "\(audited.stdout)")
        try logNote.write(toFile: cli.path("bare.checkpoint"), atomically: true, encoding: .utf8)
        let untrusted = try cli.run(["audit", "d.sqlite", "--policy", "policy.txt", "--trusted-checkpoint", "bare.checkpoint"])
        #expect(untrusted.status == 1 && untrusted.stdout.contains("unwitnessed"), "\(untrusted.stdout)")

        let signedReport = try cli.run(["report", "d.sqlite", "--community", "zhuji/dongsheng", "--format", "json", "--policy", "policy.txt", "--out", "r.json"])
        #expect(signedReport.status == 0, "\(signedReport.stderr)")
        let markdown = try cli.run(["report", "d.sqlite", "--community", "zhuji/dongsheng", "--format", "md", "--policy", "policy.txt"])
        #expect(markdown.stdout.contains("见证 Witnessed by: bureau, street"))
        let verified = try cli.run(["verify-report", "r.json", "--policy", "policy.txt"])
        #expect(verified.status == 0 && verified.stdout.contains("witnessed by: bureau, street"), "\(verified.stdout)\(verified.stderr)")
        let third = try SigningKey(seed: SHA256.hash(Array("cli witness library".utf8)).bytes)
        try """
            log \(logKey)
            witness street \(witnesses[0].1.verifierKey)
            witness bureau \(witnesses[1].1.verifierKey)
            witness library \(CosignerKey(name: "library.witness.example/w1", publicKey: try #require(third).publicKey).verifierKey)
            group all3 all street bureau library
            quorum all3

            """.write(toFile: cli.path("three.txt"), atomically: true, encoding: .utf8)
        let short = try cli.run(["verify-report", "r.json", "--policy", "three.txt"])
        #expect(short.status == 1 && short.stderr.contains("does not meet the witness quorum"), "\(short.stderr)")
    }

    @Test(
        "report writes the transparency report in Markdown and as signed JSON; verify-report checks it; bad input exits 2 and writes nothing"
    )
    func transparencyReport() throws {
        let cli = try CLI()
        #expect(try cli.run(["demo", "--db", "d.sqlite", "--residents", "120", "--days", "60"]).status == 0)
        let markdown = try cli.run(["report", "d.sqlite", "--community", "zhuji/dongsheng", "--format", "md"])
        #expect(markdown.status == 0, "\(markdown.stderr)")
        #expect(markdown.stdout.contains("三上三下三公开 Decisions in public"))
        #expect(markdown.stdout.contains("低洼楼栋水位传感器"))
        #expect(markdown.stdout.contains("上报 reported"))
        let html = try cli.run(["report", "d.sqlite", "--community", "zhuji/dongsheng", "--out", "r.html"])
        #expect(html.status == 0, "\(html.stderr)")
        let page = try String(contentsOfFile: cli.path("r.html"), encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<svg") && !page.contains("<script") && !page.contains("http"))
        let json = try cli.run(["report", "d.sqlite", "--community", "zhuji/dongsheng", "--format", "json", "--out", "r.json"])
        #expect(json.status == 0, "\(json.stderr)")
        let checkpoint = try cli.run(["checkpoint", "d.sqlite"])
        try checkpoint.stdout.write(toFile: cli.path("cp.txt"), atomically: true, encoding: .utf8)
        let audit = try cli.run(["audit", "d.sqlite", "--format", "json"])
        let key = try #require(
            (try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])?["logVerifierKey"] as? String)
        let verified = try cli.run(["verify-report", "r.json", "--checkpoint", "cp.txt", "--log-key", key])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.hasPrefix("verified:"))

        // One changed figure: the signature no longer holds.
        let text = try String(contentsOfFile: cli.path("r.json"), encoding: .utf8)
        try text.replacingOccurrences(of: "\"conserved\":true", with: "\"conserved\":false").write(
            toFile: cli.path("changed.json"), atomically: true, encoding: .utf8)
        let changed = try cli.run(["verify-report", "changed.json", "--checkpoint", "cp.txt", "--log-key", key])
        #expect(changed.status == 1)
        #expect(changed.stderr.contains("NOT VERIFIED"))

        // Bad input: a wrong community, an impossible date, a missing key; nothing is written.
        let other = try cli.run(["report", "d.sqlite", "--community", "zhuji/other", "--out", "o.md"])
        #expect(other.status == 2 && other.stderr.contains("it is zhuji/dongsheng"))
        let date = try cli.run(["report", "d.sqlite", "--community", "zhuji/dongsheng", "--from", "2025-02-30", "--out", "o.md"])
        #expect(date.status == 2 && date.stderr.contains("--from \"2025-02-30\""))
        let noKey = try cli.run([
            "report", "d.sqlite", "--community", "zhuji/dongsheng", "--format", "json", "--log-key-file", "missing.key", "--out", "o.md",
        ])
        #expect(noKey.status == 2)
        #expect(!FileManager.default.fileExists(atPath: cli.path("o.md")))
        // Names only for a reader whose role keeps the archives: the log key's holder is no such reader.
        let names = try cli.run([
            "report", "d.sqlite", "--community", "zhuji/dongsheng", "--names-for", "d.sqlite.log.key", "--out", "o.md",
        ])
        #expect(names.status == 2, "\(names.stderr)")
        #expect(names.stderr.contains("not enrolled") || names.stderr.contains("may not read"))
        #expect(!FileManager.default.fileExists(atPath: cli.path("o.md")))

        // The cases as Open311 service requests.
        let open311 = try cli.run(["export", "d.sqlite", "--format", "open311", "--out", "requests.json"])
        #expect(open311.status == 0, "\(open311.stderr)")
        let requests = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cli.path("requests.json")))) as? [[String: Any]])
        #expect(!requests.isEmpty)
        #expect(requests.allSatisfy { ["open", "closed"].contains($0["status"] as? String) && $0["service_request_id"] is String })
    }
}

@Suite("The end-to-end benchmark command")
struct BenchCLITests {
    @Test("bench runs the civic mix, reports every phase's rate, writes the workload for the peer, and refuses bad sizes")
    func bench() throws {
        let cli = try CLI()
        let run = try cli.run(["bench", "--events", "400", "--appenders", "4", "--db", "b.sqlite", "--workload-out", "w.jsonl", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        for phase in ["append", "rebuild", "audit"] {
            let figures = try #require(result[phase] as? [String: Any], "\(phase)")
            #expect((figures["perSecond"] as? Double ?? 0) > 0, "\(phase)")
        }
        #expect((result["append"] as? [String: Any])?["count"] as? Int == 400)
        #expect((result["verifyPerSecond"] as? Double ?? 0) > 0 && (result["peakMB"] as? Int ?? 0) > 0)
        // The kept ledger audits clean on its own; the workload has one command per line.
        #expect(try cli.run(["verify", "b.sqlite"]).status == 0)
        let lines = try String(contentsOfFile: cli.path("w.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 400)
        // Bad sizes and an existing file: exit 2, nothing written.
        #expect(try cli.run(["bench", "--events", "0"]).status == 2)
        #expect(try cli.run(["bench", "--events", "10", "--appenders", "0"]).status == 2)
        let again = try cli.run(["bench", "--events", "10", "--db", "b.sqlite"])
        #expect(again.status == 2 && again.stderr.contains("already exists"))
    }
}

/// Governance events written as JSON, by field, through the tool.
@Suite("Governance events as JSON")
struct GovernanceJSONTests {
    @Test("init --governance records the domain; append reads a case report's JSON by field, log shows the same JSON, a wrong member is named and nothing is written")
    func appendJSON() throws {
        let cli = try CLI()
        try #require(cli.run(["init", "g.sqlite", "--origin", "test.example/gov", "--governance", "zhuji/dongsheng"]).status == 0)
        try #require(cli.run(["keygen", "--out", "worker.key"]).status == 0)
        try #require(
            cli.run([
                "enrol", "g.sqlite", "--key", "g.sqlite.authority.key", "--public-key", "worker.key.pub", "--role", "grid-worker",
                "--scope", "zhuji/dongsheng", "--actor", "worker",
            ]).status == 0)
        let payload = #"{"urgency":"general","category":"drainage","source":"patrol","summary":"blocked drain"}"#
        let event = #"{"kind":"case.report","stream":"case/1","place":"zhuji/dongsheng/grid-1","expectedVersion":0,"payload":\#(payload)}"#
        let appended = try cli.run(["append", "g.sqlite", "--key", "worker.key", "--json"], stdin: event)
        #expect(appended.status == 0, "\(appended.stderr)")
        let log = try cli.run(["log", "g.sqlite", "--json"])
        let last = try #require(log.stdout.split(separator: "\n").last)
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let shown = try JSONSerialization.data(withJSONObject: try #require(entry["payload"]), options: [.sortedKeys])
        let given = try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: Data(payload.utf8)), options: [.sortedKeys])
        #expect(shown == given, "log shows the JSON append read")

        let wrong = #"{"kind":"case.report","stream":"case/2","place":"zhuji/dongsheng/grid-1","payload":{"urgency":"soon","category":"c","source":"patrol","summary":"s"}}"#
        let refused = try cli.run(["append", "g.sqlite", "--key", "worker.key"], stdin: wrong)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("payload.urgency (line 1, column"), "\(refused.stderr)")
        #expect(try cli.run(["log", "g.sqlite", "--json"]).stdout.split(separator: "\n").count == log.stdout.split(separator: "\n").count, "nothing written")
        // The domain's rules hold: a report must not expect the stream to exist.
        let rule = #"{"kind":"case.report","stream":"case/1","place":"zhuji/dongsheng/grid-1","payload":\#(payload)}"#
        let broken = try cli.run(["append", "g.sqlite", "--key", "worker.key"], stdin: rule)
        #expect(broken.status == 1, "\(broken.stderr)")
    }
}
