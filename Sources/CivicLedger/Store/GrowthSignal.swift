import Synchronization

/// The size of a store's log as its writers publish it, and the readers
/// waiting for it to grow: what a store uses to implement
/// ``EventStoreReader/waitForGrowth(beyond:timeout:)``.
///
/// A store publishes the new size after each commit it makes, and after
/// it learns of another writer's commit (the SQLite store watches
/// `PRAGMA data_version`; a server store would listen for a
/// notification). Waiters for a smaller size wake at once. Sizes only go
/// up: publishing a smaller one changes nothing.
///
/// Thread-safe; waiting is cancellable and bounded by a timeout, so a
/// reader that missed a publication (a watcher that was not running, a
/// dropped notification) reads the store again instead of waiting forever.
///
/// It is the library's one waiter for a count that only grows: a
/// ``LiveProjection`` waits on one for its next position
/// (``LiveProjection/reach(_:timeout:)``), and may ``fail(_:)`` it.
public final class GrowthSignal: Sendable {
    /// How a wait ended.
    public enum Outcome: Sendable {
        /// A size greater than the threshold was published: this one.
        case reached(UInt64)
        /// The timeout passed first.
        case timedOut
        /// The waiting task was cancelled.
        case cancelled
        /// The signal failed (``fail(_:)``): nothing more will be published.
        case failed(any Error)
    }

    private enum Slot {
        case pending
        case waiting(threshold: UInt64, continuation: CheckedContinuation<Outcome, Never>)
        case ended(Outcome)
    }

    private struct State {
        var size: UInt64 = 0
        var failure: (any Error)?
        var slots: [Int: Slot] = [:]
        var waiting = 0
        var nextID = 0
    }

    private let state = Mutex(State())

    /// A signal that has seen no size yet.
    public init() {}

    /// The largest size published so far.
    public var size: UInt64 { state.withLock { $0.size } }

    /// The number of readers waiting now.
    public var waiterCount: Int { state.withLock { $0.waiting } }

    /// Publishes that the log holds `size` entries, waking every reader
    /// waiting for less.
    public func publish(_ size: UInt64) {
        let woken: [CheckedContinuation<Outcome, Never>] = state.withLock { state in
            guard size > state.size else { return [] }
            state.size = size
            var woken: [CheckedContinuation<Outcome, Never>] = []
            for (id, slot) in state.slots {
                if case .waiting(let threshold, let continuation) = slot, threshold < size {
                    state.slots[id] = nil
                    state.waiting -= 1
                    woken.append(continuation)
                }
            }
            return woken
        }
        for continuation in woken { continuation.resume(returning: .reached(size)) }
    }

    /// Fails the signal: every waiter now, and every later wait, ends with
    /// `.failed(error)`. The first failure stays.
    public func fail(_ error: any Error) {
        let (woken, failure): ([CheckedContinuation<Outcome, Never>], any Error) = state.withLock { state in
            let failure = state.failure ?? error
            state.failure = failure
            var woken: [CheckedContinuation<Outcome, Never>] = []
            for (id, slot) in state.slots {
                if case .waiting(_, let continuation) = slot {
                    state.slots[id] = nil
                    state.waiting -= 1
                    woken.append(continuation)
                }
            }
            return (woken, failure)
        }
        for continuation in woken { continuation.resume(returning: .failed(failure)) }
    }

    /// Waits until a size greater than `size` is published.
    ///
    /// - Returns: the size published, or `nil` when `timeout` passed first,
    ///   the calling task was cancelled, or the signal failed.
    public func wait(beyond size: UInt64, timeout: Duration) async -> UInt64? {
        if case .reached(let now) = await outcome(beyond: size, timeout: timeout) { return now }
        return nil
    }

    /// Waits until a size greater than `size` is published, and says how
    /// the wait ended.
    public func outcome(beyond size: UInt64, timeout: Duration) async -> Outcome {
        let registered: (id: Int?, done: Outcome?) = state.withLock { state in
            if let failure = state.failure { return (nil, .failed(failure)) }
            if state.size > size { return (nil, .reached(state.size)) }
            state.nextID += 1
            state.slots[state.nextID] = .pending
            return (state.nextID, nil)
        }
        if let done = registered.done { return done }
        guard let id = registered.id else { return .cancelled }
        let timer = Task {
            do {
                try await Task.sleep(for: timeout)
                self.end(id, .timedOut)
            } catch {}
        }
        defer {
            timer.cancel()
            state.withLock { _ = $0.slots.removeValue(forKey: id) }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let ready: Outcome? = state.withLock { state in
                    if let failure = state.failure { return .failed(failure) }
                    if state.size > size { return .reached(state.size) }
                    if Task.isCancelled { return .cancelled }
                    if case .ended(let outcome)? = state.slots[id] { return outcome }
                    state.slots[id] = .waiting(threshold: size, continuation: continuation)
                    state.waiting += 1
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            end(id, .cancelled)
        }
    }

    /// Ends one wait without a size: its timeout passed or its task was
    /// cancelled. A wait not registered yet is marked, and returns at once
    /// when it registers.
    private func end(_ id: Int, _ outcome: Outcome) {
        let continuation: CheckedContinuation<Outcome, Never>? = state.withLock { state in
            switch state.slots[id] {
            case .waiting(_, let continuation)?:
                state.slots[id] = nil
                state.waiting -= 1
                return continuation
            case .pending?:
                state.slots[id] = .ended(outcome)
                return nil
            case .ended?, nil:
                return nil
            }
        }
        continuation?.resume(returning: outcome)
    }
}
