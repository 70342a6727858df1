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
/// read and decoded on another task while the caller uses the current one,
/// so decoding runs beside the caller's folds rather than before them.
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
        Iterator(
            reader: PageReader(store: pages.store, next: pages.start, end: pages.end, pageSize: pages.pageSize) { stored in
                try stored.map(Ledger.decode)
            })
    }

    /// Reads and decodes the next page on another task while the caller
    /// folds this one.
    public struct Iterator: AsyncIteratorProtocol {
        var reader: PageReader<[LedgerEntry]>

        /// The next page of entries, or `nil` at the end.
        public mutating func next() async throws -> [LedgerEntry]? {
            try await reader.next()
        }
    }
}
