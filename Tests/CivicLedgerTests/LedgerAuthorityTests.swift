import CivicLedger
import CivicLedgerTesting
import Testing

@Suite("Keys and roles live in the log")
struct LedgerAuthorityTests {
    @Test("a rotated key stops at the rotation; the new key takes over the roles")
    func rotation() async throws {
        let fixture = try await LedgerFixture.make()
        let old = try await fixture.enrol("w1", role: "worker", scope: "town")
        let new = FixtureKeys.key("w1-new")
        // The key itself signs its rotation.
        let rotate = try SignedEvent(
            signing: SystemEvent.content(
                origin: LedgerFixture.origin, kind: SystemEvent.Kind.rotate,
                payload: SystemEvent.Rotate(actor: "w1", oldKey: old.publicKey, newKey: new.publicKey),
                actorKey: old.publicKey, clientTime: fixture.clock.now(), idempotencyKey: "rotate"),
            with: old)
        _ = try await fixture.ledger.append(rotate)
        let refused = await #expect(throws: LedgerError.self) { try await fixture.ledger.append(try fixture.event(by: old, stream: "case/1")) }
        #expect(refused?.code == .keyNotValid)
        _ = try await fixture.ledger.append(try fixture.event(by: new, stream: "case/1"))
        #expect(await fixture.ledger.registry.actors["w1"]?.key == new.publicKey)
    }

    @Test("a revoked key is refused from its effective position on")
    func revocation() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        _ = try await fixture.ledger.append(try fixture.systemEvent(kind: SystemEvent.Kind.revoke, payload: SystemEvent.Revoke(key: worker.publicKey, reason: "phone lost")))
        let error = await #expect(throws: LedgerError.self) { try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/1")) }
        #expect(error?.code == .keyNotValid)
        #expect(error?.message.contains("revoked from position 2") == true)
    }

    @Test("a revocation dated back makes the verifier report what the key signed since")
    func retroactiveRevocation() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        for index in 0..<4 { _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/\(index)")) }
        // Positions 2…5 are the worker's; it was compromised from position 4.
        _ = try await fixture.ledger.append(
            try fixture.systemEvent(kind: SystemEvent.Kind.revoke, payload: SystemEvent.Revoke(key: worker.publicKey, effectiveFrom: 4, reason: "compromised")))
        let report = try await LedgerVerifier(store: fixture.store).verify()
        #expect(report.findings.map(\.position) == [4, 5])
        #expect(report.findings.allSatisfy { $0.code == .keyNotValid })
    }

    @Test("changing the permission table changes who may sign what")
    func permissionsChange() async throws {
        let fixture = try await LedgerFixture.make()
        let resident = try await fixture.enrol("r1", role: "resident", scope: "town")
        let rate = try fixture.event(by: resident, stream: "case/1", kind: "case.rate")
        await #expect(throws: LedgerError.self) { try await fixture.ledger.append(rate) }
        _ = try await fixture.ledger.append(
            try fixture.systemEvent(
                kind: SystemEvent.Kind.setPermissions,
                payload: SystemEvent.SetPermissions(permissions: try PermissionTable(["resident": ["case.report", "case.rate"]]))))
        _ = try await fixture.ledger.append(rate)
    }

    @Test("a withdrawn role no longer authorises")
    func withdraw() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        _ = try await fixture.ledger.append(try fixture.systemEvent(kind: SystemEvent.Kind.withdraw, payload: SystemEvent.Withdraw(actor: "w1", role: "worker", scope: "town")))
        let error = await #expect(throws: LedgerError.self) { try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/1")) }
        #expect(error?.code == .notAuthorised)
    }

    @Test("malformed or disallowed system events are refused with the reason")
    func invalidSystemEvents() async throws {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("w1", role: "worker", scope: "town")
        let cases: [(SignedEvent, String)] = [
            (try fixture.systemEvent(kind: SystemEvent.Kind.enrol, payload: ["actor": "x"]), "is required"),
            (try fixture.systemEvent(kind: SystemEvent.Kind.enrol, payload: SystemEvent.Enrol(actor: "w2", key: worker.publicKey, role: "worker", scope: "town")), "already belongs"),
            (try fixture.systemEvent(kind: SystemEvent.Kind.revoke, payload: SystemEvent.Revoke(key: fixture.authority.publicKey, reason: "x")), "cannot be revoked"),
            (try fixture.systemEvent(kind: "ledger.unknown", payload: ["a": 1]), "unknown system event"),
            (try fixture.systemEvent(kind: SystemEvent.Kind.genesis, payload: ["a": 1]), "only valid at position 0"),
        ]
        for (event, reason) in cases {
            let error = await #expect(throws: LedgerError.self) { try await fixture.ledger.append(event) }
            #expect(error?.code == .invalidSystemEvent, "\(reason)")
            #expect(error?.message.contains(reason) == true, "\(String(describing: error)) should say \(reason)")
        }
        #expect(await fixture.ledger.size == 2)
    }
}
