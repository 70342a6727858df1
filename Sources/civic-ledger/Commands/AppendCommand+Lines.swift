import ArgumentParser
import CivicGovernance
import CivicLedger
import Foundation
import Synchronization

extension AppendCommand {
    /// `--lines`: one open ledger, events from standard input as they come,
    /// up to `concurrency` in flight, one JSON line out per line in.
    func appendLines() async throws {
        let signer = try KeyFile.read(key)
        let opened = try await ledger.files.openLedger()
        let forms = GovernancePayloadForms.forms(of: await opened.domain)
        let output = LineOutput()
        let input = AsyncStream<String> { continuation in
            Thread.detachNewThread {
                while let line = readLine(strippingNewline: true) { continuation.yield(line) }
                continuation.finish()
            }
        }
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var number = 0
            for await line in input {
                number += 1
                guard !line.allSatisfy(\.isWhitespace) else { continue }
                if inFlight == concurrency {
                    await group.next()
                    inFlight -= 1
                }
                inFlight += 1
                let lineNumber = number
                group.addTask {
                    await Self.appendLine(line, number: lineNumber, ledger: opened, signer: signer, forms: forms, output: output)
                }
            }
        }
        try await opened.close()
        if output.failures > 0 { throw ExitCode(1) }
    }

    /// Signs and appends one line's events; prints the outcome.
    static func appendLine(
        _ line: String, number: Int, ledger: Ledger, signer: SigningKey, forms: any PayloadJSONForm, output: LineOutput
    ) async {
        var key: String?
        do {
            let objects = try EventJSON.parse(Array(line.utf8), source: "line \(number)")
            let events = try objects.map { location, object in
                try SignedEvent(
                    signing: try EventJSON.content(object, origin: ledger.origin, actorKey: signer.publicKey, location: location, forms: forms),
                    with: signer)
            }
            key = events.first?.content.idempotencyKey
            let receipts = try await ledger.append(batch: events)
            for (event, receipt) in zip(events, receipts) {
                output.print([
                    "line": number, "idempotencyKey": event.content.idempotencyKey, "position": receipt.position,
                    "stream": event.content.stream, "streamVersion": receipt.streamVersion, "duplicate": receipt.isDuplicate,
                ])
            }
        } catch {
            let failure = error as? LedgerError
            var object: [String: Any] = [
                "line": number, "error": failure?.code.rawValue ?? "error", "message": failure?.message ?? "\(error)",
            ]
            if let key { object["idempotencyKey"] = key }
            output.print(object, failed: true)
        }
    }

    /// Prints whole lines from many tasks, each at once.
    final class LineOutput: Sendable {
        private let state = Mutex(0)

        var failures: Int { state.withLock { $0 } }

        func print(_ object: [String: Any], failed: Bool = false) {
            let text = jsonString(object)
            // One write(2) per line, never stdio's buffers: fflush would
            // wait on standard input's lock, which the reading thread holds.
            state.withLock { failures in
                if failed { failures += 1 }
                writeOut(FileHandle.standardOutput, text + "\n")
            }
        }
    }
}
