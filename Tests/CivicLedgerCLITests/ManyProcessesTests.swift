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

/// The read side across processes: `log --follow` in one process prints
/// each entry another process appends, in order, once.
@Suite("Following a ledger from another process")
struct FollowTests {
    @Test("log --follow sees every append of other processes, in order, each once")
    func followerSeesAppends() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        let binary = try #require(CLI.binary)
        let follower = Process()
        follower.executableURL = binary
        follower.arguments = ["log", "l.sqlite", "--follow", "--json"]
        follower.currentDirectoryURL = cli.directory
        let output = Pipe()
        follower.standardOutput = output
        follower.standardError = FileHandle.nullDevice
        try follower.run()
        defer { if follower.isRunning { follower.terminate() } }
        let lines = Mutex<[String]>([])
        let reader = Thread {
            var buffer = Data()
            while case let chunk = output.fileHandleForReading.availableData, !chunk.isEmpty {
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    lines.withLock { $0.append(line) }
                }
            }
        }
        reader.start()
        var appended: [Int] = []
        for index in 0..<5 {
            let event = #"{"kind":"case.report","stream":"case/f\#(index)","place":"zhuji/dongsheng","payload":{"category":"x"}}"#
            let result = try cli.run(["append", "l.sqlite", "--key", key, "--json"], stdin: event)
            try #require(result.status == 0, "\(result.stderr)")
            let receipt = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            appended.append(try #require((receipt["position"] as? NSNumber)?.intValue))
        }
        let last = try #require(appended.last)
        let deadline = Date().addingTimeInterval(30)
        while lines.withLock({ $0.count }) <= last, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        follower.terminate()
        let seen = try lines.withLock { $0 }.map { line in
            try #require((try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["position"] as? NSNumber).intValue
        }
        #expect(Array(seen.prefix(last + 1)) == Array(0...last), "every position once, in order")
        #expect(appended.allSatisfy { seen.contains($0) })
    }
}
