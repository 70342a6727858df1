import ArgumentParser
import CivicGovernance
import CivicLedger
import Foundation

struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign JSON events for a ledger without appending them: print each as the wire form a service takes.",
        discussion: """
            Reads the same event JSON as append (from --file or standard input; one \\
            object or an array), with the ledger's origin and, on a governance ledger, \\
            payloads written by field; signs each with --key, as an actor's device \\
            would, and prints one {"body": BASE64, "signature": BASE64} line per \\
            event (docs/format.md §2.1). The ledger is only read.
            """)

    @OptionGroup var ledger: LedgerPath

    @Option(help: "The signer's secret key file.")
    var key: String

    @Option(help: "The event JSON; default: standard input.")
    var file: String?

    func run() async throws {
        let signer = try KeyFile.read(key)
        let objects = try AppendCommand.events(from: file)
        let store = try await ledger.files.openStore(readOnly: true)
        let genesis = try await Ledger.genesis(of: store)
        let forms = GovernancePayloadForms.forms(of: try await GovernanceLedger.domain(of: store))
        for (location, object) in objects {
            let content = try EventJSON.content(object, origin: genesis.origin, actorKey: signer.publicKey, location: location, forms: forms)
            let event = try SignedEvent(signing: content, with: signer)
            print(String(decoding: StrictJSON.canonical(SignedEventJSON.json(event)), as: UTF8.self))
        }
    }
}
