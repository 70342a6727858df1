import CivicLedger
import CivicLedgerSQLite
import CivicLedgerTesting
import Foundation
import Logging
import ServiceLifecycle
import Testing

@Suite("Key files written by the library: 0600, both or neither, never overwritten")
struct KeyFileTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("civic-ledger-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue
    }

    @Test("write: the secret key at 0600, its public key beside it, and the key reads back")
    func write() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("worker.key").path
        let key = SigningKey.generate()
        try LocalKeyFiles.write(key, to: path)
        #expect(try Self.mode(path) == 0o600)
        #expect(try Self.mode(path + ".pub") == 0o644)
        #expect(try LocalKeyFiles.readSecretKey(at: path).publicKey == key.publicKey)
        #expect(try LocalKeyFiles.publicKey(path + ".pub") == key.publicKey)
        // Nothing else was left in the folder (no temporary files, no marker).
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["worker.key", "worker.key.pub"])
    }

    @Test("write refuses an existing file, either of the two, and leaves both as they were")
    func neverOverwrites() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("k.key").path
        FileManager.default.createFile(atPath: path + ".pub", contents: Data("mine".utf8))
        #expect(throws: LedgerError.self) { try LocalKeyFiles.write(SigningKey.generate(), to: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(FileManager.default.contents(atPath: path + ".pub") == Data("mine".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["k.key.pub"])
    }

    @Test("readOrCreate makes a key on the first call and reads the same key on every call after")
    func readOrCreate() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("log.key").path
        let first = try LocalKeyFiles.readOrCreate(at: path)
        let second = try LocalKeyFiles.readOrCreate(at: path)
        #expect(first.publicKey == second.publicKey)
        #expect(try Self.mode(path) == 0o600)
        // A folder where the key should be is an error, not a trap.
        let inTheWay = folder.appendingPathComponent("folder.key").path
        try FileManager.default.createDirectory(atPath: inTheWay, withIntermediateDirectories: false)
        #expect(throws: LedgerError.self) { _ = try LocalKeyFiles.readOrCreate(at: inTheWay) }
    }
}

@Suite("Stores owned by a service group")
struct StoreServiceTests {
    @Test("a store and a vault in a service group stay open while it runs and close when it shuts down")
    func closedByTheGroup() async throws {
        let folder = try KeyFileTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteEventStore(path: folder.appendingPathComponent("l.sqlite").path)
        let vault = try SQLiteKeyVault(path: folder.appendingPathComponent("l.vault").path)
        let fixture = try await LedgerFixture.make(store: store)
        let group = ServiceGroup(services: [store, vault, fixture.ledger], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        _ = try await fixture.enrol("w1", role: "worker", scope: "town")
        #expect(try await store.head()?.size == 2)
        _ = try await vault.key(for: "r1")
        await group.triggerGracefulShutdown()
        try await running.value
        // Closed: the store and the vault refuse, and the file is whole (no write-ahead log left).
        await #expect(throws: (any Error).self) { _ = try await store.head() }
        await #expect(throws: (any Error).self) { _ = try await vault.existingKey(for: "r1") }
        let log = (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("l.sqlite-wal").path)[.size] as? NSNumber)?.intValue ?? 0
        #expect(log == 0, "the write-ahead log was checkpointed into the file")
        #expect(try await SQLiteEventStore(path: folder.appendingPathComponent("l.sqlite").path).head()?.size == 2)
    }
}
