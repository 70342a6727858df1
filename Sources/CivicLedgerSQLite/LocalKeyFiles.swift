import CivicLedger
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Secret key files on this machine (`SecretKeyFile` is their format):
/// read only when no one but the owner can read them, as ssh does.
public enum LocalKeyFiles {
    /// The key in the secret key file at `path`.
    ///
    /// - Throws: `LedgerError` `.storeFailure` when the file cannot be read;
    ///   `.invalidField` when others may read it (mode not 0600 or
    ///   stricter) or it is not a key file.
    public static func readSecretKey(at path: String) throws(LedgerError) -> SigningKey {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw LedgerError(.storeFailure, "cannot read key file \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw LedgerError(.storeFailure, "cannot read key file \(path): it is not a regular file")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw LedgerError(
                .invalidField,
                "\(path) is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))); a secret key must be private: chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LedgerError(.storeFailure, "cannot read key file \(path)")
        }
        return try SecretKeyFile.decode(data, source: path)
    }

    /// A public key given as base64 text, or as the path of a `.pub` file
    /// or a secret key file.
    ///
    /// - Throws: `LedgerError` `.invalidField` when it is neither.
    public static func publicKey(_ argument: String) throws(LedgerError) -> PublicKey {
        if let key = PublicKey(base64: argument.trimmingCharacters(in: .whitespacesAndNewlines)) { return key }
        guard case .regular = LocalFile.kind(of: argument), let data = FileManager.default.contents(atPath: argument) else {
            throw LedgerError(.invalidField, "\(argument) is neither a base64 Ed25519 public key nor a readable file")
        }
        guard let key = SecretKeyFile.publicKey(in: data) else {
            throw LedgerError(.invalidField, "\(argument) does not hold a base64 Ed25519 public key")
        }
        return key
    }
}
