import CivicLedger
import CoreMetrics
import Synchronization

/// What the benchmark's ledger reported of its group commits, through
/// swift-metrics: how many entries each commit carried and how long the
/// store took to make each durable. The rest of the metrics are dropped.
final class CommitMetrics: MetricsFactory {
    private let entries = Samples()
    private let durations = Samples()

    /// The commits' sizes and store write times so far.
    var summary: (commits: Int, meanEntries: Double, meanMicroseconds: Double, p99Microseconds: Double) {
        let sizes = entries.values
        let times = durations.values.sorted()
        let commits = sizes.count
        guard commits > 0, !times.isEmpty else { return (0, 0, 0, 0) }
        let p99 = times[min(times.count - 1, times.count * 99 / 100)]
        return (
            commits, Double(sizes.reduce(0, +)) / Double(commits), Double(times.reduce(0, +)) / Double(times.count) / 1000,
            Double(p99) / 1000
        )
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        label == LedgerMetrics.Label.commitEntries ? entries : NOOPMetricsHandler.instance
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        label == LedgerMetrics.Label.commitDuration ? durations : NOOPMetricsHandler.instance
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { NOOPMetricsHandler.instance }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}

/// Every value recorded, as integers.
private final class Samples: RecorderHandler, TimerHandler {
    private let recorded = Mutex<[Int64]>([])

    var values: [Int64] { recorded.withLock { $0 } }

    func record(_ value: Int64) { recorded.withLock { $0.append(value) } }
    func record(_ value: Double) { record(Int64(clamping: Int(value.rounded()))) }
    func recordNanoseconds(_ duration: Int64) { record(duration) }
}
