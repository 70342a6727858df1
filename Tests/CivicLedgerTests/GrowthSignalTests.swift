import CivicLedger
import Testing

/// The one waiter the library has for a count that only grows: a store's
/// size for the feed, a projection's next position for read-your-writes.
@Suite("GrowthSignal: the one waiter")
struct GrowthSignalTests {
    struct Broken: Error {}

    /// Waits until `signal` has `count` registered waiters.
    static func registered(_ signal: GrowthSignal, _ count: Int) async throws {
        while signal.waiterCount < count { try await Task.sleep(for: .milliseconds(1)) }
    }

    @Test("a wait ends reached, timed out, cancelled or failed, and says which; none is lost between check and registration")
    func outcomes() async throws {
        let signal = GrowthSignal()
        // Reached, by a later publication.
        let waiter = Task { await signal.outcome(beyond: 2, timeout: .seconds(60)) }
        try await Self.registered(signal, 1)
        signal.publish(5)
        guard case .reached(5) = await waiter.value else { Issue.record("not reached at 5"); return }
        // Already past: at once.
        guard case .reached(5) = await signal.outcome(beyond: 4, timeout: .seconds(60)) else { Issue.record("not at once"); return }
        // Timed out.
        guard case .timedOut = await signal.outcome(beyond: 5, timeout: .milliseconds(20)) else { Issue.record("no timeout"); return }
        // Cancelled while waiting.
        let cancelled = Task { await signal.outcome(beyond: 5, timeout: .seconds(60)) }
        try await Self.registered(signal, 1)
        cancelled.cancel()
        guard case .cancelled = await cancelled.value else { Issue.record("not cancelled"); return }
        #expect(signal.waiterCount == 0)
        // Failed: every waiter now, and every wait after.
        let failing = (0..<3).map { _ in Task { await signal.outcome(beyond: 5, timeout: .seconds(60)) } }
        try await Self.registered(signal, 3)
        signal.fail(Broken())
        for task in failing {
            guard case .failed(let error) = await task.value, error is Broken else { Issue.record("not failed"); return }
        }
        guard case .failed = await signal.outcome(beyond: 0, timeout: .seconds(60)) else { Issue.record("a later wait did not fail"); return }
        #expect(await signal.wait(beyond: 0, timeout: .seconds(60)) == nil)
    }

    @Test("many waiters at many thresholds: each wakes exactly when its threshold is passed")
    func manyWaiters() async throws {
        let signal = GrowthSignal()
        let waiters = (0..<50).map { threshold in
            Task { (threshold, await signal.wait(beyond: UInt64(threshold), timeout: .seconds(60))) }
        }
        try await Self.registered(signal, 50)
        for size in stride(from: 10, through: 60, by: 10) { signal.publish(UInt64(size)) }
        for waiter in waiters {
            let (threshold, woken) = await waiter.value
            // Woken by the first published size above its threshold.
            #expect(woken == UInt64((threshold / 10 + 1) * 10))
        }
    }
}
