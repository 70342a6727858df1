import ArgumentParser
import CivicGovernance
import CivicLedger
import Foundation

struct AppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Sign and append a JSON event (or an array of them, atomically).",
        discussion: """
            The event is a JSON object read from --file or standard input:

              {"kind": "case.report", "stream": "case/2026-0001",
               "place": "zhuji/dongsheng/grid-03", "expectedVersion": 0,
               "payload": {"urgency": "general", "category": "drainage",
                           "source": "patrol", "summary": "blocked drain"}}

            On a governance ledger, payload is the kind's JSON form (docs/format.md \
            §10.5, the same JSON log --json shows), turned into its binary payload \
            with an error naming any wrong member; kinds outside the domain, and \
            every kind on other ledgers, store the JSON itself with sorted keys. \
            payloadBase64 gives raw bytes instead. expectedVersion is a number or \
            "any" (the default); schemaVersion (default 1), idempotencyKey (default: \
            a new UUID) and clientTime (milliseconds since 1970; default now) are \
            optional.

            With --lines, standard input holds one event (or array) per line, appended as \
            each line arrives, up to --concurrency at once, on one open ledger: a client's \
            pipe, or a long-lived writer. Each line gets one JSON line back when it is \
            durable or refused, in the order they finish: {"line": N, "idempotencyKey": …, \
            "position": …} or {"line": N, "error": CODE, "message": …}; a line that fails \
            does not stop the others (while the database is away each says so, and the \
            ledger carries on when it is back). Exit code 1 when any line failed.
            """)

    @OptionGroup var ledger: LedgerPath

    @Option(help: "The signer's secret key file.")
    var key: String

    @Option(help: "The event JSON; default: standard input.")
    var file: String?

    @Flag(help: "Print the receipts as JSON.")
    var json = false

    @Flag(help: "Read one event per line from standard input until it ends, printing a JSON line for each.")
    var lines = false

    @Option(parsing: .unconditional, help: "With --lines: how many lines are appended at once (1 to 1024).", transform: NumericOption.whole(1...1024))
    var concurrency: Int = 16

    func validate() throws {
        if lines, file != nil { throw CLIError.usage("--lines reads standard input; leave out --file") }
    }

    func run() async throws {
        if lines { return try await appendLines() }
        let signer = try KeyFile.read(key)
        let objects = try Self.events(from: file)
        let opened = try await ledger.files.openLedger()
        let forms = GovernancePayloadForms.forms(of: await opened.domain)
        let events = try objects.map { location, object in
            let content = try EventJSON.content(object, origin: opened.origin, actorKey: signer.publicKey, location: location, forms: forms)
            return try SignedEvent(signing: content, with: signer)
        }
        let receipts = try await opened.append(batch: events)
        try await opened.close()
        for (event, receipt) in zip(events, receipts) {
            if json {
                print(
                    jsonString([
                        "position": receipt.position, "stream": event.content.stream, "streamVersion": receipt.streamVersion,
                        "recordedAt": receipt.recordedAt.description, "leafHash": receipt.leafHash.base64, "duplicate": receipt.isDuplicate,
                    ]))
            } else {
                let note = receipt.isDuplicate ? " (already in the log: nothing written)" : ""
                print(
                    "appended \(event.content.kind) at position \(receipt.position), \(event.content.stream) version \(receipt.streamVersion)\(note)"
                )
            }
        }
    }

    /// The event objects in `file`, or standard input.
    static func events(from file: String?) throws -> [(location: String, object: [String: StrictJSON.Node])] {
        let source = file ?? "standard input"
        let data: Data
        if let file {
            data = try readFile(file, what: "an event file")
        } else {
            do {
                data = try FileHandle.standardInput.readToEnd() ?? Data()
            } catch {
                throw CLIError.io("cannot read standard input: \(error.localizedDescription)")
            }
        }
        return try EventJSON.parse(data, source: source)
    }
}
