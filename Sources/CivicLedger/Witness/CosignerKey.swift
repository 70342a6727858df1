/// A witness's Ed25519 cosigner key, as C2SP tlog-cosignature defines
/// `cosignature/v1`: a name (a schema-less URL such as
/// `witness.zhuji.example/w1`) and a public key.
///
/// A cosignature is a signed-note line on a checkpoint, `— <name>
/// base64(key id ‖ timestamp ‖ signature)`: the key id is SHA-256(name ‖
/// 0x0A ‖ 0x04 ‖ key)[:4], the timestamp a big-endian u64 of POSIX seconds,
/// and the Ed25519 signature covers
///
/// ```text
/// cosignature/v1
/// time <timestamp>
/// <the checkpoint's note text>
/// ```
///
/// It states that, at that time, the checkpoint was the largest tree the
/// witness had seen for the origin, consistent with every earlier one.
public struct CosignerKey: Hashable, Sendable {
    /// The witness's name.
    public var name: String
    /// The witness's Ed25519 public key.
    public var publicKey: PublicKey

    /// The signature type of an Ed25519 cosigner key (C2SP tlog-cosignature).
    static let signatureType: UInt8 = 0x04

    /// A cosigner key with this name.
    public init(name: String, publicKey: PublicKey) {
        self.name = name
        self.publicKey = publicKey
    }

    /// SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4], big-endian.
    public var keyID: UInt32 { NoteKey.keyID(name: name, type: Self.signatureType, publicKey: publicKey) }

    /// The verifier key string: `name+hex(key id)+base64(0x04 ‖ public key)`.
    public var verifierKey: String { NoteKey.verifierKey(name: name, type: Self.signatureType, publicKey: publicKey) }

    /// Parses a cosigner verifier key string (signature type 0x04).
    ///
    /// - Throws: ``LedgerError`` `.invalidCheckpoint`.
    public init(verifierKey: String) throws(LedgerError) {
        let (name, key) = try NoteKey.parse(verifierKey: verifierKey, type: Self.signatureType)
        self.init(name: name, publicKey: key)
    }

    /// The bytes a cosignature at `time` of the note text `text` signs.
    static func message(_ text: String, time: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(time)\n".utf8) + Array(text.utf8)
    }

    /// The latest time a cosignature may carry: 2^63 - 1 seconds.
    public static let latestTime = UInt64(Int64.max)

    /// Cosigns the note text `text` (a checkpoint's, ending in a newline)
    /// at `time`, in POSIX seconds (1 to 2^63 - 1).
    ///
    /// - Throws: ``LedgerError`` `.signingFailed` when the signer's key is
    ///   not this key, the time is out of range, or the signer fails.
    public func cosign(_ text: String, at time: UInt64, with signer: any Signer) throws(LedgerError) -> SignedNote.Line {
        guard signer.publicKey == publicKey else {
            throw LedgerError(.signingFailed, "the signer's key is not the cosigner key \(name)")
        }
        guard time >= 1, time <= Self.latestTime else {
            throw LedgerError(.signingFailed, "a cosignature's time must be 1 to 2^63 - 1 seconds, got \(time)")
        }
        do {
            let signature = try signer.sign(Self.message(text, time: time))
            var blob = ByteWriter(capacity: 8 + 64)
            blob.u64(time)
            blob.raw(signature.bytes)
            return SignedNote.Line(name: name, keyID: keyID, signature: blob.bytes)
        } catch {
            throw LedgerError(.signingFailed, "the cosigner failed: \(error)")
        }
    }

    /// The time of this key's valid cosignature on `note`; `nil` when the
    /// note carries none. Lines by other keys are ignored (C2SP signed-note);
    /// a line with this key's name and id whose signature does not verify
    /// makes the note malformed.
    ///
    /// - Throws: ``LedgerError`` `.invalidCheckpoint` for such a line.
    public func cosignatureTime(on note: SignedNote) throws(LedgerError) -> UInt64? {
        try cosignature(on: note)?.time
    }

    /// This key's signature line on `note` and its time, when it verifies;
    /// `nil` when the note carries none (as ``cosignatureTime(on:)``).
    ///
    /// - Throws: ``LedgerError`` `.invalidCheckpoint` for a line with this
    ///   key's name and id that does not verify.
    public func cosignature(on note: SignedNote) throws(LedgerError) -> (line: SignedNote.Line, time: UInt64)? {
        guard let line = note.signatures.first(where: { $0.name == name && $0.keyID == keyID }) else { return nil }
        guard line.signature.count == 8 + 64, let signature = Signature(line.signature[8...]) else {
            throw LedgerError(.invalidCheckpoint, "cosignature by \(name) is \(line.signature.count) bytes, not 72")
        }
        let time = line.signature[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard time <= Self.latestTime, publicKey.isValidSignature(signature, for: Self.message(note.text, time: time)) else {
            throw LedgerError(.invalidCheckpoint, "cosignature by \(name) does not verify")
        }
        return (line, time)
    }

    /// `true` when `note` carries this key's valid cosignature (a malformed
    /// line counts as none).
    public func hasCosigned(_ note: SignedNote) -> Bool {
        ((try? cosignature(on: note)) ?? nil) != nil
    }
}
