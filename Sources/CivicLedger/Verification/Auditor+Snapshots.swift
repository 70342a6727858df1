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
    mutating func compare(store: any EventStore, domain: (any LedgerDomain)?, findings: inout Findings) async throws {
        compared = true
        defer { state = nil }
        let at = position == 0 ? nil : position - 1
        guard let state = state ?? domain?.projection(named: name) else { return }
        guard let snapshot = try await store.snapshot(named: name), snapshot.position == position else {
            findings.add(
                AuditFinding(
                    code: .snapshotMismatch, message: "the stored snapshot of \(name) at \(position) entries changed during the audit",
                    position: at))
            return
        }
        guard SHA256.hash(snapshot.data) == snapshot.digest else {
            findings.add(
                AuditFinding(code: .snapshotMismatch, message: "the stored snapshot of \(name) does not match its own digest", position: at)
            )
            return
        }
        // Equal states, compared as values when the projection is
        // Equatable (an encoding may order a dictionary differently, and
        // decoding holds less than encoding), and as bytes otherwise.
        if Self.sameState(state, snapshot.data) { return }
        let recomputed: [UInt8]
        do {
            recomputed = try state.snapshotData()
        } catch {
            findings.add(AuditFinding(code: .snapshotMismatch, message: "\(name) cannot be encoded to compare: \(error)", position: at))
            return
        }
        if recomputed != snapshot.data {
            findings.add(
                AuditFinding(
                    code: .snapshotMismatch,
                    message:
                        "the stored snapshot of \(name) at \(position) entries differs from the projection recomputed from the log (SHA-256 \(SHA256.hash(recomputed).base64), stored \(snapshot.digest.base64))",
                    position: at))
        }
    }
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
