import CivicLedger
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Secret key files: JSON with the Ed25519 seed and the public key, created
/// with mode 0600 and never overwritten.
///
/// ```json
/// {"format":"civic-ledger-ed25519-secret-key-v1","publicKey":"…","seed":"…"}
/// ```
enum KeyFile {
    static let format = "civic-ledger-ed25519-secret-key-v1"

    struct Contents: Codable {
        var format: String
        var publicKey: String
        var seed: String
    }

    /// Writes `key` to `path` (mode 0600) and its public key to
    /// `path.pub` (mode 0644), both or neither. Fails if either exists.
    static func write(_ key: SigningKey, to path: String) async throws {
        try await FileSet.create([path, path + ".pub"]) { files in try add(key, at: path, to: &files) }
    }

    /// Adds `key`'s two files, `path` and `path.pub`, to `files`.
    static func add(_ key: SigningKey, at path: String, to files: inout FileSet) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let secret =
            try encoder.encode(Contents(format: format, publicKey: key.publicKey.base64, seed: key.seed.base64String)) + Data("\n".utf8)
        try files.write(path, contents: secret, mode: 0o600)
        try files.write(path + ".pub", contents: Data((key.publicKey.base64 + "\n").utf8), mode: 0o644)
    }

    /// Reads a secret key file.
    static func read(_ path: String) throws -> SigningKey {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw CLIError.io("cannot read key file \(path): \(String(cString: strerror(errno)))")
        }
        // As ssh does: a secret others can read is refused, not used.
        guard status.st_mode & 0o077 == 0 else {
            throw CLIError.usage(
                "\(path) is readable by others (mode \(String(status.st_mode & 0o777, radix: 8))); a secret key must be private: chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError.io("cannot read key file \(path)")
        }
        guard let contents = try? StrictJSON.decode(Contents.self, from: data, what: path), contents.format == format else {
            throw CLIError.usage("\(path) is not a civic-ledger secret key file (expected JSON with format \"\(format)\")")
        }
        guard let seed = [UInt8](base64String: contents.seed), let key = SigningKey(seed: seed) else {
            throw CLIError.usage("\(path): the seed is not base64 of 32 bytes")
        }
        guard key.publicKey.base64 == contents.publicKey else {
            throw CLIError.usage("\(path): the public key does not match the seed")
        }
        return key
    }

    /// A public key given as base64 text, or as the path of a `.pub` file
    /// or a secret key file.
    static func publicKey(_ argument: String) throws -> PublicKey {
        if let key = PublicKey(base64: argument.trimmingCharacters(in: .whitespacesAndNewlines)) { return key }
        guard let data = FileManager.default.contents(atPath: argument) else {
            throw CLIError.usage("\(argument) is neither a base64 Ed25519 public key nor a readable file")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let key = PublicKey(base64: text) { return key }
        if let contents = try? JSONDecoder().decode(Contents.self, from: data), let key = PublicKey(base64: contents.publicKey) {
            return key
        }
        throw CLIError.usage("\(argument) does not hold a base64 Ed25519 public key")
    }
}
