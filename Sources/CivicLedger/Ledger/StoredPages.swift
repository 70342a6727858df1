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
        Iterator(store: store, next: start, end: end, pageSize: pageSize)
    }

    /// Reads one page ahead.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        let store: any EventStore
        var next: UInt64
        let end: UInt64?
        let pageSize: Int
        var ahead: Task<[StoredEntry], any Error>?

        init(store: any EventStore, next: UInt64, end: UInt64?, pageSize: Int) {
            self.store = store
            self.next = next
            self.end = end
            self.pageSize = pageSize
        }

        func read(from position: UInt64) -> Task<[StoredEntry], any Error>? {
            let limit = end.map { $0 > position ? Int(Swift.min(UInt64(pageSize), $0 - position)) : 0 } ?? pageSize
            guard limit > 0 else { return nil }
            let store = self.store
            return Task { try await store.entries(from: position, limit: limit) }
        }

        /// The next page, or `nil` at the end.
        public mutating func next() async throws -> [StoredEntry]? {
            guard let pending = ahead ?? read(from: next) else { return nil }
            ahead = nil
            let page = try await pending.value
            guard let last = page.last else { return nil }
            next = last.position + 1
            if page.count == pageSize || end != nil { ahead = read(from: next) }
            return page
        }
    }
}

/// Decoded entries in position order, a page at a time: the store reads
/// the next page while the caller decodes and uses the current one.
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

    /// Decodes each page as it arrives.
    public struct Iterator: AsyncIteratorProtocol {
        var pages: StoredPages.Iterator

        /// The next page of entries, or `nil` at the end.
        public mutating func next() async throws -> [LedgerEntry]? {
            try await pages.next()?.map(Ledger.decode)
        }
    }
}
