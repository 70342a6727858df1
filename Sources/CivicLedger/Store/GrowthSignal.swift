import Synchronization

/// The size of a store's log as its writers publish it, and the readers
/// waiting for it to grow: what a store uses to implement
/// ``EventStore/waitForGrowth(beyond:timeout:)``.
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
public final class GrowthSignal: Sendable {
    private enum Slot {
        case pending
        case waiting(threshold: UInt64, continuation: CheckedContinuation<UInt64?, Never>)
        case expired
    }

    private struct State {
        var size: UInt64 = 0
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
        let woken: [(CheckedContinuation<UInt64?, Never>)] = state.withLock { state in
            guard size > state.size else { return [] }
            state.size = size
            var woken: [CheckedContinuation<UInt64?, Never>] = []
            for (id, slot) in state.slots {
                if case .waiting(let threshold, let continuation) = slot, threshold < size {
                    state.slots[id] = nil
                    state.waiting -= 1
                    woken.append(continuation)
                }
            }
            return woken
        }
        for continuation in woken { continuation.resume(returning: size) }
    }

    /// Waits until a size greater than `size` is published.
    ///
    /// - Returns: the size published, or `nil` when `timeout` passed first
    ///   or the calling task was cancelled.
    public func wait(beyond size: UInt64, timeout: Duration) async -> UInt64? {
        let id: Int? = state.withLock { state in
            if state.size > size { return nil }
            state.nextID += 1
            state.slots[state.nextID] = .pending
            return state.nextID
        }
        guard let id else { return self.size }
        let timer = Task {
            do {
                try await Task.sleep(for: timeout)
                self.end(id)
            } catch {}
        }
        defer {
            timer.cancel()
            state.withLock { _ = $0.slots.removeValue(forKey: id) }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<UInt64?, Never>) in
                let ready: UInt64?? = state.withLock { state in
                    if state.size > size { return .some(state.size) }
                    if Task.isCancelled { return .some(nil) }
                    if case .expired? = state.slots[id] { return .some(nil) }
                    state.slots[id] = .waiting(threshold: size, continuation: continuation)
                    state.waiting += 1
                    return .none
                }
                if case .some(let result) = ready { continuation.resume(returning: result) }
            }
        } onCancel: {
            end(id)
        }
    }

    /// Ends one wait without a size: its timeout passed or its task was
    /// cancelled. A wait not registered yet is marked, and returns at once
    /// when it registers.
    private func end(_ id: Int) {
        let continuation: CheckedContinuation<UInt64?, Never>? = state.withLock { state in
            switch state.slots[id] {
            case .waiting(_, let continuation)?:
                state.slots[id] = nil
                state.waiting -= 1
                return continuation
            case .pending?:
                state.slots[id] = .expired
                return nil
            case .expired?, nil:
                return nil
            }
        }
        continuation?.resume(returning: nil)
    }
}
