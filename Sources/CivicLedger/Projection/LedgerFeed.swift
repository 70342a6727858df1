/// The entries of a store's log from a position on, live, a page at a
/// time: first what the log holds, then each commit as it becomes durable,
/// whoever made it (this process, another process on the same file,
/// another instance on the same database).
///
/// ```swift
/// for try await page in LedgerFeed(store: store, from: board.nextPosition) {
///     for entry in page { try board.fold(entry) }
/// }
/// ```
///
/// The feed never skips a position: each page starts where the last one
/// ended, and a page that does not (a store that returned a gap) throws
/// `.gap` rather than pass it over. It never stalls on a missed wake-up:
/// it waits on ``EventStoreReader/waitForGrowth(beyond:timeout:)`` for at most
/// ``recheckInterval`` before it reads the store again. It ends when the
/// task is cancelled, or at ``end`` when one is given.
public struct LedgerFeed: AsyncSequence, Sendable {
    public typealias Element = [LedgerEntry]

    /// The store read.
    public let store: any EventStoreReader
    /// The first position.
    public let start: UInt64
    /// Stop before this position; `nil` to follow the log forever.
    public var end: UInt64?
    /// Entries per page, at most.
    public var pageSize: Int
    /// The longest the feed waits for a wake-up before it reads the store
    /// again. Default one second.
    public var recheckInterval: Duration
    /// Return an empty page when a wait of ``recheckInterval`` passed with
    /// nothing new (`true`), so that a consumer can do something while the
    /// log is quiet (send a keep-alive, notice a closed connection);
    /// otherwise (the default) pages are never empty.
    public var yieldsIdlePages: Bool

    /// A feed of `store` from `position` on.
    public init(
        store: any EventStoreReader, from position: UInt64 = 0, to end: UInt64? = nil, pageSize: Int = 1024, recheckInterval: Duration = .seconds(1),
        yieldsIdlePages: Bool = false
    ) {
        self.store = store
        self.start = position
        self.end = end
        self.pageSize = Swift.max(1, pageSize)
        self.recheckInterval = recheckInterval
        self.yieldsIdlePages = yieldsIdlePages
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(feed: self, next: start)
    }

    /// Reads a page at a time, and waits for growth at the end of the log.
    public struct Iterator: AsyncIteratorProtocol {
        let feed: LedgerFeed
        /// The position of the next entry the feed returns.
        public private(set) var next: UInt64

        /// The next page (empty only after a quiet wait, with
        /// ``LedgerFeed/yieldsIdlePages``), or `nil` once the task is
        /// cancelled or the feed reached its end.
        ///
        /// - Throws: ``LedgerError`` `.gap` when the store returns entries
        ///   that do not start at the next position or are not
        ///   consecutive; `.malformed` for an entry that does not decode;
        ///   store errors.
        public mutating func next() async throws -> [LedgerEntry]? {
            while !Task.isCancelled {
                var limit = feed.pageSize
                if let end = feed.end {
                    guard next < end else { return nil }
                    limit = Int(clamping: Swift.min(UInt64(limit), end - next))
                }
                let stored = try await feed.store.entries(from: next, limit: limit)
                if stored.isEmpty {
                    let grown = try await feed.store.waitForGrowth(beyond: next, timeout: feed.recheckInterval)
                    if grown == nil, feed.yieldsIdlePages, !Task.isCancelled { return [] }
                    continue
                }
                var page: [LedgerEntry] = []
                page.reserveCapacity(stored.count)
                for (offset, entry) in stored.enumerated() {
                    let expected = next + UInt64(offset)
                    guard entry.position == expected else {
                        throw LedgerError(
                            .gap, "the store returned position \(entry.position) where position \(expected) belongs",
                            position: expected, remedy: .verify)
                    }
                    page.append(try Ledger.decode(entry))
                }
                next += UInt64(page.count)
                return page
            }
            return nil
        }
    }
}

/// The entries of a ledger from a position on, live, one at a time: see
/// ``Ledger/subscribe(from:pageSize:)`` and ``LedgerFeed``.
public struct LedgerSubscription: AsyncSequence, Sendable {
    public typealias Element = LedgerEntry
    let feed: LedgerFeed

    public func makeAsyncIterator() -> Iterator {
        Iterator(pages: feed.makeAsyncIterator())
    }

    /// Hands out a page's entries, then reads the next page.
    public struct Iterator: AsyncIteratorProtocol {
        var pages: LedgerFeed.Iterator
        var buffer: [LedgerEntry] = []
        var index = 0

        /// The next entry, or `nil` once the task is cancelled.
        public mutating func next() async throws -> LedgerEntry? {
            while index == buffer.count {
                guard let page = try await pages.next() else { return nil }
                buffer = page
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }
}
