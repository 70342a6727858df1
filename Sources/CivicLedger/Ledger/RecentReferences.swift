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

    /// The position of the entry whose reference has this key, if it is recent.
    func position(of key: UInt128) -> UInt64? {
        positions[key]
    }

    /// Remembers a committed entry's reference key, forgetting the oldest when full.
    mutating func insert(_ key: UInt128, at position: UInt64) {
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
