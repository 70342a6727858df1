import CivicLedger
import CivicWitnessHTTP
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing

/// A `civic-ledger witness serve` process, and the lines it printed.
final class WitnessProcess {
    final class Lines: Sendable {
        let value = Mutex<[String]>([])
        func append(_ line: String) { value.withLock { $0.append(line) } }
        func first(_ prefix: String) -> String? { value.withLock { $0.first { $0.hasPrefix(prefix) } } }
    }
    let process = Process()
    let lines = Lines()
    let port: Int

    init(cli: CLI, name: String, key: String, db: String, logKey: String, port: Int) throws {
        process.executableURL = try #require(CLI.binary)
        process.arguments = ["witness", "serve", "--key", key, "--name", name, "--db", db, "--log", logKey, "--listen", "127.0.0.1:\(port)"]
        process.currentDirectoryURL = cli.directory
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let lines = self.lines
        Thread {
            var buffer = Data()
            while case let chunk = output.fileHandleForReading.availableData, !chunk.isEmpty {
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
            }
        }.start()
        let deadline = Date().addingTimeInterval(30)
        var bound: Int?
        while bound == nil, Date() < deadline, process.isRunning {
            bound = lines.first("listening on ").flatMap { Int($0.split(separator: ":").last ?? "") }
            if bound == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        self.port = try #require(bound, "the witness \(name) did not start listening")
    }

    var verifierKey: String? { lines.first("verifier key ").map { String($0.dropFirst(13)) } }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

@Suite("Witnesses as separate processes")
struct WitnessProcessTests {
    static let someLogKey = NoteKey(name: "log.example/a", publicKey: SigningKey.generate().publicKey).verifierKey

    /// Waits until `condition` holds, up to `seconds` (generous: the suite
    /// runs beside others that start hundreds of processes on two cores).
    static func eventually(_ seconds: Double = 90, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }

    @Test(
        "two witness processes, a ledger appending and checkpointing against them, one witness killed and restarted mid-run: the verifier requiring both accepts only checkpoints both cosigned, and refuses a forged split view"
    )
    func twoWitnesses() async throws {
        let cli = try CLI()
        let worker = try cli.ledgerWithWorker()
        let audit = try cli.run(["audit", "l.sqlite", "--format", "json"])
        let logKey = try #require(
            (try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])?["logVerifierKey"] as? String)
        for name in ["street", "bureau"] { try #require(cli.run(["keygen", "--out", "\(name).key"]).status == 0) }
        func start(_ name: String, port: Int) throws -> WitnessProcess {
            try WitnessProcess(
                cli: cli, name: "\(name).witness.example/w1", key: "\(name).key", db: "\(name).db", logKey: logKey, port: port)
        }
        let street = try start("street", port: 0)
        defer { street.stop() }
        var bureau = try start("bureau", port: 0)
        defer { bureau.stop() }
        let streetKey = try #require(street.verifierKey), bureauKey = try #require(bureau.verifierKey)
        try """
            log \(logKey)
            witness street \(streetKey) http://127.0.0.1:\(street.port)
            witness bureau \(bureauKey) http://127.0.0.1:\(bureau.port)
            group both all street bureau
            quorum both

            """.write(toFile: cli.path("policy.txt"), atomically: true, encoding: .utf8)

        // The ledger's side: a collector following the ledger, in a process of its own.
        let collector = Process()
        collector.executableURL = try #require(CLI.binary)
        collector.arguments = ["witness", "collect", "l.sqlite", "--policy", "policy.txt", "--follow", "--interval", "0.05", "--retry", "0.2"]
        collector.currentDirectoryURL = cli.directory
        collector.standardOutput = FileHandle.nullDevice
        collector.standardError = FileHandle.nullDevice
        try collector.run()
        defer { if collector.isRunning { collector.terminate() } }

        var position = 0
        /// Appends `count` events; each append closes with a new checkpoint.
        func append(_ count: Int) throws {
            for _ in 0..<count {
                let event = #"{"kind":"case.report","stream":"case/w\#(position)","place":"zhuji/dongsheng","payload":{"category":"x"}}"#
                let result = try cli.run(["append", "l.sqlite", "--key", worker], stdin: event)
                try #require(result.status == 0, "\(result.stderr)")
                position += 1
            }
        }
        /// The verifier: a receipt for entry 0 against the latest checkpoint,
        /// checked offline with the policy that requires both witnesses.
        func verify() throws -> CLI.Result {
            try #require(cli.run(["prove", "inclusion", "l.sqlite", "--index", "0", "--out", "receipt.txt"]).status == 0)
            return try cli.run(["verify-proof", "receipt.txt", "--policy", "policy.txt"])
        }
        func latestSize() throws -> Int {
            let checkpoint = try cli.run(["checkpoint", "l.sqlite"]).stdout.split(separator: "\n")
            return checkpoint.count > 1 ? Int(checkpoint[1]) ?? -1 : -1
        }
        var accepted: [Int] = []

        // Both up: each checkpoint is cosigned by both.
        for _ in 0..<2 {
            try append(3)
            #expect(try Self.eventually { try verify().status == 0 }, "both witnesses cosign while both are up")
            accepted.append(try latestSize())
        }

        // The bureau's witness is killed: appends go on, the street still
        // cosigns, and the verifier refuses what only the street cosigned.
        bureau.kill()
        try append(4)
        #expect(try Self.eventually { try verify().stderr.contains("does not meet the witness quorum: cosigned by street") })
        let refused = try verify()
        #expect(refused.status == 1)

        // Restarted on its state: it catches up from the size it saved.
        bureau = try start("bureau", port: bureau.port)
        try append(2)
        #expect(try Self.eventually { try verify().status == 0 }, "after the restart both cosign again")
        accepted.append(try latestSize())
        let final = try verify()
        #expect(final.stdout.contains("witnessed by: bureau, street"), "\(final.stdout)")
        #expect(accepted == accepted.sorted() && accepted.last == position + 2)

        // A forged split view: the operator signs another root for the
        // latest size with the log key. Neither witness cosigns it, so no
        // receipt on it meets the policy.
        let receipt = try String(contentsOfFile: cli.path("receipt.txt"), encoding: .utf8)
        let blank = try #require(receipt.range(of: "\n\n"))
        let real = try SignedCheckpoint(parsing: String(receipt[blank.upperBound...]))
        let logSigner = try SecretKeyFile.decode(
            try Data(contentsOf: URL(fileURLWithPath: cli.path("l.sqlite.log.key"))), source: "l.sqlite.log.key")
        let forged = try SignedCheckpoint(
            signing: Checkpoint(origin: real.checkpoint.origin, size: real.checkpoint.size, root: SHA256.hash([1, 2, 3])), with: logSigner)
        for (witness, key) in [(street, streetKey), (bureau, bureauKey)] {
            // A generous timeout: other suites start hundreds of processes beside this one.
            let client = try HTTPWitnessClient(
                url: "http://127.0.0.1:\(witness.port)", cosigner: try CosignerKey(verifierKey: key), timeout: .seconds(60))
            let reply = try await client.addCheckpoint(
                WitnessReply.request(oldSize: real.checkpoint.size, proof: [], checkpoint: forged.serialized))
            guard case .refused(let status, _) = reply else {
                Issue.record("the witness at \(witness.port) answered \(reply) to a split view")
                continue
            }
            #expect(status == 422)
        }
        let forgedReceipt = String(receipt[..<blank.upperBound]) + forged.serialized
        try forgedReceipt.write(toFile: cli.path("forged.txt"), atomically: true, encoding: .utf8)
        let split = try cli.run(["verify-proof", "forged.txt", "--policy", "policy.txt"])
        #expect(split.status == 1, "\(split.stdout)\(split.stderr)")
        // Monitors read each witness's latest cosigned checkpoint of the log
        // (tlog-witness monitor retrieval): the real one, never the forgery.
        let originHash = SHA256.hash(Array(real.checkpoint.origin.utf8)).hex
        for (witness, key) in [(street, streetKey), (bureau, bureauKey)] {
            let url = try #require(URL(string: "http://127.0.0.1:\(witness.port)/\(originHash)/checkpoint"))
            let (data, response) = try await URLSession.shared.data(from: url)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            let served = try SignedCheckpoint(parsing: String(decoding: data, as: UTF8.self))
            #expect(served.checkpoint == real.checkpoint, "the witness serves \(served.checkpoint.size), not \(real.checkpoint.size)")
            #expect(try CosignerKey(verifierKey: key).cosignatureTime(on: served.note) != nil)
        }
        collector.terminate()
        collector.waitUntilExit()
        #expect(collector.terminationStatus == 0, "the collector stops cleanly on SIGTERM")
        street.stop()
        #expect(street.process.terminationStatus == 0, "the witness stops cleanly on SIGTERM")
    }

    @Test("witness commands: bad input exits 2 with what was wrong; a port in use is an error, not a hang")
    func usage() throws {
        let cli = try CLI()
        try #require(cli.run(["keygen", "--out", "w.key"]).status == 0)
        let name = "w.example/w1"
        let key = try cli.run(["witness", "key", "--key", "w.key", "--name", name])
        #expect(key.status == 0 && (try? CosignerKey(verifierKey: key.stdout.trimmingCharacters(in: .newlines)))?.name == name)
        let bad: [([String], String)] = [
            (["witness", "key", "--key", "w.key", "--name", "a b"], "a witness name is non-empty"),
            (["witness", "serve", "--key", "w.key", "--name", name, "--db", "w.db"], "--log"),
            (["witness", "serve", "--key", "w.key", "--name", name, "--db", "w.db", "--log", "nonsense"], "--log nonsense"),
            (["witness", "serve", "--key", "w.key", "--name", name, "--db", "w.db", "--log", Self.someLogKey, "--listen", "x"], "--listen x: expected HOST:PORT"),
            (["witness", "serve", "--key", "missing.key", "--name", name, "--db", "w.db", "--log", "a+1+b"], "missing.key"),
        ]
        for (arguments, message) in bad {
            let result = try cli.run(arguments)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.status) \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: cli.path("w.db")), "nothing is written on bad input")

