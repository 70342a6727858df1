import Foundation

/// A value that folds log entries, in order, into a view of the ledger
/// (a case board, a balance sheet …) and knows the last position it saw.
///
/// Implement ``apply(_:)`` with the domain logic and keep
/// ``lastPosition`` as storage; call ``fold(_:)``, which enforces the
/// order and advances the position. `apply` must be deterministic and free
/// of I/O, so that a projection rebuilt from scratch equals one built
/// incrementally.
///
/// Projections that are `Codable` get their snapshot encoding for free:
/// ``CanonicalJSON``, written a piece at a time and the same bytes for
/// equal states in every process, so an auditor compares a recomputed
/// state with a stored snapshot by digest, without a second copy of
/// either.
public protocol Projection: Sendable {
    /// The name snapshots are stored under; unique per projection type.
    static var name: String { get }
    /// An empty projection, before any entry.
    init()
    /// The position of the last entry folded, `nil` before the first.
    var lastPosition: UInt64? { get set }
    /// Folds one entry into the state. Called only through ``fold(_:)``.
    mutating func apply(_ entry: LedgerEntry) throws
    /// The state as bytes, for a snapshot.
    func snapshotData() throws -> [UInt8]
    /// SHA-256 of ``snapshotData()``. The default encodes the data whole;
    /// `Codable` projections hash it as it is written. A projection that
    /// implements ``snapshotData()`` implements this too, or leaves it to
    /// the default.
    func snapshotDigest() throws -> Digest
    /// Restores a state from ``snapshotData()``.
    init(snapshotData: [UInt8]) throws
    /// Restores a state from ``snapshotData()`` read a piece at a time,
    /// for states too large to hold their data whole beside them. The
    /// default reads the data whole and calls ``init(snapshotData:)``.
    init(snapshotReader reader: SnapshotReader) throws
}

extension Projection {
    /// SHA-256 of the data, encoded whole.
    public func snapshotDigest() throws -> Digest { SHA256.hash(try snapshotData()) }

    /// Reads the data whole, then restores from it.
    public init(snapshotReader reader: SnapshotReader) throws {
        var data = [UInt8](repeating: 0, count: reader.count)
        var filled = 0
        while filled < data.count {
            let read = try data.withUnsafeMutableBytes { try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            guard read > 0 else { break }
            filled += read
        }
        try self.init(snapshotData: data)
    }

    /// The position of the next entry this projection needs.
    public var nextPosition: UInt64 { lastPosition.map { $0 + 1 } ?? 0 }

    /// Folds the next entry.
    ///
    /// - Throws: ``LedgerError`` `.invalidSnapshot` when `entry` is not the
    ///   next position; whatever ``apply(_:)`` throws.
    public mutating func fold(_ entry: LedgerEntry) throws {
        guard entry.position == nextPosition else {
            throw LedgerError(
                .invalidSnapshot, "\(Self.name) expects position \(nextPosition), was given \(entry.position)", position: entry.position)
        }
        try apply(entry)
        lastPosition = entry.position
    }
}

extension Projection where Self: Codable {
    /// The state as ``CanonicalJSON``.
    public func snapshotData() throws -> [UInt8] { try CanonicalJSON.encode(self) }

    /// SHA-256 of the state's ``CanonicalJSON``, hashed as it is written.
    public func snapshotDigest() throws -> Digest { try CanonicalJSON.digest(self) }

    /// Restores a state from its JSON snapshot.
    public init(snapshotData: [UInt8]) throws {
        // Decoded in place: a snapshot can be tens of megabytes, and a copy
        // would be held beside it for the whole decode.
        self = try snapshotData.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return try JSONDecoder().decode(Self.self, from: Data()) }
            let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none)
            return try JSONDecoder().decode(Self.self, from: data)
        }
    }
}
