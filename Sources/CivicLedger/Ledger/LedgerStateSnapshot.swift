/// What a ledger holds in memory, as of a position, sealed by its log key:
/// the authority registry and the domain state. A ledger opens from it
/// and the entries after it instead of replaying the log
/// (docs/format.md §8.1).
///
/// Stored as two snapshots: the domain state under `ledger-state/NAME`
/// (its own `snapshotData`, read without a copy), and the seal under
/// ``name``:
///
/// ```
/// u32 note length, the note (C2SP signed-note, by the log key):
///     <origin>
///     civic-ledger state <N>
///     <base64 of the Merkle frontier after N entries>
///     <base64 of SHA-256(registry bytes)>
///     <domain name> <base64 of SHA-256(domain state)>, or "-" for none
/// then the registry (CompactCoder), to the end; empty when the domain
/// state holds the same registry (LedgerDomain.authorityRegistry)
/// ```
///
/// Nothing in it is trusted until checked: the note's signature by the log
/// key named at genesis, both digests, and the frontier, which extended
/// with the leaf hashes of the entries after N must give the head the
/// ledger checked against its signed checkpoint. The log key signs only a
/// frontier the ledger computed from entry bytes. The two rows are written
/// one after the other, domain first: a seal that names another domain
/// state (a crash between the two, two writers at once) does not check,
/// and the ledger then replays the log.
struct LedgerStateSnapshot: Sendable {
    /// The seal's name in the store.
    static let name = "ledger-state"

    /// Where the domain state named `domain` is stored.
    static func domainSnapshotName(_ domain: String) -> String { "\(name)/\(domain)" }

    /// The frontier after the entries the state covers.
    var frontier: MerkleFrontier
    /// The registry's bytes; empty when the domain's registry is the ledger's.
    var registry: [UInt8]
    /// The domain's name and the digest of its state, if any.
    var domain: (name: String, digest: Digest)?

    var position: UInt64 { frontier.size }

    func noteText(origin: String) -> String {
        let domainLine = domain.map { "\($0.name) \($0.digest.base64)" } ?? "-"
        return "\(origin)\ncivic-ledger state \(frontier.size)\n\(frontier.serialized.base64String)\n\(SHA256.hash(registry).base64)\n\(domainLine)\n"
    }

    /// The seal as stored, signed with `logSigner`.
    func sealed(origin: String, logSigner: any Signer) throws(LedgerError) -> ProjectionSnapshot {
        let text = noteText(origin: origin)
        let line = try NoteKey(name: origin, publicKey: logSigner.publicKey).sign(text, with: logSigner)
        let note = Array(SignedNote(text: text, signatures: [line]).serialized.utf8)
        var writer = ByteWriter(capacity: 4 + note.count + registry.count)
        writer.field(note)
        writer.raw(registry)
        let data = writer.bytes
        return ProjectionSnapshot(name: Self.name, position: frontier.size, digest: SHA256.hash(data), data: data)
    }

