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

    /// Writes `key` to the secret key file `path` (mode 0600, whatever the
    /// umask) and its public key to `path.pub` (mode 0644): both or
    /// neither, each written under a temporary name, flushed, then linked
    /// into place, so no reader ever sees half a key. An existing file is
    /// never overwritten. `civic-ledger keygen` writes keys with this call.
    ///
    /// - Throws: `LedgerError` `.storeFailure` when either file exists or
    ///   cannot be written; nothing is left behind then.
    public static func write(_ key: SigningKey, to path: String) throws(LedgerError) {
        var files = try FileSet([path, path + ".pub"])
        do {
            try add(key, at: path, to: &files)
            try files.commit()
        } catch {
            files.discard()
            throw error
        }
    }

    /// The key in the secret key file at `path`, or a new key written
    /// there (with ``write(_:to:)``) when there is no file: what a service
    /// calls on every start, so that its keys stay the same across
    /// restarts.
    ///
    /// - Throws: what ``readSecretKey(at:)`` and ``write(_:to:)`` throw.
    public static func readOrCreate(at path: String) throws(LedgerError) -> SigningKey {
        if case .missing = LocalFile.kind(of: path) {
            let key = SigningKey.generate()
            do {
                try write(key, to: path)
                return key
            } catch {
                // Another process wrote it first: use theirs.
                guard LocalFile.kind(of: path) != .missing else { throw error }
            }
        }
        return try readSecretKey(at: path)
    }

    /// Adds `key`'s two files, `path` (0600) and `path.pub` (0644), to `files`.
    package static func add(_ key: SigningKey, at path: String, to files: inout FileSet) throws(LedgerError) {
        try files.write(path, contents: Data(SecretKeyFile.encode(key)), mode: 0o600)
        try files.write(path + ".pub", contents: Data(SecretKeyFile.encodePublic(key.publicKey)), mode: 0o644)
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
