import ServiceLifecycle

/// A store is owned by whoever runs it: in a `ServiceGroup`, list it first,
/// before the ledger and the read side, so that the group stops it last,
/// after the ledger has drained. It holds the database open until the
/// group shuts down gracefully (or its task is cancelled), then closes it.
extension SQLiteEventStore: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        try close()
    }
}

/// The key vault, run like the store: closed when the group shuts down.
extension SQLiteKeyVault: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        try close()
    }
}
