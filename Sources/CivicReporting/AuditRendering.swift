import CivicLedger
import Foundation

/// The supervisor's audit report (`AuditReport`) in its three forms: text
/// for a terminal, JSON for programs, and one self-contained HTML page (no
/// scripts, nothing fetched). `civic-ledger audit` and `verify` print these.
public enum AuditRendering {
    /// The report's facts, a line each: origin, counts, root, timing, the
    /// trusted checkpoint and witnesses when there are.
    public static func summaryLines(_ report: AuditReport) -> [String] {
        var lines = [
            "origin: \(report.origin ?? "unknown (genesis unreadable)")",
            "entries: \(report.entries); signatures verified: \(report.signaturesChecked); actors: \(report.actors)",
            "checkpoints checked: \(report.checkpointsChecked); projection snapshots compared: \(report.snapshotsChecked)",
            "root: \(report.root.base64)",
            String(
                format: "elapsed: %.2f s (%.0f entries/s)", report.elapsedSeconds,
                Double(report.entries) / max(report.elapsedSeconds, 0.001)),
        ]
        if let key = report.logVerifierKey { lines.append("log key: \(key)") }
        if let size = report.trustedSize {
            if let proof = report.consistency {
                lines.append(
                    "trusted checkpoint at size \(size): the log extends it; consistency proof to size \(proof.toSize) (\(proof.proof.count) hashes) verified"
                )
            } else if !report.findings.contains(where: { $0.code == .inconsistentHistory }) {
                lines.append("trusted checkpoint at size \(size): the log extends it (no later checkpoint to prove consistency to)")
            }
        }
        if let witnessing = report.witnessing {
            func names(_ list: [String]) -> String { list.isEmpty ? "no witness" : list.joined(separator: ", ") }
            if let trusted = witnessing.trusted { lines.append("trusted checkpoint cosigned by: \(names(trusted))") }
            if let size = witnessing.latestSize {
                lines.append(
                    "latest checkpoint (\(size)) cosigned by: \(names(witnessing.latest)); \(witnessing.latestMeetsQuorum ? "meets" : "does NOT meet") the policy's quorum"
                )
            }
        }
        return lines
    }

    /// One line: clean, passed with findings below the threshold, or
    /// failed, with the count of each severity.
    public static func verdict(_ report: AuditReport, failOn: AuditSeverity = .error) -> String {
        guard !report.isClean else { return "CLEAN: no findings" }
        let total = report.findings.count + report.omittedFindings
        let counts = AuditSeverity.allCases.reversed().map { "\(report.count($0)) \($0.rawValue)" }.joined(separator: ", ")
        let first = report.firstFinding?.position.map { "; first at position \($0)" } ?? ""
        let kept = report.omittedFindings > 0 ? ", \(report.omittedFindings) more not kept" : ""
        guard report.fails(at: failOn) else {
            return "PASSED with \(total) finding(s) below the failing severity, \(failOn.rawValue) (\(counts)\(kept))\(first)"
        }
        return "FAILED: \(total) finding(s) (\(counts)\(kept))\(first)"
    }

    /// The report as text: the facts, the verdict, then every finding.
    public static func text(_ report: AuditReport, source: String, failOn: AuditSeverity = .error) -> String {
        var lines = ["Audit of \(source)"] + summaryLines(report).map { "  " + $0 } + ["", verdict(report, failOn: failOn)]
        for finding in report.findings {
            lines.append("  \(finding)\(finding.stream.map { " [stream \($0)]" } ?? "")")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report as JSON (sorted keys), with `clean`.
    public static func json(_ report: AuditReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var object = try JSONSerialization.jsonObject(with: try encoder.encode(report)) as? [String: Any] ?? [:]
        object["clean"] = report.isClean
        return String(
            decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]),
            as: UTF8.self) + "\n"
    }

    /// One self-contained page: no scripts, nothing fetched.
    public static func html(_ report: AuditReport, source: String) -> String {
        let rows = report.findings.map { finding in
            "<tr class=\"\(finding.severity.rawValue)\"><td>\(finding.severity.rawValue)</td><td>\(finding.position.map(String.init) ?? "")</td><td><code>\(escape(finding.code.rawValue))</code></td><td>\(escape(finding.stream ?? ""))</td><td>\(escape(finding.actor ?? ""))</td><td>\(escape(finding.message))</td></tr>"
        }.joined(separator: "\n")
        return """
            <!DOCTYPE html>
            <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>审计报告 Audit report</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:1rem;max-width:60rem;color:#222}
            table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{border:1px solid #ccc;padding:.3rem;text-align:left;vertical-align:top}
            .verdict{font-weight:bold;padding:.5rem;border-radius:.3rem}.clean{background:#dfd}.dirty{background:#fdd}
            tr.critical td:first-child{background:#f88}tr.error td:first-child{background:#fc8}tr.warning td:first-child{background:#ff8}
            code{word-break:break-all}
            </style></head><body>
            <h1>审计报告 Audit report</h1>
            <p><code>\(escape(source))</code></p>
            <ul>\(summaryLines(report).map { "<li><code>\(escape($0))</code></li>" }.joined())</ul>
            <p class="verdict \(report.isClean ? "clean" : "dirty")">\(escape(verdict(report)))</p>
            \(report.findings.isEmpty ? "" : "<table><thead><tr><th>严重性 severity</th><th>位置 position</th><th>代码 code</th><th>流 stream</th><th>行为人 actor</th><th>说明 message</th></tr></thead><tbody>\n\(rows)\n</tbody></table>")
            </body></html>

            """
    }
}
