import CivicLedger
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Settings shared by every command.
enum CLIContext {
    /// Ledger configuration with the tool's logger.
    static var ledgerConfiguration: LedgerConfiguration {
        var configuration = LedgerConfiguration()
        configuration.logger = Logger(label: "civic-ledger")
        return configuration
    }

    /// Logs warnings and worse to standard error, or the level named by
    /// `CIVIC_LEDGER_LOG_LEVEL` (trace, debug, info, notice, warning, error).
    static func bootstrapLogging() {
        let level = ProcessInfo.processInfo.environment["CIVIC_LEDGER_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Writes `text` to `handle` with the call that throws (the deprecated
/// `write(_:)` traps on an I/O error, such as a closed pipe); a failed write
/// to a terminal or pipe that is gone is dropped, as `print` drops it.
func writeOut(_ handle: FileHandle, _ text: String) {
    try? handle.write(contentsOf: Data(text.utf8))
}

/// Writes to standard error.
func printError(_ message: String) {
    writeOut(FileHandle.standardError, terminalSafe(message) + "\n")
}

/// Prints text that may quote input (free text from payloads, names),
/// safe for a terminal (``terminalSafe(_:)``).
func say(_ text: String, terminator: String = "\n") {
    print(terminalSafe(text), terminator: terminator)
}

/// `text` with every control character but line feed and tab written as
/// `\u{XX}`: input quoted in a message cannot move the cursor, clear the
/// screen or forge another line's colours.
func terminalSafe(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
    var out = ""
    for scalar in text.unicodeScalars {
        if isUnsafe(scalar) {
            out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

private func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x0A, 0x09: false
    case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
    default: false
    }
}

/// Progress on long work: a line redrawn in place on a terminal, plain
/// lines (one per tenth of the work) otherwise.
final class ProgressReporter: @unchecked Sendable {
    // @unchecked Sendable: mutable state is guarded by `lock`.
    private let lock = NSLock()
    private let label: String
    private let interactive = isatty(STDERR_FILENO) != 0
    private let start = Date()
    private var lastTenth = -1
    private var lastDraw = Date.distantPast

    init(_ label: String) { self.label = label }

    func update(done: UInt64, total: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        let elapsed = max(Date().timeIntervalSince(start), 0.001)
        let rate = Double(done) / elapsed
        if interactive {
            guard Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
            lastDraw = Date()
            let fraction = total == 0 ? 1 : Double(done) / Double(total)
            let width = 30
            let filled = Int(min(max(fraction, 0), 1) * Double(width))
            let eta = rate > 0 && total > done ? String(format: "%.0fs", Double(total - done) / rate) : "0s"
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            writeOut(FileHandle.standardError, String(format: "\r%@ [%@] %llu/%llu  %.0f/s  ETA %@ ", label, bar, done, total, rate, eta))
            if done == total { writeOut(FileHandle.standardError, "\n") }
        } else {
            let tenth = total == 0 ? 10 : Int(done * 10 / total)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            printError(String(format: "%@: %llu/%llu (%.0f/s)", label, done, total, rate))
        }
    }
}

/// JSON output with sorted keys.
func jsonString(_ value: Any) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}
