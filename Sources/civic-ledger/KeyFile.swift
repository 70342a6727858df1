import CivicLedger
import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let systemWrite = Darwin.write
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
    /// `path.pub` (mode 0644). Fails if either exists.
    static func write(_ key: SigningKey, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let secret =
            try encoder.encode(Contents(format: format, publicKey: key.publicKey.base64, seed: key.seed.base64String)) + Data("\n".utf8)
        try create(path, contents: secret, mode: 0o600)
        try create(path + ".pub", contents: Data((key.publicKey.base64 + "\n").utf8), mode: 0o644)
    }

    /// Creates `path` exclusively with `mode`, whatever the umask.
    static func create(_ path: String, contents: Data, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "it already exists; keys are never overwritten" : String(cString: strerror(errno))
            throw CLIError.io("cannot create \(path): \(reason)")
        }
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw CLIError.io("cannot set the mode of \(path): \(String(cString: strerror(errno)))") }
        let written = contents.withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
        guard written == contents.count, fsync(fd) == 0 else {
            throw CLIError.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads a secret key file.
    static func read(_ path: String) throws -> SigningKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError.io("cannot read key file \(path)")
        }
        guard let contents = try? JSONDecoder().decode(Contents.self, from: data), contents.format == format else {
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
