import ArgumentParser
import CivicLedger
import CivicLedgerSQLite
import Foundation

struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a ledger, with its authority and log key files and its key vault beside it (mode 0600).")

    @OptionGroup var ledger: LedgerPath

    @Option(help: "The ledger's origin: the first line of its checkpoints, a schema-less URL.")
    var origin: String?

    @Option(help: "A JSON permission table {\"role\": [\"kind\", \"prefix.*\"]}; default: the starter table.")
    var permissions: String?

    func run() async throws {
        let files = ledger.files
        let origin = self.origin ?? "civic-ledger.example/" + URL(fileURLWithPath: files.path).deletingPathExtension().lastPathComponent
        let table = try permissions.map(Self.readPermissions) ?? StarterPermissions.table
        do {
            try EventContent.validateOrigin(origin)
        } catch {
            throw CLIError.usage("--origin: \(error.message)")
        }
        let created = try await LedgerSetup.create(files, origin: origin, permissions: table)
        print("created ledger \(files.path)")
        print("  origin:        \(origin)")
        print("  authority key: \(files.authorityKeyPath) (public \(created.authorityKey.base64))")
        print("  log key:       \(files.logKeyPath)")
        print("  key vault:     \(files.vaultPath) (personal-field keys and the pseudonym key; keep it private)")
        print("  verifier key:  \(NoteKey(name: origin, publicKey: created.logKey).verifierKey)")
    }

    static func readPermissions(_ path: String) throws -> PermissionTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError.io("cannot read permission table \(path)")
        }
        do {
            return try StrictJSON.decode(PermissionTable.self, from: data, what: path)
        } catch {
            throw CLIError.usage("\(error.message) (a permission table is a JSON object of role names to lists of kind patterns)")
        }
    }
}

struct KeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 key: FILE (secret, mode 0600) and FILE.pub (public).")

    @Option(help: "Where to write the secret key; the public key goes to FILE.pub.")
    var out: String

    func run() async throws {
        let key = SigningKey.generate()
        try await KeyFile.write(key, to: out)
        print(key.publicKey.base64)
    }
}