        // A policy whose witnesses have no URL: nothing to send to.
        _ = try cli.ledgerWithWorker()
        try "witness w \(key.stdout.trimmingCharacters(in: .newlines))\nquorum w\n".write(
            toFile: cli.path("p.txt"), atomically: true, encoding: .utf8)
        let collect = try cli.run(["witness", "collect", "l.sqlite", "--policy", "p.txt"])
        #expect(collect.status == 2 && collect.stderr.contains("gives no witness a URL"), "\(collect.stderr)")

        // A port already taken.
        let audit = try cli.run(["audit", "l.sqlite", "--format", "json"])
        let logKey = try #require(
            (try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])?["logVerifierKey"] as? String)
        let first = try WitnessProcess(cli: cli, name: name, key: "w.key", db: "w.db", logKey: logKey, port: 0)
        defer { first.stop() }
        let second = try cli.run([
            "witness", "serve", "--key", "w.key", "--name", name, "--db", "w2.db", "--log", logKey, "--listen", "127.0.0.1:\(first.port)",
        ])
        #expect(second.status == 2 && second.stderr.contains("the witness stopped"), "\(second.stderr)")
        // A witness that is not there: collect says so and exits 1.
        try "log \(logKey)\nwitness w \(key.stdout.trimmingCharacters(in: .newlines)) http://127.0.0.1:1\nquorum w\n".write(
            toFile: cli.path("down.txt"), atomically: true, encoding: .utf8)
        let down = try cli.run(["witness", "collect", "l.sqlite", "--policy", "down.txt"])
        #expect(down.status == 1 && down.stderr.contains("w.example/w1:"), "\(down.status) \(down.stderr)")
    }
}
