import Foundation

struct CheckedPage: Sendable {
    var stored: [StoredEntry]
    var decoded: [Result<LedgerEntry, LedgerError>]
    var leafHashes: [Digest]
    var signatures: [Bool]
    /// The index row each entry's bytes call for (`nil` where it does not decode).
    var expectedRows: [StoredIndexRow?]

    /// Checks signatures only at positions from `signaturesFrom` on (the
    /// entries a trusted checkpoint covers were checked when it was saved).
    init(_ stored: [StoredEntry], signaturesFrom: UInt64) {
        self.stored = stored
        let checked = ParallelVerification.mapBlocking(count: stored.count) { index in
            let decoded = Result { () throws(LedgerError) in try Ledger.decode(stored[index]) }
            let valid: Bool
            if stored[index].position >= signaturesFrom, case .success(let entry) = decoded {
                valid = entry.hasValidSignature
            } else {
                valid = true
            }
            let row: StoredIndexRow?
            if case .success(let entry) = decoded { row = StoredIndexRow(entry) } else { row = nil }
            return (decoded, MerkleHash.leaf(stored[index].bytes), valid, row)
        }
        decoded = checked.map(\.0)
        leafHashes = checked.map(\.1)
        signatures = checked.map(\.2)
        expectedRows = checked.map(\.3)
    }
}

/// The checked pages of a store, one read ahead.
struct CheckedPages: AsyncSequence, AsyncIteratorProtocol {
    var reader: PageReader<CheckedPage>

    func makeAsyncIterator() -> CheckedPages { self }

    mutating func next() async throws -> CheckedPage? { try await reader.next() }
}
