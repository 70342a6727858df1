#if PostgreSQL
import ServiceLifecycle

/// A store is owned by whoever runs it: in a `ServiceGroup`, list it first,
/// before the ledger and the read side, so that the group stops it last,
/// after the ledger has drained. Its connection pool (postgres-nio's
/// `PostgresClient`, started when the store is made) runs until the group
/// shuts down gracefully or its task is cancelled; then the pool is
/// stopped. A program without a service group calls ``close()``.
extension PostgresEventStore: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }
}

/// The key vault on the server, run like the store.
extension PostgresKeyVault: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }
}
#endif
