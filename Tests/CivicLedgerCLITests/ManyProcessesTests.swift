import CivicLedger
import Foundation
import Synchronization
import Testing

/// Separate `append` processes on one ledger file, as operators run them:
/// none fails because another process won a race.
@Suite("Many append processes on one ledger")
struct ManyProcessesTests {
    @Test("16 processes × 50 appends: 0 failures, gapless, every acknowledged event present once, verify clean")
    func sixteenProcesses() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        let writers = 16, appends = 50
        let results = Mutex<[(id: String, result: CLI.Result)]>([])
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            for index in 0..<appends {
                let id = "w\(writer)-\(index)"
                let event =
                    #"{"kind":"case.report","stream":"case/\#(id)","place":"zhuji/dongsheng","idempotencyKey":"\#(id)","payload":{"category":"x"}}"#
                let result: CLI.Result
                do {
                    result = try cli.run(["append", "l.sqlite", "--key", key, "--json"], stdin: event)
                } catch {
                    result = CLI.Result(status: -1, stdout: "", stderr: "\(error)")
                }
                results.withLock { $0.append((id, result)) }
            }
        }
        let all = results.withLock { $0 }
        let failures = all.filter { $0.result.status != 0 }
        #expect(failures.isEmpty, "\(failures.count) failed; first: \(failures.first.map { $0.result.stderr } ?? "")")
        #expect(all.count == writers * appends)
        var positions: [UInt64: String] = [:]
        for (id, result) in all where result.status == 0 {
            let receipt = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let position = try #require((receipt["position"] as? NSNumber)?.uint64Value)
            #expect(positions[position] == nil, "\(id) and \(positions[position] ?? "") share position \(position)")
            positions[position] = id
            #expect(receipt["duplicate"] as? Bool == false)
        }
        let log = try cli.run(["log", "l.sqlite", "--limit", "100000", "--json"])
        #expect(log.status == 0)
        let lines = log.stdout.split(separator: "\n")
        #expect(lines.count == 2 + writers * appends, "genesis, the enrolment and every append, once")
        for (offset, line) in lines.enumerated() {
            let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect((entry["position"] as? NSNumber)?.intValue == offset, "gapless")
            if let id = positions[UInt64(offset)] { #expect(entry["stream"] as? String == "case/\(id)") }
        }
        let verify = try cli.run(["verify", "l.sqlite"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }
}
