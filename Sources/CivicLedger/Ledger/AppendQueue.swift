/// The group-commit queue as a value: requests wait here while a commit is
/// in flight and leave together as the next batch.
///
/// `enqueue` says whether the caller must start the commit loop (the queue
/// was idle); `nextBatch` hands out the next batch or, when nothing waits,
/// returns `nil` and goes idle. At most one commit loop runs at a time.
struct AppendQueue<Request> {
    enum State: Equatable {
        case idle
        case committing
    }

    private(set) var state: State = .idle
    private(set) var waiting: [Request] = []

    /// Queues a request of `entries` events. Returns `true` when the
    /// caller must start the commit loop.
    mutating func enqueue(_ request: Request, entries: Int) -> Bool {
        waiting.append(request)
        guard state == .idle else { return false }
        state = .committing
        return true
    }

    /// Takes requests in arrival order until they hold `maximumEntries`
    /// events (always at least one request). Returns `nil`, and goes idle,
    /// when nothing waits.
    mutating func nextBatch(maximumEntries: Int, entries: (Request) -> Int) -> [Request]? {
        guard !waiting.isEmpty else {
            state = .idle
            return nil
        }
        var count = 0
        var taken = 0
        while taken < waiting.count {
            let size = entries(waiting[taken])
            if taken > 0 && count + size > maximumEntries { break }
            count += size
            taken += 1
        }
        let batch = Array(waiting[..<taken])
        waiting.removeFirst(taken)
        return batch
    }
}
