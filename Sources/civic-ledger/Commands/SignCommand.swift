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

struct SignRequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-request",
        abstract: "Sign an HTTP read for a service with your key (RFC 9421, Ed25519): print its Signature-Input and Signature headers.",
        discussion: """
            The service sees who reads by the key the ledger enrols for you, with no password. \
            The signature covers the method, the host, the path and the query, lives --lifetime \
            seconds and carries a fresh nonce, so it cannot be replayed or moved to another \
            request. Example: curl $(civic-ledger sign-request --key me.key http://host:8080/feed | \
            sed 's/^/-H /') http://host:8080/feed (format.md §14).
            """)

    @Option(help: "The reader's secret key file.")
    var key: String
    @Argument(help: "The URL to read, such as http://127.0.0.1:8080/feed?from=0.")
    var url: String
    @Option(help: "The HTTP method.")
    var method = "GET"
    @Option(parsing: .unconditional, help: "Seconds the signature is valid (1 to 300).", transform: NumericOption.whole(Int64(1)...300))
    var lifetime: Int64 = 60

    func run() async throws {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, ["http", "https"].contains(scheme), let host = parts.host,
            !host.isEmpty
        else { throw CLIError.usage("\(url) is not an http:// or https:// URL with a host") }
        guard method.utf8.allSatisfy({ (0x41...0x5A).contains($0) }), !method.isEmpty else {
            throw CLIError.usage("--method \(method): an HTTP method in capitals, such as GET")
        }
        let signer = try KeyFile.read(key)
        let now = Int64(Date().timeIntervalSince1970)
        let nonce = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let authority = host + (parts.port.map { ":\($0)" } ?? "")
        let request = RequestSignature(
            method: method, authority: authority, path: parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath,
            query: parts.percentEncodedQuery ?? "", created: now, expires: now + lifetime, nonce: nonce, key: signer.publicKey)
        let headers = try request.headers(signedBy: signer)
        print("Signature-Input: \(headers.signatureInput)")
        print("Signature: \(headers.signature)")
    }
}
