import CivicLedger
import Foundation
import Testing

/// The command-line tool on PostgreSQL ledgers, against the server in
/// `CIVIC_LEDGER_TEST_POSTGRES_URL` (`make test` starts a throwaway
/// cluster): each test uses ledgers of its own in that database.
@Suite(
    "civic-ledger on PostgreSQL",
    .enabled(if: ProcessInfo.processInfo.environment["CIVIC_LEDGER_TEST_POSTGRES_URL"] != nil, "set CIVIC_LEDGER_TEST_POSTGRES_URL"))
struct PostgresCLITests {
    /// A URL naming a new ledger in the test database.
    static func ledgerURL() throws -> String {
        let base = try #require(ProcessInfo.processInfo.environment["CIVIC_LEDGER_TEST_POSTGRES_URL"])
        let name = "cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return base + (base.contains("?") ? "&" : "?") + "ledger=" + name
    }

    @Test("init, enrol, append, retry, log, verify, audit, prove, cases and report take a postgres:// URL; key files beside --keys")
    func everyCommand() throws {
        let cli = try CLI()
        let url = try Self.ledgerURL()
        let created = try cli.run(["init", url, "--governance", "zhuji/dongsheng", "--keys", "city"])
        try #require(created.status == 0, "\(created.stderr)")
        #expect(try cli.mode("city.authority.key") == 0o600)
        #expect(try cli.mode("city.log.key") == 0o600)
        // A second init of the same ledger is refused and writes nothing.
        let again = try cli.run(["init", url, "--keys", "other"])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already"), "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.path("other.authority.key")))
        try #require(cli.run(["keygen", "--out", "w.key"]).status == 0)
        let enrol = try cli.run([
            "enrol", url, "--keys", "city", "--key", "city.authority.key", "--public-key", "w.key.pub", "--role", "grid-worker",
            "--scope", "zhuji/dongsheng", "--actor", "worker",
        ])
        try #require(enrol.status == 0, "\(enrol.stderr)")
        let event = #"{"kind":"case.report","stream":"case/2026-0001","place":"zhuji/dongsheng","idempotencyKey":"r1","clientTime":1767225600000,"payload":{"urgency":"general","category":"drainage","source":"patrol","summary":"blocked drain"}}"#
        let first = try cli.run(["append", url, "--keys", "city", "--key", "w.key", "--json"], stdin: event)
        try #require(first.status == 0, "\(first.stderr)")
        // The same event from another process: its original receipt.
        let retry = try cli.run(["append", url, "--keys", "city", "--key", "w.key", "--json"], stdin: event)
        try #require(retry.status == 0, "\(retry.stderr)")
        #expect(retry.stdout.contains(#""duplicate":true"#))
        #expect(retry.stdout.contains(#""position":3"#))
        #expect(try cli.entryCount(url) == 4)
        let verify = try cli.run(["verify", url])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("clean: 4 entries"))
        let audit = try cli.run(["audit", url])
        #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
        let checkpoint = try cli.run(["checkpoint", url, "--keys", "city"])
        try #require(checkpoint.status == 0, "\(checkpoint.stderr)")
        try Data(checkpoint.stdout.utf8).write(to: URL(fileURLWithPath: cli.path("cp.txt")))
        let proof = try cli.run(["prove", "inclusion", url, "--index", "3", "--out", "proof.txt"])
        try #require(proof.status == 0, "\(proof.stderr)")
        let checked = try cli.run(["verify-proof", "proof.txt", "--checkpoint", "cp.txt"])
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
        let cases = try cli.run(["cases", url])
        #expect(cases.stdout.contains("case/2026-0001"), "\(cases.stderr)")
        let report = try cli.run(["report", url, "--community", "zhuji/dongsheng", "--vault", "city.vault", "--out", "r.html"])
        #expect(report.status == 0, "\(report.stderr)")
        // A ledger that does not exist is an error, and nothing is created.
        let missing = try cli.run(["verify", try Self.ledgerURL()])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("there is no ledger"), "\(missing.stderr)")
    }

    @Test("a password in the URL is never printed, by init, copy or an error")
    func passwordNotPrinted() throws {
        let cli = try CLI()
        // Trust authentication ignores it; the tool must still never show it.
        let url = try Self.ledgerURL().replacingOccurrences(of: "@", with: ":sekret-pw@", options: [], range: nil)
        try #require(url.contains(":sekret-pw@"))
        var outputs: [CLI.Result] = []
        outputs.append(try cli.run(["init", url, "--keys", "k"]))
        #expect(outputs[0].status == 0, "\(outputs[0].stderr)")
        #expect(outputs[0].stdout.contains(":***@"))
        outputs.append(try cli.run(["init", url, "--keys", "k2"]))  // refused: already there
        outputs.append(try cli.run(["copy", "nothing.sqlite", url]))
        outputs.append(try cli.run(["verify", url.replacingOccurrences(of: "ledger=", with: "ledger=x")]))
        outputs.append(try cli.run(["copy", url, url + "&sslmode=disable"]))
        for output in outputs {
            #expect(!output.stdout.contains("sekret-pw") && !output.stderr.contains("sekret-pw"), "\(output.stdout)\(output.stderr)")
        }
    }

    @Test("copy SQLite → PostgreSQL → SQLite: the same entries, checkpoints and snapshots byte for byte, the same root")
    func copyRoundTrip() throws {
        let cli = try CLI()
        try #require(cli.run(["demo", "--db", "d.sqlite", "--residents", "40", "--days", "8"]).status == 0)
        let url = try Self.ledgerURL()
        let there = try cli.run(["copy", "d.sqlite", url])
        try #require(there.status == 0, "\(there.stderr)")
        let back = try cli.run(["copy", url, "back.sqlite"])
        try #require(back.status == 0, "\(back.stderr)")
        let root = { (output: String) in output.components(separatedBy: "source's root ").last ?? "" }
        #expect(!root(there.stdout).isEmpty)
        #expect(root(there.stdout) == root(back.stdout))
        try #require(cli.run(["export", "d.sqlite", "--out", "a.jsonl"]).status == 0)
        try #require(cli.run(["export", "back.sqlite", "--out", "b.jsonl"]).status == 0)
        // Every line but the head, which each store derives from the entries.
        let lines = { (name: String) in
            try String(contentsOfFile: cli.path(name), encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix(#"{"size""#) }
        }
        let original = try lines("a.jsonl"), copied = try lines("b.jsonl")
        #expect(original.count > 100)
        #expect(original == copied)
        #expect(try cli.run(["verify", "back.sqlite"]).status == 0)
        // A destination that holds a ledger is refused.
        let refused = try cli.run(["copy", "d.sqlite", url])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("already holds a ledger"), "\(refused.stderr)")
    }
}
