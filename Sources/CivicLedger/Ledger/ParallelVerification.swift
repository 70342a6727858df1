import Foundation

/// Checks many signatures on every core.
enum ParallelVerification {
    /// The number of cores to spread signature checks over.
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// `result[i]` is `true` when `events[i]` has a valid signature.
    ///
    /// Small inputs are checked on the calling task; larger ones are split
    /// into one chunk per core.
    static func check(_ events: [SignedEvent]) async -> [Bool] {
        await check(count: events.count) { events[$0].hasValidSignature }
    }

    /// `result[i]` is `transform(i)`, computed for `0..<count` on every
    /// core, blocking the caller until done: for work already off the
    /// caller's path (the auditor's read-ahead task).
    static func mapBlocking<T>(count: Int, _ transform: @Sendable (Int) -> T) -> [T] {
        if count < 8 || cores == 1 {
            return (0..<count).map(transform)
        }
        // Small parts, handed out as threads come free: a core that also
        // runs the caller's other work (the auditor's replay) takes fewer
        // of them, and no core waits idle for a slower one's half. At 64
        // parts a core, a page's last part leaves the other core idle for
        // about a millisecond.
        let chunk = max(8, count / (cores * 64))
        let parts = (count + chunk - 1) / chunk
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            // Each part writes its own disjoint slice of the buffer.
            nonisolated(unsafe) let base = buffer.baseAddress!
            withoutActuallyEscaping(transform) { transform in
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    for index in part * chunk..<min(count, (part + 1) * chunk) {
                        (base + index).initialize(to: transform(index))
                    }
                }
            }
            initialized = count
        }
    }

    /// `result[i]` is `isValid(i)`, computed for `0..<count` on every core.
    static func check(count: Int, _ isValid: @escaping @Sendable (Int) -> Bool) async -> [Bool] {
        if count < 8 || cores == 1 {
            return (0..<count).map(isValid)
        }
        let chunk = (count + cores - 1) / cores
        return await withTaskGroup(of: (Int, [Bool]).self) { group in
            for start in stride(from: 0, to: count, by: chunk) {
                group.addTask {
                    (start, (start..<min(count, start + chunk)).map(isValid))
                }
            }
            var result = [Bool](repeating: false, count: count)
            for await (start, values) in group {
                result.replaceSubrange(start..<start + values.count, with: values)
            }
            return result
        }
    }
}