    /// Reads a stored seal and checks it: the log key's signature, the
    /// origin, the position and the registry's digest.
    ///
    /// - Throws: ``LedgerError`` `.invalidSnapshot` saying what is wrong.
    init(unsealing snapshot: ProjectionSnapshot, origin: String, logKey: PublicKey) throws(LedgerError) {
        func invalid(_ reason: String) -> LedgerError {
            LedgerError(.invalidSnapshot, "the ledger-state snapshot \(reason)", position: snapshot.position)
        }
        let parts: (note: String, registry: [UInt8])
        do {
            parts = try withBytes(snapshot.data) { (buffer) throws(LedgerError) in
                var reader = ByteReader(buffer)
                let noteRange = try reader.fieldRange("note", maxLength: 1 << 16)
                return (String(decoding: buffer[noteRange], as: UTF8.self), Array(buffer[reader.offset...]))
            }
        } catch {
            throw invalid("does not decode: \(error.message)")
        }
        let note: SignedNote
        do {
            note = try SignedNote(parsing: parts.note)
            try NoteKey(name: origin, publicKey: logKey).verify(note)
        } catch {
            throw invalid("is not sealed by the log key: \(error.message)")
        }
        let lines = note.text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 6, lines[0] == origin, lines[1] == "civic-ledger state \(snapshot.position)", lines[5].isEmpty,
            let frontierBytes = [UInt8](base64String: String(lines[2])), let frontier = try? MerkleFrontier(serialized: frontierBytes),
            frontier.size == snapshot.position, let registryDigest = Digest(base64: String(lines[3]))
        else {
            throw invalid("note is not a ledger-state seal for \(origin) at \(snapshot.position) entries")
        }
        guard registryDigest == SHA256.hash(parts.registry) else { throw invalid("registry does not have the digest its seal names") }
        if lines[4] == "-" {
            domain = nil
        } else {
            let fields = lines[4].split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, !fields[0].isEmpty, let digest = Digest(base64: String(fields[1])) else {
                throw invalid("note names its domain state as \"\(lines[4])\"")
            }
            domain = (String(fields[0]), digest)
        }
        self.frontier = frontier
        self.registry = parts.registry
    }

    init(frontier: MerkleFrontier, registry: [UInt8], domain: (name: String, digest: Digest)?) {
        self.frontier = frontier
        self.registry = registry
        self.domain = domain
    }
}

/// A ledger's state resumed from its sealed snapshot and checked against
/// the entries after it.
struct ResumedLedgerState {
    var position: UInt64
    var registry: AuthorityRegistry
    var domain: (any LedgerDomain)?
}

extension Ledger {
    /// Seals and stores a snapshot of the registry and the domain state as
    /// of the last commit, so that the next ``open(store:logSigner:domain:clock:configuration:)``
    /// reads it and the entries after it instead of the whole log. The
    /// ledger also does this by itself every
    /// ``LedgerConfiguration/stateSnapshotInterval`` entries and when it
    /// closes.
    ///
    /// - Throws: ``LedgerError`` `.signingFailed` when the ledger was opened
    ///   without its log key; encoding and store errors.
    public func saveStateSnapshot() async throws {
        guard let logSigner else {
            throw LedgerError(.signingFailed, "a state snapshot is sealed by the log key, and the ledger was opened without it")
        }
        let capture = (frontier: frontier, registry: registryState, domain: domainCommitted)
        lastStateSnapshot = capture.frontier.size
        let origin = self.origin
        let writer = self.writer
        // Encoded off the actor: appends go on meanwhile.
        try await Task.detached(priority: .utility) {
            var domain: (name: String, digest: Digest)?
            if let state = capture.domain {
                let name = type(of: state).name
                let data = try state.snapshotData()
                let digest = SHA256.hash(data)
                try await writer.saveSnapshot(
                    ProjectionSnapshot(
                        name: LedgerStateSnapshot.domainSnapshotName(name), position: capture.frontier.size, digest: digest, data: data))
                domain = (name, digest)
            }
            // The registry once when the domain holds the same one.
            let shared = capture.domain?.authorityRegistry == capture.registry
            let seal = LedgerStateSnapshot(
                frontier: capture.frontier, registry: shared ? [] : try CompactCoder.encode(capture.registry), domain: domain)
            try await writer.saveSnapshot(try seal.sealed(origin: origin, logSigner: logSigner))
        }.value
        logger.debug("state snapshot saved", metadata: ["size": "\(capture.frontier.size)"])
    }

    /// Starts a state snapshot in the background when the log has grown by
    /// the configured interval since the last one.
    func snapshotStateIfDue() {
        let interval = configuration.stateSnapshotInterval
        guard interval > 0, logSigner != nil, stateSnapshotTask == nil, frontier.size - min(lastStateSnapshot, frontier.size) >= interval else {
            return
        }
        stateSnapshotTask = Task {
            do {
                try await self.saveStateSnapshot()
            } catch {
                self.logger.warning("state snapshot not saved", metadata: ["error": "\(error)"])
            }
            self.stateSnapshotDone()
        }
    }

