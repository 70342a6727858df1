import CivicLedger
import CivicLedgerSQLite
import Foundation

/// Secret key files for the tool: the library's format (`SecretKeyFile`)
/// and reader (`LocalKeyFiles`), written with mode 0600 and never
/// overwritten (``FileSet``).
enum KeyFile {
    /// Writes `key` to `path` (mode 0600) and its public key to
    /// `path.pub` (mode 0644), both or neither. Fails if either exists.
    static func write(_ key: SigningKey, to path: String) async throws {
        try await FileSet.create([path, path + ".pub"]) { files in try add(key, at: path, to: &files) }
    }

    /// Adds `key`'s two files, `path` and `path.pub`, to `files`.
    static func add(_ key: SigningKey, at path: String, to files: inout FileSet) throws {
        try files.write(path, contents: Data(SecretKeyFile.encode(key)), mode: 0o600)
        try files.write(path + ".pub", contents: Data(SecretKeyFile.encodePublic(key.publicKey)), mode: 0o644)
    }

    /// Reads a secret key file: one others can read is refused, not used.
    static func read(_ path: String) throws -> SigningKey {
        do {
            return try LocalKeyFiles.readSecretKey(at: path)
        } catch {
            throw error.code == .storeFailure ? CLIError.io(error.message) : CLIError.usage(error.message)
        }
    }

    /// A public key given as base64 text, or as the path of a `.pub` file
    /// or a secret key file.
    static func publicKey(_ argument: String) throws -> PublicKey {
        do {
            return try LocalKeyFiles.publicKey(argument)
        } catch {
            throw CLIError.usage(error.message)
        }
    }
}
