import Foundation

/// The secret key file format (docs/format.md §1.2): JSON with the
/// Ed25519 seed and the public key, sorted keys, a newline at the end.
///
/// ```json
/// {"format":"civic-ledger-ed25519-secret-key-v1","publicKey":"…","seed":"…"}
/// ```
///
/// The public half is written beside it, as base64 and a newline, in
/// `FILE.pub`. This type is the format only; `LocalKeyFiles` in
/// `CivicLedgerSQLite` reads and writes the files (mode 0600, a key others
/// can read refused).
public enum SecretKeyFile {
    /// The value of the `format` member.
    public static let format = "civic-ledger-ed25519-secret-key-v1"

    struct Contents: Codable {
        var format: String
        var publicKey: String
        var seed: String
    }

    /// The file's bytes for `key`.
    public static func encode(_ key: SigningKey) -> [UInt8] {
        let contents = Contents(format: format, publicKey: key.publicKey.base64, seed: key.seed.base64String)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding three strings cannot fail.
        return Array((try? encoder.encode(contents)) ?? Data()) + Array("\n".utf8)
    }

    /// The public file's bytes for `key`: its base64 and a newline.
    public static func encodePublic(_ key: PublicKey) -> [UInt8] { Array((key.base64 + "\n").utf8) }

    /// The key a secret key file holds, read strictly (docs/format.md §1.1).
    ///
    /// - Parameters:
    ///   - bytes: the file's contents.
    ///   - source: how errors name the file.
    /// - Throws: ``LedgerError`` `.invalidField` saying what is wrong: not
    ///   the format, a seed that is not base64 of 32 bytes, a public key
    ///   that does not match the seed.
    public static func decode(_ bytes: some Collection<UInt8>, source: String) throws(LedgerError) -> SigningKey {
        guard let contents = try? StrictJSON.decode(Contents.self, from: bytes, what: source), contents.format == format else {
            throw LedgerError(.invalidField, "\(source) is not a civic-ledger secret key file (expected JSON with format \"\(format)\")")
        }
        guard let seed = [UInt8](base64String: contents.seed), let key = SigningKey(seed: seed) else {
            throw LedgerError(.invalidField, "\(source): the seed is not base64 of 32 bytes")
        }
        guard key.publicKey.base64 == contents.publicKey else {
            throw LedgerError(.invalidField, "\(source): the public key does not match the seed")
        }
        return key
    }

    /// The public key in a public key file (base64 and a newline) or in a
    /// secret key file's `publicKey`; `nil` when the bytes hold neither.
    public static func publicKey(in bytes: some Collection<UInt8>) -> PublicKey? {
        let text = String(decoding: Array(bytes), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let key = PublicKey(base64: text) { return key }
        guard let contents = try? JSONDecoder().decode(Contents.self, from: Data(bytes)) else { return nil }
        return PublicKey(base64: contents.publicKey)
    }
}
