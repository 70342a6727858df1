#if PostgreSQL
import CivicLedger
import CivicLedgerPostgres
import CivicLedgerTesting
import Foundation
import PostgresNIO
import Testing

/// The PostgreSQL store against a real server: the URL in
/// `CIVIC_LEDGER_TEST_POSTGRES_URL` (`make test` starts a throwaway
/// cluster and sets it). Each check gets a ledger (schema) of its own.
let postgresURL = ProcessInfo.processInfo.environment["CIVIC_LEDGER_TEST_POSTGRES_URL"]

/// A new ledger name for one check.
func newLedgerName() -> String {
    "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
}

@Suite("PostgresEventStore", .enabled(if: postgresURL != nil, "set CIVIC_LEDGER_TEST_POSTGRES_URL (make test starts a cluster)"))
struct PostgresStoreTests {
    static func store(_ schema: String = newLedgerName()) async throws -> PostgresEventStore {
        try await PostgresEventStore(url: try #require(postgresURL), schema: schema)
    }

    /// A client of the test server of its own, for what the store does not do.
    static func withClient(_ body: (PostgresClient) async throws -> Void) async throws {
        let client = PostgresClient(configuration: try PostgresLocation(url: try #require(postgresURL)).configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await body(client)
            group.cancelAll()
        }
    }

    @Test("passes the store conformance suite", arguments: StoreConformance.checks)
    func conformance(_ check: StoreConformance.Check) async throws {
        try await check.run { try await Self.store() }
    }

    @Test("4 instances × 60 appends on one ledger, own and shared streams: gapless, each once, one root per checkpoint size, verify clean")
    func manyWriters() async throws {
        let schema = newLedgerName()
        try await ManyWriters.run(instances: 4, appendsPerInstance: 60) { try await Self.store(schema) }
    }

    @Test("two instances race for one stream version: one event is refused alone, the rest of both batches goes in")
    func streamVersionRaceRefusesOneEvent() async throws {
        let schema = newLedgerName()
        let fixture = try await LedgerFixture.make(store: try await Self.store(schema))
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let other = try await Ledger.open(store: try await Self.store(schema), logSigner: FixtureKeys.key("log"))
        for round in 0..<5 {
            let contested = "case/contested-\(round)"
            let events = try [
                (fixture.ledger, fixture.event(by: worker, stream: contested, expectedVersion: .exactly(0))),
                (fixture.ledger, fixture.event(by: worker, stream: "case/a-\(round)")),
                (other, fixture.event(by: worker, stream: contested, expectedVersion: .exactly(0))),
                (other, fixture.event(by: worker, stream: "case/b-\(round)")),
            ]
            let outcomes = await withTaskGroup(of: (Int, LedgerError.Code?).self) { group in
                for (index, (ledger, event)) in events.enumerated() {
                    group.addTask {
                        do {
                            _ = try await ledger.append(event)
                            return (index, nil)
                        } catch let error as LedgerError {
                            return (index, error.code)
                        } catch {
                            return (index, .storeFailure)
                        }
                    }
                }
                return await group.reduce(into: [Int: LedgerError.Code?]()) { $0[$1.0] = $1.1 }
            }
            #expect(outcomes[1] == .some(nil) && outcomes[3] == .some(nil), "round \(round): an uncontested event was refused: \(outcomes)")
            let refused = [outcomes[0], outcomes[2]].filter { $0 != .some(nil) }
            #expect(refused.count == 1, "round \(round): \(outcomes)")
            #expect(refused.first == .some(.streamVersionConflict), "round \(round): \(outcomes)")
        }
        #expect(try await LedgerVerifier(store: try await Self.store(schema)).verify().isClean)
    }

    @Test("another instance's commit wakes a waiter at once, by NOTIFY")
    func notifyWakesWaiters() async throws {
        let schema = newLedgerName()
        let fixture = try await LedgerFixture.make(store: try await Self.store(schema))
        let reader = try await Self.store(schema)
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        // The listener is up once a first wait returned.
        #expect(try await reader.waitForGrowth(beyond: 0, timeout: .seconds(5)) == 2)
        let started = ContinuousClock.now
        async let woken = reader.waitForGrowth(beyond: 2, timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(50))
        _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/1"))
        #expect(try await woken == 3)
        // Far under the 30 s timeout and the 10 ms polling a store without NOTIFY does.
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("a listener whose connection was cut catches up from the head, without skipping")
    func listenerReconnects() async throws {
        let schema = newLedgerName()
        let fixture = try await LedgerFixture.make(store: try await Self.store(schema))
        let reader = try await Self.store(schema)
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        #expect(try await reader.waitForGrowth(beyond: 0, timeout: .seconds(5)) == 2)
        // Cut every listening connection on the server: notifications sent
        // before the listener is back are lost.
        try await Self.withClient { client in
            try await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()")
        }
        _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/1"))
        _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/2"))
        #expect(try await reader.waitForGrowth(beyond: 2, timeout: .seconds(10)) == 4)
        var feed = LedgerFeed(store: reader, from: 2).makeAsyncIterator()
        #expect(try await feed.next()?.map(\.position) == [2, 3])
    }

    @Test("ledgers in one database are apart: their own positions, and one's held append lock never stops another's commits")
    func ledgersSideBySide() async throws {
        let one = try await LedgerFixture.make(store: try await Self.store())
        let two = try await LedgerFixture.make(store: try await Self.store())
        let lock = try #require(try await one.store.lockAppends())
        defer { lock.unlock() }
        let worker = try await two.enrol("w1", role: "worker", scope: "town")
        let receipt = try await two.ledger.append(try two.event(by: worker, stream: "case/1"))
        #expect(receipt.position == 2)
        #expect(try await one.store.head()?.size == 1)
    }

    @Test("one instance at a time holds the checkpoint lock")
    func checkpointLock() async throws {
        let schema = newLedgerName()
        let one = try await Self.store(schema), two = try await Self.store(schema)
        let inner: Int?? = try await one.withCheckpointLock {
            // Held by the first: the second is turned away without running.
            try await two.withCheckpointLock { 1 }
        }
        #expect(inner == .some(nil))
        #expect(try await two.withCheckpointLock { 2 } == 2)
    }

    @Test("the key vault on PostgreSQL: one key per subject for every instance, erasure for good, in a schema apart from the ledger")
    func keyVault() async throws {
        let schema = newLedgerName()
        try await KeyVaultConformance.run { try await PostgresKeyVault(url: try #require(postgresURL), schema: schema) }
        let ledger = newLedgerName()
        let url = try #require(postgresURL) + "&ledger=\(ledger)"
        #expect(try await PostgresKeyVault(url: url).schema == ledger + "_vault")
    }

    @Test("URLs: libpq's conventions and the ledger's name; bad ones refused with the reason")
    func urls() throws {
        let location = try PostgresLocation(url: "postgres://alice:secret@db.example:6543/city?ledger=dongsheng&sslmode=require", environment: [:])
        #expect(location.ledger == "dongsheng")
        #expect(!location.description.contains("secret"))
        #expect(location.configuration.username == "alice")
        #expect(location.configuration.password == "secret")
        #expect(location.configuration.database == "city")
        #expect(location.configuration.port == 6543)
        #expect(location.configuration.host == "db.example")
        let local = try PostgresLocation(url: "postgresql:///?host=/run/pg&port=5433", environment: ["PGUSER": "bob", "PGPASSWORD": "pw"])
        #expect(local.ledger == "civic_ledger")
        #expect(local.configuration.username == "bob")
        #expect(local.configuration.password == "pw")
        #expect(local.configuration.database == "bob")
        #expect(local.configuration.unixSocketPath == "/run/pg/.s.PGSQL.5433")
        for (url, reason) in [
            ("mysql://x", "not a postgres"), ("postgres://h/db?ledger=Bad-Name", "ledger \"Bad-Name\""),
            ("postgres://h/db?sslmode=maybe", "sslmode \"maybe\""), ("postgres://h/db?port=99999", "port"),
            ("postgres://h/db?colour=blue", "\"colour\""),
        ] {
            #expect { try PostgresLocation(url: url, environment: [:]) } throws: { ($0 as? LedgerError)?.message.contains(reason) == true }
        }
    }
}
#endif