    private func stateSnapshotDone() { stateSnapshotTask = nil }

    /// The registry and domain state from the stored snapshot, checked: its
    /// seal, then the entries after it, folded into the domain and hashed
    /// onto its frontier, which must give `head`'s frontier (checked
    /// against the signed checkpoint before). `nil`, logged, when there is
    /// no snapshot or it does not check; the caller then replays the log.
    static func resumeState(
        head: LedgerHeadState, origin: String, logKey: PublicKey, domain: (any LedgerDomain)?, store: any EventStoreReader,
        configuration: LedgerConfiguration
    ) async -> ResumedLedgerState? {
        guard configuration.resumesFromStateSnapshot else { return nil }
        do {
            guard let stored = try await store.snapshot(named: LedgerStateSnapshot.name) else { return nil }
            guard stored.position <= head.frontier.size else {
                throw LedgerError(.invalidSnapshot, "the ledger-state snapshot covers \(stored.position) entries; the log holds \(head.frontier.size)")
            }
            let snapshot = try LedgerStateSnapshot(unsealing: stored, origin: origin, logKey: logKey)
            // A reader that opens without the domain (a query, a verifier)
            // cannot take a registry the domain state holds: it replays the
            // system stream, which is what it would do without a snapshot.
            if snapshot.registry.isEmpty, domain == nil { return nil }
            var resumedDomain: (any LedgerDomain)?
            if let domain, domain.nextPosition == 0, let sealed = snapshot.domain, sealed.name == type(of: domain).name {
                let position = snapshot.position
                func restore<D: LedgerDomain>(_ empty: D) async throws -> D? {
                    try await store.readSnapshot(named: LedgerStateSnapshot.domainSnapshotName(sealed.name)) { reader in
                        guard reader.position == position else {
                            throw LedgerError(.invalidSnapshot, "the domain state stored covers \(reader.position) entries, its seal \(position)")
                        }
                        // Decoded as read; trusted only once every byte
                        // read has the digest the seal names.
                        let state = try D(snapshotReader: reader)
                        guard reader.offset == reader.count, reader.hashSoFar == sealed.digest else {
                            throw LedgerError(.invalidSnapshot, "the domain state stored is not the one the ledger-state seal names")
                        }
                        return state
                    }
                }
                guard let restored = try await restore(domain) else {
                    throw LedgerError(.invalidSnapshot, "the domain state the ledger-state seal names is not stored")
                }
                guard restored.nextPosition == snapshot.position else {
                    throw LedgerError(.invalidSnapshot, "the ledger-state snapshot's domain covers \(restored.nextPosition) entries, its seal \(snapshot.position)")
                }
                resumedDomain = restored
            }
            // An empty registry field: the domain's registry is the ledger's.
            let registry: AuthorityRegistry
            if snapshot.registry.isEmpty {
                guard let shared = resumedDomain?.authorityRegistry else {
                    throw LedgerError(.invalidSnapshot, "the ledger-state snapshot leaves the registry to a domain state it does not have")
                }
                registry = shared
            } else {
                registry = try CompactCoder.decode(AuthorityRegistry.self, from: snapshot.registry)
            }
            guard registry.origin == origin, registry.logKey == logKey else {
                throw LedgerError(.invalidSnapshot, "the ledger-state snapshot's registry is for another ledger")
            }
            var frontier = snapshot.frontier
            var folding = resumedDomain
            try await EntryPages(store: store, from: frontier.size, to: head.frontier.size).forEach { entry in
                frontier.append(entry.leafHash)
                try folding?.fold(entry)
            }
            guard frontier == head.frontier else {
                throw LedgerError(
                    .invalidSnapshot, "the entries after the ledger-state snapshot do not hash to the head: the snapshot is not of this log")
            }
            return ResumedLedgerState(position: snapshot.position, registry: registry, domain: folding)
        } catch {
            configuration.logger.warning("replaying the log: the state snapshot is not used", metadata: ["reason": "\(error)"])
            return nil
        }
    }
}
