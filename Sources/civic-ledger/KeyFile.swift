import CivicLedger
import CivicLedgerSQLite
import Foundation

/// Secret key files for the tool: the library's format (`SecretKeyFile`)
/// reader and writer (`LocalKeyFiles`): written with mode 0600, atomically,
/// and never overwritten.
enum KeyFile {
    /// Writes `key` to `path` (mode 0600) and its public key to
    /// `path.pub` (mode 0644), both or neither (`LocalKeyFiles.write`).
    /// Fails if either exists.
    static func write(_ key: SigningKey, to path: String) throws {
        do { try LocalKeyFiles.write(key, to: path) } catch { throw CLIError.io(error.message) }
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
