import ArgumentParser
import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import CivicReporting
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a community's transparency report: decisions in public, the closed loop, points and care.",
        discussion: """
            Every figure is computed from the ledger up to its latest checkpoint, which the report \
            embeds. Residents appear under pseudonyms. The JSON form is a signed note by the \
            ledger's log key (PATH.log.key, or --log-key-file); check it with civic-ledger \
            verify-report. Dates are days (YYYY-MM-DD, from midnight China Standard Time) or ISO \
            8601 times; --to is exclusive.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case html, md, json }

    @Argument(help: "The ledger (a SQLite file or a postgres:// URL) or an export file.")
    var source: String
    @Option(help: "The community's place (its id), such as zhuji/dongsheng.")
    var community: String
    @Option(help: "The first day of the period (default: the first entry).")
    var from: String?
    @Option(help: "The day after the period (default: the checkpoint).")
    var to: String?
    @Option(help: "Report format: html (one self-contained page), md or json (signed).")
    var format: Format = .html
    @Option(help: "Write the report to this file instead of standard output.")
    var out: String?
    @Option(help: "The log key that signs the JSON form (default: SOURCE.log.key).")
    var logKeyFile: String?
    @Option(
        help:
            "Show residents' names instead of pseudonyms to the reader whose key this is (a community secretary, grid leader or grid worker); opens the names with SOURCE.vault. Not for publication."
    )
    var namesFor: String?
    @Option(help: "A witness policy (C2SP tlog-policy): the report names its witnesses that cosigned the checkpoint.")
    var policy: String?
    @Option(help: "The key vault: the pseudonym key and, with --names-for, the names' keys; a file (default: SOURCE.vault) or a postgres:// URL.")
    var vault: String?

    func run() async throws {
        let period = try (from.map { try parseTime($0, option: "--from") }, to.map { try parseTime($0, option: "--to") })
        if let start = period.0, let end = period.1, start >= end {
            throw CLIError.usage("--from \(from!) is not before --to \(to!)")
        }
        // The key is read first: nothing is computed for a report that cannot be signed.
        if logKeyFile != nil, format != .json {
            throw CLIError.usage("--log-key-file signs the json format; --format \(format.rawValue) is not signed")
        }
        let signer = format == .json ? try KeyFile.read(logKeyFile ?? LedgerFiles(path: source).logKeyPath) : nil
        let policy = try self.policy.map(readPolicy)
        let opened = try await LedgerSource.open(source)
        guard let stored = try await opened.store.latestCheckpoint() else {
            throw CLIError.io("\(source) has no checkpoint yet; make one with civic-ledger checkpoint")
        }
        let checkpoint: SignedCheckpoint
        do { checkpoint = try SignedCheckpoint(parsing: stored.note) } catch {
            throw CLIError.io("the latest checkpoint does not parse: \(error.message)")
        }
        guard let genesis = try await opened.store.entries(from: 0, limit: 1).first.flatMap({ try? LedgerEntry(bytes: $0.bytes) }) else {
            throw CLIError.io("\(source) holds no readable genesis")
        }
        let keys = try await LedgerFiles(path: source).openVault(vault)
        let pseudonymKey = try await PseudonymKey.from(keys)
        var builder = TransparencyReportBuilder(
            origin: genesis.content.origin, pseudonymKey: pseudonymKey, from: period.0, to: period.1)
        let progress = ProgressReporter("reporting")
        for try await page in EntryPages(store: opened.store, to: checkpoint.checkpoint.size) {
            for entry in page { try builder.fold(entry) }
            progress.update(done: builder.state.nextPosition, total: checkpoint.checkpoint.size)
        }
        guard let rules = builder.state.rules else {
            throw CLIError.usage("\(source) is not a governance ledger: it has no community rules")
        }
        guard rules.community.path == community else {
            throw CLIError.usage("--community \(community) is not this ledger's community; it is \(rules.community.path)")
        }
        if let namesFor {
            let reader = try KeyFile.read(namesFor)
            // The library checks the reader before it opens a name.
            do { try await builder.revealNames(to: reader.publicKey, vault: keys) } catch let error as LedgerError {
                throw CLIError.usage(error.message)
            }
        }
        let report = try builder.report(checkpoint: checkpoint, policy: policy)
        switch format {
        case .html: try emit(report.html(), to: out)
        case .md: try emit(report.markdown(), to: out)
        case .json:
            guard let signer else { throw CLIError.usage("the json format is signed by the log key, and none was read") }
            try emit(try report.signed(with: signer).serialized, to: out)
        }
        if let out { printError("wrote the \(format.rawValue) report to \(out), computed up to checkpoint \(checkpoint.checkpoint.size)") }
    }
}

struct VerifyReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-report",
        abstract: "Check a signed JSON transparency report against a checkpoint, offline.",
        discussion: """
            The report must be signed by the log key, and computed up to exactly the given \
            checkpoint (same origin, size and root), itself signed by the log key. With --policy \
            (C2SP tlog-policy) that checkpoint (--checkpoint, or else the one the report embeds) \
            must also be cosigned by a quorum of the policy's witnesses, and --log-key may be left \
            out when the policy lists the log. Exit codes: 0 verified; 1 it does not verify; 2 \
            usage or I/O errors.
            """)

    @Argument(help: "The signed JSON report (civic-ledger report --format json).")
    var file: String
    @Option(help: "The signed checkpoint the report must be tied to (default with --policy: the one it embeds).")
    var checkpoint: String?
    @Option(help: "The log's verifier key (name+id+key), as civic-ledger audit prints it.")
    var logKey: String?
    @Option(help: "A witness policy (C2SP tlog-policy) the checkpoint must meet.")
    var policy: String?

    func run() async throws {
        let policy = try self.policy.map(readPolicy)
        let text = try readText(file, what: "a report")
        guard checkpoint != nil || policy != nil else { throw CLIError.usage("give --checkpoint, --policy, or both") }
        let trusted: SignedCheckpoint
        if let checkpoint {
            trusted = try trustedCheckpoint(checkpoint, logKey: nil).0
        } else {
            do { trusted = try TransparencyReport.embeddedCheckpoint(signed: text) } catch let error as LedgerError {
                throw CLIError.usage("\(file): \(error.message)")
            }
        }
        let origin = trusted.checkpoint.origin
        let key: PublicKey
        if let logKey {
            key = try publicKey(ofLogKey: logKey, for: trusted)
        } else if let listed = policy?.logs.first(where: { $0.name == origin }) {
            key = listed.publicKey
        } else {
            throw CLIError.usage("give --log-key (the policy lists no log \(origin))")
        }
        let report: TransparencyReport
        var witnesses: [String] = []
        do {
            report = try TransparencyReport.verify(signed: text, checkpoint: trusted, logKey: key)
            if let policy { witnesses = try policy.check(trusted, logKey: key) }
        } catch let error as LedgerError {
            printError("NOT VERIFIED: \(error.message)")
            throw ExitCode(1)
        }
        print(
            "verified: the transparency report of \(report.communityName) (\(report.community)) is signed by the log key and computed up to checkpoint \(report.checkpoint.size), root \(report.checkpoint.root)"
        )
        if policy != nil { print("  witnessed by: \(witnesses.isEmpty ? "no witness (the policy needs none)" : witnesses.joined(separator: ", "))") }
    }
}

/// A day (`YYYY-MM-DD`, from midnight China Standard Time) or an ISO 8601
/// time, for an option named `option`.
func parseTime(_ text: String, option: String) throws -> Timestamp {
    let day = ISO8601DateFormatter()
    day.formatOptions = [.withFullDate]
    day.timeZone = TimeZone(secondsFromGMT: 8 * 3600)
    let time = ISO8601DateFormatter()
    // The formatter is lenient (it reads 2025-02-30 as 2 March): a day
    // must read back as written.
    guard let date = text.count == 10 ? day.date(from: text).flatMap({ day.string(from: $0) == text ? $0 : nil }) : time.date(from: text)
    else {
        throw CLIError.usage("\(option) \"\(text)\" is not a date such as 2025-01-01 or a time such as 2025-06-30T12:00:00Z")
    }
    return Timestamp(millisecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1000).rounded()))
}
