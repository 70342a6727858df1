import ArgumentParser
import CivicGovernance
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

    @Option(help: "A JSON permission table {\"role\": [\"kind\", \"prefix.*\"]}; default: the starter table, or for --governance the roles of docs/roles.md.")
    var permissions: String?

    @Option(help: "Make a governance ledger for the community at this place (such as zhuji/dongsheng): the genesis records the governance domain and the default community rules follow it.")
    var governance: String?

    @Option(help: "The community's name in its rules and reports; default: the last part of --governance.")
    var communityName: String?

    func run() async throws {
        let files = ledger.files
        let name = files.isServer ? try ServerStore.ledgerName(files.path) : URL(fileURLWithPath: files.path).deletingPathExtension().lastPathComponent
        let origin = self.origin ?? "civic-ledger.example/" + name
        do {
            try EventContent.validateOrigin(origin)
        } catch {
            throw CLIError.usage("--origin: \(error.message)")
        }
        var rules: GovernanceRules?
        if let governance {
            let community: Place
            do {
                community = try Place(validating: governance)
            } catch {
                throw CLIError.usage("--governance: \(error.message)")
            }
            rules = GovernanceRules.defaults(community: community, name: communityName ?? String(governance.split(separator: "/").last ?? ""))
        } else if communityName != nil {
            throw CLIError.usage("--community-name goes with --governance")
        }
        // One default table, the domain's roles (docs/roles.md), for every ledger.
        let table = try permissions.map(Self.readPermissions) ?? GovernancePermissions.defaults
        let created = try await LedgerSetup.create(files, origin: origin, permissions: table, rules: rules)
        print("created ledger \(files.isServer ? "\(name) at \(ServerStore.shown(files.path))" : files.path)")
        print("  origin:        \(origin)")
        if let rules { print("  domain:        governance, with the default rules of \(rules.communityName) (\(rules.community))") }
        print("  authority key: \(files.authorityKeyPath) (public \(created.authorityKey.base64))")
        print("  log key:       \(files.logKeyPath)")
        print("  key vault:     \(files.vaultPath) (personal-field keys and the pseudonym key; keep it private)")
        print("  verifier key:  \(NoteKey(name: origin, publicKey: created.logKey).verifierKey)")
    }

    static func readPermissions(_ path: String) throws -> PermissionTable {
        let data = try readFile(path, what: "a permission table")
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
        try KeyFile.write(key, to: out)
        print(key.publicKey.base64)
    }
}
