/// A C2SP signed note: UTF-8 text ending in a newline, a blank line, and
/// one or more signature lines `— <name> <base64(key id ‖ signature)>`.
///
/// The signature covers the text including its final newline.
public struct SignedNote: Hashable, Sendable {
    /// One signature line.
    public struct Line: Hashable, Sendable {
        /// The key name.
        public var name: String
        /// The 4-byte key id, big-endian.
        public var keyID: UInt32
        /// The signature bytes (64 for Ed25519).
        public var signature: [UInt8]

        /// The line as transmitted: `— <name> <base64(key id ‖ signature)>\n`.
        public var serialized: String {
            var blob = ByteWriter(capacity: 4 + signature.count)
            blob.u32(keyID)
            blob.raw(signature)
            return "\u{2014} \(name) \(blob.bytes.base64String)\n"
        }
    }

    /// The signed text, ending in `\n`.
    public var text: String
    /// The signature lines, in order.
    public var signatures: [Line]

    /// The note as transmitted.
    public var serialized: String {
        text + "\n" + signatures.map(\.serialized).joined()
    }

    /// Parses a serialised note. Splits at the last blank line; every line
    /// after it must be a well-formed signature line.
    ///
    /// - Throws: ``LedgerError`` `.invalidCheckpoint`.
    public init(parsing serialized: String) throws(LedgerError) {
        guard serialized.utf8.count <= 1 << 20 else {
            throw LedgerError(.invalidCheckpoint, "note is larger than 1 MiB")
        }
        guard !serialized.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7f }) else {
            throw LedgerError(.invalidCheckpoint, "note contains a control character")
        }
        guard let split = serialized.range(of: "\n\n", options: .backwards) else {
            throw LedgerError(.invalidCheckpoint, "note has no blank line before its signatures")
        }
        text = String(serialized[..<split.lowerBound]) + "\n"
        let signatureBlock = serialized[split.upperBound...]
        guard signatureBlock.hasSuffix("\n") else {
            throw LedgerError(.invalidCheckpoint, "note does not end with a newline")
        }
        signatures = []
        for raw in signatureBlock.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            guard raw.hasPrefix("\u{2014} ") else {
                throw LedgerError(.invalidCheckpoint, "signature line does not start with an em dash and a space: \"\(raw)\"")
            }
            let parts = raw.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            // Canonical base64 only: otherwise unused bits of the last
            // character could change the stored text but not the bytes.
            guard parts.count == 2, !parts[0].isEmpty,
                let blob = [UInt8](base64String: String(parts[1])), blob.count > 4, blob.base64String == parts[1]
            else {
                throw LedgerError(.invalidCheckpoint, "malformed signature line: \"\(raw)\"")
            }
            let keyID = blob[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            signatures.append(Line(name: String(parts[0]), keyID: keyID, signature: Array(blob[4...])))
        }
        guard !signatures.isEmpty, signatures.count <= 100 else {
            throw LedgerError(.invalidCheckpoint, "note has \(signatures.count) signature lines; 1 to 100 are allowed")
        }
    }

    /// A note with the given text and signatures.
    public init(text: String, signatures: [Line]) {
        self.text = text
        self.signatures = signatures
    }
}

/// An Ed25519 note key: a name and a public key, as C2SP signed-note
/// defines them.
public struct NoteKey: Hashable, Sendable {
    /// The key name (for a checkpoint, the log's origin).
    public var name: String
    /// The Ed25519 public key.
    public var publicKey: PublicKey

    /// A key with this name.
    public init(name: String, publicKey: PublicKey) {
        self.name = name
        self.publicKey = publicKey
    }

    /// The signature type of an Ed25519 note key (C2SP signed-note).
    static let signatureType: UInt8 = 0x01

    /// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], big-endian.
    public var keyID: UInt32 { Self.keyID(name: name, type: Self.signatureType, publicKey: publicKey) }

    /// SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian: the key id
    /// of C2SP signed-note, for a key of signature type `type`.
    static func keyID(name: String, type: UInt8, publicKey: PublicKey) -> UInt32 {
        var writer = ByteWriter()
        writer.raw(Array(name.utf8))
        writer.u8(0x0a)
        writer.u8(type)
        writer.raw(publicKey.raw)
        return SHA256.hash(writer.bytes).bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// The verifier key string: `name+hex(key id)+base64(0x01 ‖ public key)`.
    public var verifierKey: String { Self.verifierKey(name: name, type: Self.signatureType, publicKey: publicKey) }

    /// `name+hex(key id)+base64(type ‖ public key)` (C2SP signed-note vkey).
    static func verifierKey(name: String, type: UInt8, publicKey: PublicKey) -> String {
        let id = String(keyID(name: name, type: type, publicKey: publicKey), radix: 16)
        let padded = String(repeating: "0", count: 8 - id.count) + id
        return "\(name)+\(padded)+\(([type] + publicKey.bytes).base64String)"
    }

    /// Parses a verifier key string.
    public init(verifierKey: String) throws(LedgerError) {
        let (name, key) = try Self.parse(verifierKey: verifierKey, type: Self.signatureType)
        self.init(name: name, publicKey: key)
    }

    /// The name and Ed25519 key of a vkey of signature type `type`, its id
    /// checked.
    static func parse(verifierKey: String, type: UInt8) throws(LedgerError) -> (name: String, key: PublicKey) {
        // The name has no "+" (C2SP signed-note) and the id is hex; the
        // base64 key may contain "+", so split twice only.
        let parts = verifierKey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, let blob = [UInt8](base64String: String(parts[2])), blob.count == 33, blob[0] == type,
            let key = PublicKey(blob[1...])
        else {
            throw LedgerError(.invalidCheckpoint, "not an Ed25519 verifier key of type \(type): \"\(verifierKey)\"")
        }
        let name = String(parts[0])
        guard parts[1].count == 8, UInt32(parts[1], radix: 16) == keyID(name: name, type: type, publicKey: key) else {
            throw LedgerError(.invalidCheckpoint, "verifier key's id \(parts[1]) does not match its name and key")
        }
        return (name, key)
    }

    /// Signs `text` (which must end in a newline) as a note line.
    public func sign(_ text: String, with signer: any Signer) throws(LedgerError) -> SignedNote.Line {
        guard signer.publicKey == publicKey else {
            throw LedgerError(.signingFailed, "the signer's key is not the note key \(name)")
        }
        do {
            let signature = try signer.sign(Array(text.utf8))
            return SignedNote.Line(name: name, keyID: keyID, signature: signature.bytes)
        } catch {
            throw LedgerError(.signingFailed, "the note signer failed: \(error)")
        }
    }

    /// Checks that `note` carries a valid signature by this key. Lines by
    /// other keys are ignored, as the spec requires; the first line with
    /// this key's name and id decides.
    public func verify(_ note: SignedNote) throws(LedgerError) {
        guard let line = note.signatures.first(where: { $0.name == name && $0.keyID == keyID }) else {
            throw LedgerError(.invalidCheckpoint, "note has no signature by key \(name)+\(String(keyID, radix: 16))")
        }
        guard let signature = Signature(line.signature),
            publicKey.isValidSignature(signature, for: Array(note.text.utf8))
        else {
            throw LedgerError(.invalidCheckpoint, "note signature by \(name) does not verify")
        }
    }
}
