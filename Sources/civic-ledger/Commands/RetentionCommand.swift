import ArgumentParser
import CivicGovernance
import CivicLedger
import Foundation

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Erase the personal data whose retention period, in the community's rules, has passed.",
        discussion: """
            The rules' retentionDays say how long visit notes, health entries and a resident's \\
            archive are kept (docs/domain.md). For each kind past its period this destroys its \\
            key in the vault, then appends the signed erasure: archive.expire for notes, \\
            archive.erase for an archive. --dry-run lists what is due. The audit reports \\
            what is due and not erased (retention-exceeded).
            """)

    @OptionGroup var ledger: LedgerPath
    @Option(help: "The secret key file of whoever signs the erasures: a community secretary.")
    var key: String
    @Option(help: "The key vault: a file (default: PATH.vault) or a postgres:// URL.")
    var vault: String?
    @Flag(help: "List what is due; erase nothing.")
    var dryRun = false

    func run() async throws {
        let signer = try KeyFile.read(key)
        // Opened first, so that a wrong vault is said before anything else.
        let keys = try await ledger.files.openVault(vault)
        let opened = try await ledger.files.openLedger()
        let due = Retention.due(in: try await GovernanceLedger.state(of: opened), at: Timestamp(Date()))
        if due.isEmpty { say("nothing is past its retention period") }
        if dryRun || due.isEmpty {
            for action in due { say("due: \(action)") }
            try await opened.close()
            return
        }
        let commands = GovernanceCommands(origin: opened.origin)
        for (index, action) in due.enumerated() {
            let state = try await GovernanceLedger.state(of: opened)
            let event = try await Retention.carryOut(action, vault: keys, commands: commands, by: signer, state: state, at: Timestamp(Date()))
            let receipt = try await opened.append(event)
            say("\(index + 1)/\(due.count) \(event.content.kind) at position \(receipt.position): \(action)")
        }
        try await opened.close()
    }
}
