/// A C2SP tlog-checkpoint: the origin, the tree size and the root hash,
/// as the body of a signed note.
public struct Checkpoint: Hashable, Sendable {
    /// The log's origin line.
    public var origin: String
    /// The number of entries the root covers.
    public var size: UInt64
    /// The Merkle root hash of the first ``size`` entries.
    public var root: Digest
    /// Optional extension lines after the root.
    public var extensions: [String]

    /// A checkpoint body.
    public init(origin: String, size: UInt64, root: Digest, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    /// The note text: `origin\nsize\nbase64(root)\n[extension lines\n]`.
    public var text: String {
        var lines = [origin, String(size), root.base64]
        lines.append(contentsOf: extensions)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses a checkpoint body.
    ///
    /// - Throws: ``LedgerError`` `.invalidCheckpoint`.
    public init(text: String) throws(LedgerError) {
        guard text.hasSuffix("\n") else {
            throw LedgerError(.invalidCheckpoint, "checkpoint text does not end with a newline")
        }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 else {
            throw LedgerError(.invalidCheckpoint, "checkpoint has \(lines.count) lines; origin, size and root are required")
        }
        guard !lines[0].isEmpty else { throw LedgerError(.invalidCheckpoint, "checkpoint origin is empty") }
        guard let size = UInt64(lines[1]), lines[1] == String(size) else {
            throw LedgerError(.invalidCheckpoint, "checkpoint size \"\(lines[1])\" is not a decimal without leading zeros")
        }
        guard let root = Digest(base64: lines[2]), root.base64 == lines[2] else {
            throw LedgerError(.invalidCheckpoint, "checkpoint root \"\(lines[2])\" is not canonical base64 of 32 bytes")
        }
        guard !lines[3...].contains(where: \.isEmpty) else {
            throw LedgerError(.invalidCheckpoint, "checkpoint has an empty extension line")
        }
        self.init(origin: lines[0], size: size, root: root, extensions: Array(lines[3...]))
    }
}

/// A checkpoint with the ledger key's signature: the form in which
/// checkpoints are stored, printed and handed to auditors.
public struct SignedCheckpoint: Hashable, Sendable {
    /// The checkpoint.
    public var checkpoint: Checkpoint
    /// The signed note whose text is ``checkpoint``'s text.
    public var note: SignedNote

    /// The exact serialised note.
    public var serialized: String { note.serialized }

    /// Signs `checkpoint` with the ledger's log key, named by the origin.
    public init(signing checkpoint: Checkpoint, with signer: any Signer) throws(LedgerError) {
        let key = NoteKey(name: checkpoint.origin, publicKey: signer.publicKey)
        let text = checkpoint.text
        self.checkpoint = checkpoint
        self.note = SignedNote(text: text, signatures: [try key.sign(text, with: signer)])
    }

    /// Parses a serialised signed checkpoint without checking the signature.
    public init(parsing serialized: String) throws(LedgerError) {
        note = try SignedNote(parsing: serialized)
        checkpoint = try Checkpoint(text: note.text)
    }

    /// Checks the signature by the log key `logKey` (named by the origin).
    public func verify(logKey: PublicKey) throws(LedgerError) {
        try NoteKey(name: checkpoint.origin, publicKey: logKey).verify(note)
    }
}
