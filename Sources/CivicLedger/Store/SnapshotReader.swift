/// A stored snapshot's data, read a piece at a time: what
/// ``EventStoreReader/readSnapshot(named:_:)`` lends, so that a large state
/// (a domain's, tens of megabytes at a million entries) is decoded as it
/// is read and never held whole beside the value it becomes.
///
/// Not thread-safe: read it on the task it was lent to, and not after the
/// call that lent it returns.
public final class SnapshotReader {
    /// The snapshot's name.
    public let name: String
    /// The entries it covers.
    public let position: UInt64
    /// The digest stored with it, not checked: ``hashSoFar`` is the hash of
    /// what was read.
    public let digest: Digest
    /// The data's length in bytes.
    public let count: Int
    /// How many bytes were read.
    public private(set) var offset = 0
    private let fill: (UnsafeMutableRawBufferPointer, Int) throws -> Void
    private var hasher = SHA256.Hasher()

    /// A reader whose `fill` copies `buffer.count` bytes of the data from
    /// the given offset into `buffer`.
    public init(name: String, position: UInt64, digest: Digest, count: Int, fill: @escaping (UnsafeMutableRawBufferPointer, Int) throws -> Void) {
        self.name = name
        self.position = position
        self.digest = digest
        self.count = count
        self.fill = fill
    }

    /// A reader over a snapshot held in memory.
    public convenience init(_ snapshot: ProjectionSnapshot) {
        let data = snapshot.data
        self.init(name: snapshot.name, position: snapshot.position, digest: snapshot.digest, count: data.count) { buffer, offset in
            data.withUnsafeBytes { bytes in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + buffer.count]))
            }
        }
    }

    /// A reader over bytes, for decoding them as a snapshot's data.
    public convenience init(bytes: [UInt8]) {
        self.init(ProjectionSnapshot(name: "", position: 0, digest: Digest(raw: Bytes32(storage: (0, 0, 0, 0))), data: bytes))
    }

    /// Reads the next bytes into `buffer`, as many as fit and are left.
    ///
    /// - Returns: how many bytes were read; 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let length = min(buffer.count, count - offset)
        guard length > 0 else { return 0 }
        let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
        try fill(part, offset)
        hasher.update(UnsafeRawBufferPointer(part))
        offset += length
        return length
    }

    /// SHA-256 of the bytes read so far: once every byte is read, the
    /// digest of the data, to compare with one that is trusted.
    public var hashSoFar: Digest { hasher.finalized() }
}
