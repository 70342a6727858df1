import CivicLedger
import Foundation

/// Records children's checkpoints in their parent's ledger: the upward
/// half of linked ledgers. It reads a child (any `EventStoreReader`: its
/// SQLite file, its PostgreSQL schema, an export) and writes only to the
/// parent.
///
/// ```swift
/// let recorder = ChildCheckpointRecorder(parent: street, signer: recorderKey)
/// if let receipt = try await recorder.record(community.origin, from: communityStore) { … }
/// ```
///
/// Each record carries the child's latest stored checkpoint and the
/// consistency proof from the last one the parent recorded, computed from
/// the child's entries; the parent's ``ChildRegistry`` checks it again at
/// append, so a child whose history changed is refused, and nothing is
/// written.
public struct ChildCheckpointRecorder: Sendable {
    /// The parent ledger, which keeps a ``ChildRegistry``.
    public let parent: Ledger
    /// Who signs the records: a key the parent's permission table lets
    /// sign `link.checkpoint` in the child's place.
    public let signer: any Signer

    /// A recorder.
    public init(parent: Ledger, signer: any Signer) {
        self.parent = parent
        self.signer = signer
    }

    /// Records the latest checkpoint `child` stores for the listed child
    /// `origin`, when it is newer than the last the parent recorded.
    ///
    /// - Returns: the record's receipt, or `nil` when there is nothing new.
    /// - Throws: `LedgerError` `.domainRule` when the parent keeps no
    ///   registry or does not list `origin`; `.invalidProof` when the child
    ///   no longer holds the checkpoint the parent recorded last, or its
    ///   entries do not have the roots of its own checkpoints; the parent's
    ///   refusal (`.inconsistentHistory` for a child whose history is not
    ///   the one recorded); store errors.
    public func record(_ origin: String, from child: any EventStoreReader, at time: Timestamp = Timestamp(Date.now)) async throws
        -> AppendReceipt?
    {
        guard let registry = await parent.domain as? ChildRegistry else {
            throw LedgerError(.domainRule, "the parent ledger keeps no registry of children (its domain is not ChildRegistry)")
        }
        guard let listed = registry.children[origin] else {
            throw LedgerError(.domainRule, "the parent does not list \(origin) as a child")
        }
        guard let latest = try await child.latestCheckpoint() else { return nil }
        let new = try SignedCheckpoint(parsing: latest.note)
        let last = registry.recorded[origin]
        if let last, new.checkpoint.size <= last.size { return nil }
        var proof: [Digest] = []
        if let last, last.size > 0 {
            guard let stored = try await child.checkpoints(fromSize: last.size, limit: 1).first, stored.size == last.size else {
                throw LedgerError(
                    .invalidProof, "\(origin) no longer holds its checkpoint of \(last.size) entries, the last its parent recorded")
            }
            proof = try await LogProver.consistency(store: child, old: try SignedCheckpoint(parsing: stored.note), new: new).hashes
        }
        let record = ChildCheckpoint(from: last?.size ?? 0, proof: proof, checkpoint: new)
        let content = EventContent(
            origin: parent.origin, stream: LinkKind.stream(of: origin), place: try Place(validating: listed.place), expectedVersion: .any,
            kind: LinkKind.checkpoint, payload: record.encoded, actorKey: signer.publicKey, clientTime: time,
            idempotencyKey: "\(LinkKind.checkpoint) \(origin) \(new.checkpoint.size) \(new.checkpoint.root.base64)")
        return try await parent.append(try SignedEvent(signing: content, with: signer))
    }
}
