import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import Foundation

/// What an audit or a proof reads: a ledger on a PostgreSQL server, a
/// SQLite ledger, or an export of one (`civic-ledger export`), told apart
/// by the URL's scheme and the file's first bytes.
struct LedgerSource {
    let path: String
    let store: any EventStoreReader
    let isExport: Bool

    static func open(_ path: String) async throws -> LedgerSource {
        if ServerStore.isURL(path) {
            return LedgerSource(path: path, store: try await ServerStore.open(path, create: false), isExport: false)
        }
        let start: [UInt8]
        do {
            try LocalFile.requireRegular(path, what: "a ledger or an export")
            start = try LocalFile.prefix(path, count: 16)
        } catch {
            throw CLIError.io(error.message)
        }
        if start.starts(with: Array("SQLite format 3".utf8)) {
            return LedgerSource(path: path, store: try LedgerFiles(path: path).openFile(readOnly: true), isExport: false)
        }
        if start.first == UInt8(ascii: "{") {
            let data = try readFile(path, what: "an export")
            do {
                return LedgerSource(path: path, store: try ExportedLedgerStore(jsonLines: data), isExport: true)
            } catch let error as LedgerError {
                throw CLIError.io("\(path) is not a readable export: \(error.message)")
            }
        }
        throw CLIError.io("\(path) is neither a SQLite ledger nor a civic-ledger export")
    }

    /// The governance rules when the ledger is a governance ledger, and
    /// the projections whose snapshots an audit compares.
    func rules() async throws -> (domain: (any LedgerDomain)?, projections: [any Projection.Type]) {
        let domain = try await LedgerFiles.domain(of: store)
        return (domain, domain == nil ? [] : GovernanceProjections.all)
    }
}

/// The bytes of a file the user named (`what` names it in errors): a
/// folder, a device or a missing file is an I/O error, never a trap.
func readFile(_ path: String, what: String) throws -> Data {
    do {
        try LocalFile.requireRegular(path, what: what)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch let error as LedgerError {
        throw CLIError.io(error.message)
    } catch {
        throw CLIError.io("cannot read \(what) \(path): \(error.localizedDescription)")
    }
}

/// Reads a text file the user named, with an error that names it.
func readText(_ path: String, what: String) throws -> String {
    let data = try readFile(path, what: what)
    guard let text = String(data: data, encoding: .utf8) else {
        throw CLIError.io("\(what) \(path) is not UTF-8 text")
    }
    return text
}

/// Writes `text` to `path` (replacing it), or to standard output when
/// `path` is nil.
func emit(_ text: String, to path: String?) throws {
    guard let path else {
        print(text, terminator: "")
        return
    }
    try OutputFile.write(path, contents: Data(text.utf8))
}

/// The witness policy file at `path` (C2SP tlog-policy); a bad one is a
/// usage error naming the file and line.
func readPolicy(_ path: String) throws -> WitnessPolicy {
    do {
        return try WitnessPolicy(parsing: try readText(path, what: "a witness policy"))
    } catch let error as LedgerError {
        throw CLIError.usage("\(path): \(error.message)")
    }
}

/// The checkpoint file at `path`, and the log key of the verifier key
/// string `logKey` when one is given, whose name must be the checkpoint's
/// origin. Bad input is a usage error.
func trustedCheckpoint(_ path: String, logKey: String?) throws -> (SignedCheckpoint, PublicKey?) {
    let trusted: SignedCheckpoint
    do {
        trusted = try SignedCheckpoint(parsing: try readText(path, what: "a checkpoint"))
    } catch let error as LedgerError {
        throw CLIError.usage(error.message)
    }
    return (trusted, try logKey.map { try publicKey(ofLogKey: $0, for: trusted) })
}

/// The public key of the verifier key string `logKey`, whose name must be
/// `checkpoint`'s origin. Bad input is a usage error.
func publicKey(ofLogKey logKey: String, for checkpoint: SignedCheckpoint) throws -> PublicKey {
    let noteKey: NoteKey
    do { noteKey = try NoteKey(verifierKey: logKey) } catch { throw CLIError.usage(error.message) }
    guard noteKey.name == checkpoint.checkpoint.origin else {
        throw CLIError.usage("the log key is named \"\(noteKey.name)\" but the checkpoint is for \"\(checkpoint.checkpoint.origin)\"")
    }
    return noteKey.publicKey
}
