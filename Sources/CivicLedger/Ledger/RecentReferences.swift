/// The idempotency references of the most recently committed entries, so
/// that a quick retry is recognised without asking the store.
///
/// Keyed by the 16-byte reference digest; the oldest are forgotten first.
/// A retry of an older event is still recognised: the store's unique key
/// refuses it, and the ledger then looks it up (see the append pipeline).
struct RecentReferences {
    private var positions: [UInt128: UInt64] = [:]
    private var order: [UInt128]
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        order = []
        order.reserveCapacity(capacity)
        positions.reserveCapacity(capacity)
    }

    static func key(_ reference: IdempotencyReference) -> UInt128 {
        reference.digest.withUnsafeBytes { $0.loadUnaligned(as: UInt128.self) }
    }

    /// The position of the entry with this reference, if it is recent.
    func position(of reference: IdempotencyReference) -> UInt64? {
        positions[Self.key(reference)]
    }

    /// Remembers a committed entry's reference, forgetting the oldest when full.
    mutating func insert(_ reference: IdempotencyReference, at position: UInt64) {
        let key = Self.key(reference)
        if order.count < capacity {
            order.append(key)
        } else {
            positions.removeValue(forKey: order[next])
            order[next] = key
            next = (next + 1) % capacity
        }
        positions[key] = position
    }
}
