import Foundation

/// A stored snapshot and the projection recomputed to compare with it.
struct SnapshotCheck {
    let name: String
    /// The entries the stored snapshot covers.
    let position: UInt64
    /// The projection folded for the comparison; `nil` when the domain
    /// state holds it.
    var state: (any Projection)?
    var compared = false

    mutating func follow(_ entry: LedgerEntry) {
        state?.follow(entry)
    }

    /// Compares the recomputed state (``state``, or the domain's copy) with
    /// the stored snapshot, read again now, then lets the state go.
    ///
    /// The stored data is hashed as it is read and the state as it is
    /// encoded (``Projection/snapshotDigest()``), so neither is held whole
    /// beside the state. Only a snapshot whose bytes differ (one written by
    /// an earlier encoder, or a wrong one) is read whole and compared as a
    /// value.
    mutating func compare(store: any EventStoreReader, domain: (any LedgerDomain)?, findings: inout Findings) async throws {
        compared = true
        defer { state = nil }
        let at = position == 0 ? nil : position - 1
        guard let state = state ?? domain?.projection(named: name) else { return }
        let stored = try await store.readSnapshot(named: name) { reader in
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while try chunk.withUnsafeMutableBytes({ try reader.read(into: $0) }) > 0 {}
            return StoredDigests(position: reader.position, digest: reader.digest, hashed: reader.hashSoFar)
        }
        guard let stored, stored.position == position else {
            findings.add(
                AuditFinding(
                    code: .snapshotMismatch, message: "the stored snapshot of \(name) at \(position) entries changed during the audit",
                    position: at))
            return
        }
        guard stored.hashed == stored.digest else {
            findings.add(
                AuditFinding(code: .snapshotMismatch, message: "the stored snapshot of \(name) does not match its own digest", position: at)
            )
            return
        }
        let recomputed: Digest
        do {
            recomputed = try state.snapshotDigest()
        } catch {
            findings.add(AuditFinding(code: .snapshotMismatch, message: "\(name) cannot be encoded to compare: \(error)", position: at))
            return
        }
        if recomputed == stored.digest { return }
        // Equal states in other bytes: compared as values when the
        // projection is Equatable (decoding holds less than encoding).
        if let snapshot = try await store.snapshot(named: name), snapshot.digest == stored.digest, Self.sameState(state, snapshot.data) {
            return
        }
        findings.add(
            AuditFinding(
                code: .snapshotMismatch,
                message:
                    "the stored snapshot of \(name) at \(position) entries differs from the projection recomputed from the log (SHA-256 \(recomputed.base64), stored \(stored.digest.base64))",
                position: at))
    }
}

/// What reading a stored snapshot through gave.
private struct StoredDigests: Sendable {
    let position: UInt64
    let digest: Digest
    let hashed: Digest
}

extension SnapshotCheck {
    /// `true` when `data` decodes to a state equal to `state`.
    static func sameState<P: Projection>(_ state: P, _ data: [UInt8]) -> Bool {
        guard let equatable = state as? any Equatable, let stored = try? P(snapshotData: data) else { return false }
        return equal(equatable, stored)
    }

    static func equal<E: Equatable>(_ value: E, _ other: Any) -> Bool {
        (other as? E) == value
    }
}

extension Projection {
    /// Folds an entry whatever its position and whatever ``apply(_:)``
    /// throws: for auditors, which follow a log as stored.
    mutating func follow(_ entry: LedgerEntry) {
        try? apply(entry)
        lastPosition = entry.position
    }
}
