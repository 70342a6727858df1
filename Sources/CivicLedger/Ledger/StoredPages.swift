/// Stored entries in position order, a page at a time, with the next page
/// read while the caller works on the current one.
///
/// The bulk read path: projection rebuilds, verification and exports use
/// it. With a store that reads on its own threads (the SQLite store does),
/// reading and the caller's work overlap, so a full replay runs at the
/// speed of the slower of the two rather than their sum.
///
/// ```swift
/// for try await page in StoredPages(store: store, from: 0) {
///     for stored in page { … }
/// }
/// ```
public struct StoredPages: AsyncSequence, Sendable {
    public typealias Element = [StoredEntry]

    let store: any EventStore
    let start: UInt64
    let end: UInt64?
    let pageSize: Int

    /// Entries of `store` from position `start` up to (not including)
    /// `end`, or to the end of the log.
    public init(store: any EventStore, from start: UInt64 = 0, to end: UInt64? = nil, pageSize: Int = 4096) {
        self.store = store
        self.start = start
        self.end = end
        self.pageSize = Swift.max(1, pageSize)
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: PageReader(store: store, next: start, end: end, pageSize: pageSize) { $0 })
    }

    /// Reads the next page while the caller works on this one.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        var reader: PageReader<[StoredEntry]>

        /// The next page, or `nil` at the end.
        public mutating func next() async throws -> [StoredEntry]? {
            try await reader.next()
        }
    }
}

/// Reads pages of stored entries one ahead, each turned into a `Page` on
/// the reading task, so that reading and turning overlap the caller's work.
struct PageReader<Page: Sendable>: Sendable {
    /// A page as it comes off the reading task.
    typealias Read = (page: Page, count: Int, last: UInt64?)

    let store: any EventStore
    var next: UInt64
    let end: UInt64?
    let pageSize: Int
    let transform: @Sendable ([StoredEntry]) throws -> Page
    var ahead: Task<Read, any Error>?

    init(store: any EventStore, next: UInt64, end: UInt64?, pageSize: Int, transform: @escaping @Sendable ([StoredEntry]) throws -> Page) {
        self.store = store
        self.next = next
        self.end = end
        self.pageSize = pageSize
        self.transform = transform
    }

    func read(from position: UInt64) -> Task<Read, any Error>? {
        let limit = end.map { $0 > position ? Int(Swift.min(UInt64(pageSize), $0 - position)) : 0 } ?? pageSize
        guard limit > 0 else { return nil }
        let store = self.store
        let transform = self.transform
        return Task {
            let stored = try await store.entries(from: position, limit: limit)
            return (try transform(stored), stored.count, stored.last?.position)
        }
    }

    mutating func next() async throws -> Page? {
        guard let pending = ahead ?? read(from: next) else { return nil }
        ahead = nil
        let read = try await pending.value
        guard let last = read.last else { return nil }
        next = last + 1
        if read.count == pageSize || end != nil { ahead = self.read(from: next) }
        return read.page
    }
}

/// Decoded entries in position order, a page at a time: the next page is
/// read on another task while the caller uses the current one.
///
/// Each page is decoded on the caller's task, 16 entries at a time, just
/// before they are handed over; ``forEach(_:)`` decodes one entry at a
/// time and is faster still. Decoding on the reading task instead, beside the caller's folds,
/// measured slower: an entry allocated on one thread and released on
/// another costs the allocator more than the decoding it saves
/// (docs/architecture.md, "Reading").
///
/// - Throws: from iteration, ``LedgerError`` `.malformed` when a stored
///   entry does not decode or is stored at the wrong position; store errors.
public struct EntryPages: AsyncSequence, Sendable {
    public typealias Element = [LedgerEntry]

    let pages: StoredPages

    /// Entries of `store` from position `start` up to (not including)
    /// `end`, or to the end of the log.
    public init(store: any EventStore, from start: UInt64 = 0, to end: UInt64? = nil, pageSize: Int = 4096) {
        pages = StoredPages(store: store, from: start, to: end, pageSize: pageSize)
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(pages: pages.makeAsyncIterator())
    }

    /// Calls `body` with every entry in order, each decoded just before
    /// it is passed: the fastest way to fold a whole log.
    ///
    /// ```swift
    /// var balances = PointsBalances()
    /// try await EntryPages(store: store).forEach { try balances.fold($0) }
    /// ```
    ///
    /// - Returns: the number of entries passed to `body`.
    @discardableResult
    public func forEach(_ body: (LedgerEntry) throws -> Void) async throws -> UInt64 {
        var count: UInt64 = 0
        for try await page in pages {
            for stored in page { try body(Ledger.decode(stored)) }
            count += UInt64(page.count)
        }
        return count
    }

    /// Reads the next page on another task while the caller folds this one.
    public struct Iterator: AsyncIteratorProtocol {
        var pages: StoredPages.Iterator
        var stored: [StoredEntry] = []
        var offset = 0

        /// The next page of entries, or `nil` at the end.
        public mutating func next() async throws -> [LedgerEntry]? {
            if offset == stored.count {
                guard let page = try await pages.next() else { return nil }
                stored = page
                offset = 0
            }
            let end = Swift.min(stored.count, offset + EntryPages.chunk)
            defer { offset = end }
            return try stored[offset..<end].map(Ledger.decode)
        }
    }

    static let chunk = 16
}
