import ArgumentParser
import CivicLedger
import Foundation

struct EnrolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrol",
        abstract: "Enrol an actor's key with a role in a place, signed by the authority.")

    @OptionGroup var ledger: LedgerPath

    @Option(name: .customLong("key"), help: "The authority's secret key file.")
    var authorityKey: String

    @Option(help: "The actor's public key: base64, or a .pub or key file.")
    var publicKey: String

    @Option(help: "The role granted, e.g. grid-worker.")
    var role: String

    @Option(help: "The place the role covers, e.g. zhuji/dongsheng/grid-03, or * for everywhere.")
    var scope: String

    @Option(help: "The actor's id; default: actor-<first 8 hex digits of the key>.")
    var actor: String?

    func run() async throws {
        let authority = try KeyFile.read(authorityKey)
        let key = try KeyFile.publicKey(publicKey)
        let place: Place
        do {
            place = try Place(validating: scope)
        } catch {
            throw CLIError.usage("--scope: \(error.message)")
        }
        let actorID = actor ?? "actor-\(key.fingerprint)"
        let opened = try await ledger.files.openLedger()
        let content = SystemEvent.content(
            origin: opened.origin, kind: SystemEvent.Kind.enrol,
            payload: SystemEvent.Enrol(actor: actorID, key: key, role: role, scope: place),
            actorKey: authority.publicKey, clientTime: Timestamp(Date()), idempotencyKey: UUID().uuidString)
        let receipt = try await opened.append(try SignedEvent(signing: content, with: authority))
        try await opened.close()
        print("enrolled \(actorID) as \(role) in \(place) at position \(receipt.position)")
    }
}
