import CoreMetrics

/// What a ledger reports through swift-metrics, each with the dimension
/// `origin`:
///
/// | metric | kind | what |
/// |---|---|---|
/// | `civic_ledger_append_duration` | timer | from an append call to its durable receipt (accepted appends) |
/// | `civic_ledger_commit_entries` | recorder | entries per group commit |
/// | `civic_ledger_commit_duration` | timer | the store's durable write of one group commit |
/// | `civic_ledger_queue_depth` | gauge | requests waiting for the next commit |
/// | `civic_ledger_refusals` | counter, dimension `code` | appends refused, by error code (`invalid-signature`, `not-authorised`, `store-conflict` …) |
/// | `civic_ledger_size` | gauge | entries in the log after the last commit |
///
/// The factory is ``LedgerConfiguration/metricsFactory``, or the
/// process's `MetricsSystem` (bootstrapped by the service, with a
/// Prometheus or OpenTelemetry backend).
public struct LedgerMetrics: Sendable {
    /// The labels, for dashboards and tests.
    public enum Label {
        /// Append latency.
        public static let appendDuration = "civic_ledger_append_duration"
        /// Batch size.
        public static let commitEntries = "civic_ledger_commit_entries"
        /// The store's write of one batch.
        public static let commitDuration = "civic_ledger_commit_duration"
        /// Queue depth.
        public static let queueDepth = "civic_ledger_queue_depth"
        /// Refusals by code.
        public static let refusals = "civic_ledger_refusals"
        /// Log size.
        public static let size = "civic_ledger_size"
    }

    let factory: any MetricsFactory
    let dimensions: [(String, String)]
    let appendDuration: Timer
    let commitEntries: Recorder
    let commitDuration: Timer
    let queueDepth: Gauge
    let size: Gauge

    init(origin: String, factory: (any MetricsFactory)?) {
        let factory = factory ?? MetricsSystem.factory
        let dimensions = [("origin", origin)]
        self.factory = factory
        self.dimensions = dimensions
        appendDuration = Timer(label: Label.appendDuration, dimensions: dimensions, factory: factory)
        commitEntries = Recorder(label: Label.commitEntries, dimensions: dimensions, factory: factory)
        commitDuration = Timer(label: Label.commitDuration, dimensions: dimensions, factory: factory)
        queueDepth = Gauge(label: Label.queueDepth, dimensions: dimensions, factory: factory)
        size = Gauge(label: Label.size, dimensions: dimensions, factory: factory)
    }

    /// Counts an append refused with `code`.
    func refused(_ code: LedgerError.Code) {
        Counter(label: Label.refusals, dimensions: dimensions + [("code", code.rawValue)], factory: factory).increment()
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to `Int64`: what swift-metrics timers take.
    var civicNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.clampedMultiplied(by: 1_000_000_000).clampedAdding(attoseconds / 1_000_000_000)
    }
}
