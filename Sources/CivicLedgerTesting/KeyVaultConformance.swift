import CivicLedger

/// What every `KeyVault` must do, checked on a real one: a subject's key
/// is made once and then always the same, from any object on the same
/// vault, whatever characters the subject holds; a batch gives the keys
/// one by one would; a destroyed key is
/// gone for good and its subject refused a new one.
public enum KeyVaultConformance {
    /// Runs the checks; `open` returns a new object on one vault.
    ///
    /// - Throws: ``ConformanceFailure`` naming what the vault did wrong.
    public static func run(open: @escaping @Sendable () async throws -> any KeyVault) async throws {
        let vault = try await open()
        let first = try await vault.key(for: "r1")
        try expect(try await vault.key(for: "r1") == first, "a second key(for:) gave another key")
        let other = try await open()
        try expect(try await other.existingKey(for: "r1") == first, "another object on the vault does not see the key")
        let batch = try await other.keys(for: ["r1", "r2", "r3"])
        try expect(batch["r1"] == first && batch.count == 3, "keys(for:) gave \(batch.count) keys, or another key for r1")
        try expect(try await vault.key(for: "r2") == batch["r2"], "keys(for:) and key(for:) disagree on r2")
        try expect(batch["r2"] != batch["r3"], "two subjects share a key")
        try expect(try await vault.existingKey(for: "nobody") == nil, "existingKey made a key")
        // Any subject, a NUL and non-ASCII included (the pseudonym key's is "\u{0}pseudonym-key").
        let odd = try await vault.key(for: "\u{0}subject-金")
        try expect(try await other.existingKey(for: "\u{0}subject-金") == odd, "a subject with a NUL is not kept as given")
        try await vault.destroy(subject: "r2")
        try expect(try await other.isErased("r2"), "a destroyed subject is not erased for another object")
        try expect(try await other.existingKey(for: "r2") == nil, "a destroyed key is still there")
        try expect(!(try await other.isErased("r1")), "destroying r2 erased r1")
        for attempt in [{ _ = try await other.key(for: "r2") }, { _ = try await other.keys(for: ["r1", "r2"]) }] as [@Sendable () async throws -> Void] {
            do {
                try await attempt()
                throw ConformanceFailure("an erased subject got a key again")
            } catch let error as LedgerError {
                try expect(error.code == .erased, "an erased subject gave \(error.code), not erased")
            }
        }
    }

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        guard condition else { throw ConformanceFailure(message()) }
    }
}
