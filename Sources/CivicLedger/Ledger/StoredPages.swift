import Dispatch

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

    let store: any EventStoreReader
    let start: UInt64
    let end: UInt64?
    let pageSize: Int

    /// Entries of `store` from position `start` up to (not including)
    /// `end`, or to the end of the log.
    public init(store: any EventStoreReader, from start: UInt64 = 0, to end: UInt64? = nil, pageSize: Int = 4096) {
        self.store = store
        self.start = start
        self.end = end
        self.pageSize = Swift.max(1, pageSize)
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: StoredPageReader(store: store, next: start, end: end, pageSize: pageSize))
    }

    /// Reads the next page while the caller works on this one.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        var reader: StoredPageReader

        /// The next page, or `nil` at the end.
        public mutating func next() async throws -> [StoredEntry]? {
            try await reader.next()
        }
    }
}

/// A task cancelled when the last holder of it goes: a page read ahead
/// that nobody will take (the reader stopped, broke out of its loop, or
/// was cancelled) stops instead of reading on.
final class ReadAhead<Success: Sendable>: Sendable {
    let task: Task<Success, any Error>

    init(_ task: Task<Success, any Error>) { self.task = task }

    deinit { task.cancel() }

    var value: Success {
        get async throws { try await task.value }
    }
}

/// Work that keeps a core busy (decoding, hashing, checking signatures),
/// run on a queue of its own rather than on the cooperative pool, whose
/// few threads the rest of the process needs.
enum CPUWork {
    static let queue = DispatchQueue(label: "civic-ledger.cpu-work", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// Reads pages of stored entries one ahead of the caller.
struct StoredPageReader: Sendable {
    let store: any EventStoreReader
    var next: UInt64
    let end: UInt64?
    let pageSize: Int
    var ahead: ReadAhead<[StoredEntry]>?

    init(store: any EventStoreReader, next: UInt64, end: UInt64?, pageSize: Int) {
        self.store = store
        self.next = next
        self.end = end
        self.pageSize = pageSize
    }

    func read(from position: UInt64) -> ReadAhead<[StoredEntry]>? {
        let limit = end.map { $0 > position ? Int(Swift.min(UInt64(pageSize), $0 - position)) : 0 } ?? pageSize
        guard limit > 0 else { return nil }
        let store = self.store
        return ReadAhead(Task { try await store.entries(from: position, limit: limit) })
    }

    mutating func next() async throws -> [StoredEntry]? {
        guard let pending = ahead ?? read(from: next) else { return nil }
        ahead = nil
        let stored = try await pending.value
        guard let last = stored.last else { return nil }
        next = last.position.clampedAdding(1)
        if stored.count == pageSize || end != nil { ahead = read(from: next) }
        return stored
    }
}

/// Pages of stored entries turned into a `Page` in a pipeline of three
/// stages: while the caller works on page *k*, page *k + 1* is turned on
/// one task and page *k + 2* is read on another. The auditor turns pages
/// by decoding, hashing and checking their signatures on every core
/// (`CheckedPage`); with the read in a stage of its own, the cores are not
/// left idle while SQLite reads the next page (≈ 3% on a 100,000-entry
/// audit, nine alternating runs).
struct PageReader<Page: Sendable>: Sendable {
    /// The turned page, and the reader positioned after it.
    typealias Turned = (page: Page, rest: StoredPageReader)

    let transform: @Sendable ([StoredEntry]) throws -> Page
    var reader: StoredPageReader?
    var ahead: ReadAhead<Turned?>?

    init(store: any EventStoreReader, next: UInt64, end: UInt64?, pageSize: Int, transform: @escaping @Sendable ([StoredEntry]) throws -> Page) {
        self.reader = StoredPageReader(store: store, next: next, end: end, pageSize: pageSize)
        self.transform = transform
    }

    /// Takes the next stored page from `reader` and turns it, off the
    /// cooperative pool (``CPUWork``); the reader, which now reads the
    /// page after, comes back with it.
    func turn(_ reader: StoredPageReader) -> ReadAhead<Turned?> {
        let transform = self.transform
        return ReadAhead(
            Task {
                var reader = reader
                guard let stored = try await reader.next() else { return nil }
                try Task.checkCancellation()
                return (try await CPUWork.run { try transform(stored) }, reader)
            })
    }

    mutating func next() async throws -> Page? {
        guard let pending = ahead ?? reader.map(turn) else { return nil }
        ahead = nil
        reader = nil
        guard let turned = try await pending.value else { return nil }
        ahead = turn(turned.rest)
        return turned.page
    }
}

/// Decoded entries in position order, a page at a time: the next page is
/// read on another task while the caller uses the current one.
///
/// Each page is decoded on the caller's task, 16 entries at a time, just
/// before they are handed over; ``forEach(_:)`` decodes one entry at a
/// time and is faster still. Decoding a whole page on the reading task
/// instead, beside the caller's folds, measured slower: the decoded page
/// has left the cache by the time it is folded, and each entry is freed by
/// a thread that did not allocate it (docs/architecture.md, "Reading").
///
/// - Throws: from iteration, ``LedgerError`` `.malformed` when a stored
///   entry does not decode or is stored at the wrong position; store errors.
public struct EntryPages: AsyncSequence, Sendable {
    public typealias Element = [LedgerEntry]

    let pages: StoredPages

    /// Entries of `store` from position `start` up to (not including)
    /// `end`, or to the end of the log.
    public init(store: any EventStoreReader, from start: UInt64 = 0, to end: UInt64? = nil, pageSize: Int = 4096) {
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
