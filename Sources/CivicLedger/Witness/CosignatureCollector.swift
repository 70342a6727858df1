import Logging
import ServiceLifecycle

/// Sends a ledger's checkpoints to its witnesses and stores their
/// cosignatures with the checkpoint (C2SP tlog-witness, as the log's
/// side).
///
/// It runs beside the ledger, never in the append path: it reads the
/// latest checkpoint the store holds, checks it (the log key's signature,
/// and the root of the store's entries), sends it to each witness with a
/// consistency proof from the size that witness last cosigned, checks each
/// cosignature, and adds the lines to the stored note by compare-and-swap.
/// A witness that cannot be reached or refuses is tried again after
/// ``Options/retryInterval``; appends go on meanwhile, and the next
/// checkpoint goes to it when it is back. A witness's size is learnt from
/// its 409 answers, so nothing of it need be saved.
///
/// ```swift
/// let collector = CosignatureCollector(store: store, logKey: logKey, witnesses: [street, bureau])
/// let group = ServiceGroup(services: [ledger, collector, server], gracefulShutdownSignals: [.sigterm], logger: logger)
/// ```
///
/// It keeps every leaf hash in memory (``CachedLogProver``, 32 bytes an
/// entry) to prove any older size without rereading the log.
public actor CosignatureCollector: Service {
    /// How often to look and retry.
    public struct Options: Sendable {
        /// How often ``run()`` looks for a newer checkpoint.
        public var pollInterval: Duration
        /// How long a witness that failed is left before it is tried again.
        public var retryInterval: Duration
        /// The log.
        public var logger: Logger

        /// Defaults: look every second, retry a failed witness after 5 s.
        public init(pollInterval: Duration = .seconds(1), retryInterval: Duration = .seconds(5), logger: Logger = Logger(label: "civic-ledger.witness")) {
            self.pollInterval = pollInterval
            self.retryInterval = retryInterval
            self.logger = logger
        }
    }

    /// What one pass did.
    public struct Pass: Hashable, Sendable {
        /// The checkpoint's size; 0 when the store has none.
        public var size: UInt64
        /// The witnesses (by cosigner name) whose cosignature the stored
        /// checkpoint now carries.
        public var cosignedBy: [String]
        /// The witnesses that failed or refused this pass, with why.
        public var failures: [String: String]
    }

    private let store: any EventStore
    private let logKey: NoteKey
    private let witnesses: [any WitnessClient]
    private let options: Options
    private let prover: CachedLogProver
    private var sizes: [UInt64?]
    private var retryAt: [ContinuousClock.Instant?]

    /// A collector for the checkpoints in `store`, signed by `logKey`
    /// (named by the log's origin), cosigned by `witnesses`.
    public init(store: any EventStore, logKey: NoteKey, witnesses: [any WitnessClient], options: Options = Options()) {
        self.store = store
        self.logKey = logKey
        self.witnesses = witnesses
        self.options = options
        prover = CachedLogProver(store: store)
        sizes = Array(repeating: nil, count: witnesses.count)
        retryAt = Array(repeating: nil, count: witnesses.count)
    }

    /// Passes until graceful shutdown or cancellation. A pass that fails
    /// (the store unreadable, a checkpoint that does not check) is logged
    /// and tried again.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await self.pass()
                } catch is CancellationError {
                    return
                } catch {
                    self.options.logger.error("witness pass failed", metadata: ["error": "\(error)"])
                }
                do { try await Task.sleep(for: self.options.pollInterval) } catch { return }
            }
        }
    }

    /// One pass: the latest stored checkpoint to each witness that has not
    /// cosigned it and is not waiting out a failure.
    ///
    /// - Parameter force: try every witness, waiting or not.
    /// - Throws: ``LedgerError`` when the store's checkpoint is not signed
    ///   by the log key or its entries do not have its root (nothing is
    ///   sent); store errors.
    public func pass(force: Bool = false) async throws -> Pass {
        guard let stored = try await store.latestCheckpoint() else { return Pass(size: 0, cosignedBy: [], failures: [:]) }
        let signed = try SignedCheckpoint(parsing: stored.note)
        guard signed.checkpoint.origin == logKey.name else {
            throw LedgerError(.invalidCheckpoint, "the store's checkpoint is of \(signed.checkpoint.origin), not \(logKey.name)")
        }
        try logKey.verify(signed.note)
        let size = signed.checkpoint.size
        let tree: TiledTree
        do {
            tree = try await prover.tree(for: signed)
        } catch let error as LedgerError {
            throw LedgerError(.invalidCheckpoint, "nothing is sent to witnesses: \(error.message)")
        }

        var lines: [SignedNote.Line] = []
        var failures: [String: String] = [:]
        let now = ContinuousClock.now
        for (index, witness) in witnesses.enumerated() {
            let name = witness.cosigner.name
            if witness.cosigner.hasCosigned(signed.note) { continue }
            if !force, let next = retryAt[index], next > now { continue }
            do {
                lines.append(try await cosign(signed, tree: tree, by: index))
                retryAt[index] = nil
            } catch {
                let message = (error as? LedgerError)?.message ?? "\(error)"
                failures[name] = message
                retryAt[index] = now.advanced(by: options.retryInterval)
                options.logger.warning("witness did not cosign", metadata: ["witness": "\(witness.address)", "size": "\(size)", "error": "\(message)"])
            }
        }
        let note = lines.isEmpty ? signed.note : try await attach(lines, to: signed)
        return Pass(size: size, cosignedBy: cosigners(of: note), failures: failures)
    }

    /// The witnesses (by cosigner name) whose cosignatures on `checkpoint`
    /// verify.
    public nonisolated func cosigners(of checkpoint: SignedCheckpoint) -> [String] { cosigners(of: checkpoint.note) }

    nonisolated func cosigners(of note: SignedNote) -> [String] {
        witnesses.map(\.cosigner).filter { $0.hasCosigned(note) }.map(\.name)
    }

    /// Sends `signed` to witness `index`, from the size it is known to
    /// have (once more after a 409 tells it), and checks its cosignature.
    private func cosign(_ signed: SignedCheckpoint, tree: TiledTree, by index: Int) async throws -> SignedNote.Line {
        let witness = witnesses[index]
        let size = signed.checkpoint.size
        for _ in 0..<2 {
            let old = sizes[index] ?? 0
            guard old <= size else {
                throw LedgerError(
                    .invalidCheckpoint, "the witness has cosigned size \(old), past this log's latest checkpoint (\(size)): another history?")
            }
            let proof = old == 0 ? [] : try tree.consistencyProof(from: old)
            switch try await witness.addCheckpoint(WitnessReply.request(oldSize: old, proof: proof, checkpoint: signed.serialized)) {
            case .cosigned(let body):
                let answered: SignedNote
                do {
                    answered = try SignedNote(parsing: signed.note.text + "\n" + body)
                } catch {
                    throw LedgerError(.invalidCheckpoint, "the witness's answer is not signature lines: \(error.message)")
                }
                guard let line = try witness.cosigner.cosignature(on: answered)?.line else {
                    throw LedgerError(.invalidCheckpoint, "the witness answered without a cosignature by \(witness.cosigner.name)")
                }
                sizes[index] = size
                return line
            case .conflict(let theirs):
                sizes[index] = theirs
            case .refused(let status, let message):
                throw LedgerError(.invalidCheckpoint, "the witness refused (\(status)): \(message)")
            }
        }
        throw LedgerError(.storeConflict, "the witness's size moved twice while it was sent the checkpoint")
    }

    /// Adds `lines` to the stored note of `signed`'s size (compare-and-swap,
    /// so a concurrent collector's lines are kept); returns the stored note.
    /// A stored note whose text is no longer the cosigned one gets nothing.
    private func attach(_ lines: [SignedNote.Line], to signed: SignedCheckpoint) async throws -> SignedNote {
        let size = signed.checkpoint.size
        for _ in 0..<8 {
            guard let stored = try await store.checkpoints(fromSize: size, limit: 1).first, stored.size == size else {
                throw LedgerError(.storeFailure, "the checkpoint of size \(size) is gone from the store")
            }
            var note = try SignedNote(parsing: stored.note)
            guard note.text == signed.note.text else {
                throw LedgerError(.invalidCheckpoint, "the stored checkpoint of size \(size) changed its text while it was being cosigned")
            }
            for line in lines where !note.signatures.contains(where: { $0.name == line.name && $0.keyID == line.keyID }) {
                note.signatures.append(line)
            }
            if note.serialized == stored.note { return note }
            if try await store.replaceCheckpointNote(size: size, expected: stored.note, with: note.serialized) {
                options.logger.info("checkpoint cosigned", metadata: ["size": "\(size)", "signatures": "\(note.signatures.count)"])
                return note
            }
        }
        throw LedgerError(.storeConflict, "the checkpoint of size \(size) kept changing while cosignatures were added")
    }
}
