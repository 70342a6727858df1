import CivicGovernance
import Foundation
import Testing

/// docs/roles.md states the default permission table; this keeps it true.
@Suite("docs/roles.md")
struct RolesDocumentTests {
    @Test("lists every role of GovernancePermissions.defaults with exactly the kinds it may sign")
    func matchesTheCode() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/roles.md"), encoding: .utf8)
        var documented: [String: [String]] = [:]
        for line in text.components(separatedBy: "\n") where line.hasPrefix("| `") {
            let cells = line.components(separatedBy: " | ")
            let role = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "| `"))
            let kinds = try #require(cells.last).trimmingCharacters(in: CharacterSet(charactersIn: " |"))
                .components(separatedBy: ", ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
            documented[role] = kinds
        }
        #expect(documented == GovernancePermissions.defaults.patterns)
    }
}
