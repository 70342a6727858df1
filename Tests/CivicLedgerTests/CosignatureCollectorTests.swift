import CivicLedger
import CivicLedgerTesting
import Foundation
import Synchronization
import Testing

/// A witness that can be taken down: while down, every request fails as an
/// unreachable host does.
final class SwitchableWitness: WitnessClient {
    let base: LocalWitnessClient
    let down = Mutex(false)
    let requests = Mutex(0)

    init(_ witness: Witness) { base = LocalWitnessClient(witness) }

    var cosigner: CosignerKey { base.cosigner }
    var address: String { base.address }

    func addCheckpoint(_ request: String) async throws -> WitnessReply {
        requests.withLock { $0 += 1 }
        if down.withLock({ $0 }) { throw LedgerError(.storeFailure, "connection refused") }
        return try await base.addCheckpoint(request)
    }
}

@Suite("CosignatureCollector: a ledger's checkpoints to its witnesses")
struct CosignatureCollectorTests {
    struct Setup {
        let fixture: LedgerFixture
        let worker: SigningKey
        let street: SwitchableWitness
        let bureau: SwitchableWitness
        let bureauState: InMemoryWitnessState
        let policy: WitnessPolicy
        var logKey: NoteKey { NoteKey(name: LedgerFixture.origin, publicKey: fixture.logKey.publicKey) }

        func append(_ count: Int) async throws {
            for index in 0..<count {
                _ = try await fixture.ledger.append(try fixture.event(by: worker, stream: "case/\(index % 7)"))
            }
        }

        func collector(_ witnesses: [any WitnessClient]? = nil) -> CosignatureCollector {
            CosignatureCollector(
                store: fixture.store, logKey: logKey, witnesses: witnesses ?? [street, bureau],
                options: .init(pollInterval: .milliseconds(10), retryInterval: .seconds(3600)))
        }

        func latest() async throws -> SignedCheckpoint {
            try SignedCheckpoint(parsing: try #require(try await fixture.store.latestCheckpoint()).note)
        }
    }

    static func witness(_ name: String, state: any WitnessStateStore, logKey: NoteKey) -> Witness {
        Witness(name: "\(name).witness.example/w1", signer: FixtureKeys.key("witness-\(name)"), logs: [logKey], state: state)
    }

    static func setup() async throws -> Setup {
        let fixture = try await LedgerFixture.make()
        let worker = try await fixture.enrol("worker-1", role: "worker", scope: "town")
        let logKey = NoteKey(name: LedgerFixture.origin, publicKey: fixture.logKey.publicKey)
        let bureauState = InMemoryWitnessState()
        let street = SwitchableWitness(witness("street", state: InMemoryWitnessState(), logKey: logKey))
        let bureau = SwitchableWitness(witness("bureau", state: bureauState, logKey: logKey))
        let policy = WitnessPolicy(
            logs: [logKey], witnesses: ["street": street.cosigner, "bureau": bureau.cosigner],
            quorum: .group(name: "both", threshold: 2, members: [.witness("street"), .witness("bureau")]))
        return Setup(fixture: fixture, worker: worker, street: street, bureau: bureau, bureauState: bureauState, policy: policy)
    }

    @Test("each new checkpoint is cosigned by both witnesses and stored so; the cosigned checkpoint meets a policy requiring both")
    func cosignsEachCheckpoint() async throws {
        let setup = try await Self.setup()
        let collector = setup.collector()
        for round in 1...3 {
            try await setup.append(40 * round)
            let size = try await setup.fixture.ledger.checkpoint().checkpoint.size
            let pass = try await collector.pass()
            #expect(pass.size == size && pass.cosignedBy.sorted() == [setup.bureau.cosigner.name, setup.street.cosigner.name])
            let stored = try await setup.latest()
            #expect(stored.note.signatures.count == 3)
            #expect(try setup.policy.check(stored) == ["bureau", "street"])
        }
        // Nothing new: no request is sent.
        let before = setup.street.requests.withLock { $0 }
        _ = try await collector.pass()
        #expect(setup.street.requests.withLock { $0 } == before)
    }

    @Test("a witness that is down does not stop the other, nor appends; it is retried and catches up with a consistency proof")
    func downWitness() async throws {
        let setup = try await Self.setup()
        let collector = setup.collector()
        try await setup.append(30)
        _ = try await setup.fixture.ledger.checkpoint()
        #expect(try await collector.pass().cosignedBy.count == 2)

        setup.bureau.down.withLock { $0 = true }
        try await setup.append(50)
        _ = try await setup.fixture.ledger.checkpoint()
        let pass = try await collector.pass()
        #expect(pass.cosignedBy == [setup.street.cosigner.name] && pass.failures[setup.bureau.cosigner.name] != nil)
        let partly = try await setup.latest()
        #expect(throws: LedgerError.self) { try setup.policy.check(partly) }
        // Appends go on while it is down.
        try await setup.append(10)
        let size = try await setup.fixture.ledger.checkpoint().checkpoint.size
        // Within the retry interval it is left alone.
        let requests = setup.bureau.requests.withLock { $0 }
        _ = try await collector.pass()
        #expect(setup.bureau.requests.withLock { $0 } == requests)

        setup.bureau.down.withLock { $0 = false }
        let back = try await collector.pass(force: true)
        #expect(back.size == size && back.cosignedBy.count == 2)
        #expect(try setup.policy.check(try await setup.latest()).count == 2)
        #expect(try await setup.bureauState.record(of: LedgerFixture.origin)?.size == size)
    }

    @Test("a restarted witness (and a new collector) continue from the witness's saved size, learnt from its 409")
    func restart() async throws {
        let setup = try await Self.setup()
        try await setup.append(20)
        _ = try await setup.fixture.ledger.checkpoint()
        #expect(try await setup.collector().pass().cosignedBy.count == 2)
        try await setup.append(20)
        _ = try await setup.fixture.ledger.checkpoint()
        let restarted = SwitchableWitness(Self.witness("bureau", state: setup.bureauState, logKey: setup.logKey))
        let pass = try await setup.collector([setup.street, restarted]).pass()
        #expect(pass.cosignedBy.count == 2, "\(pass.failures)")
        #expect(restarted.requests.withLock { $0 } == 2)  // old 0 → 409 with its size → from there
    }

    @Test("a checkpoint whose root is not the stored entries' is never sent; a forged split view gets no cosignature and fails the policy")
    func refusesForgeries() async throws {
        let setup = try await Self.setup()
        try await setup.append(25)
        let real = try await setup.fixture.ledger.checkpoint()
        #expect(try await setup.collector().pass().cosignedBy.count == 2)

        // The operator signs another root for the same size (a split view)
        // and asks the witnesses to cosign it.
        let forged = try SignedCheckpoint(
            signing: Checkpoint(origin: real.checkpoint.origin, size: real.checkpoint.size, root: SHA256.hash([9])),
            with: setup.fixture.logKey)
        for witness in [setup.street, setup.bureau] {
            let reply = try await witness.addCheckpoint(WitnessReply.request(oldSize: real.checkpoint.size, proof: [], checkpoint: forged.serialized))
            #expect(reply == .refused(status: 422, message: reply.refusalMessage))
        }
        #expect(throws: LedgerError.self) { try setup.policy.check(forged) }

        // A stored checkpoint that the entries do not have: nothing sent.
        try await setup.append(5)
        let size = try await setup.fixture.store.head()?.size ?? 0
        let wrong = try SignedCheckpoint(
            signing: Checkpoint(origin: real.checkpoint.origin, size: size, root: SHA256.hash([7])), with: setup.fixture.logKey)
        try await setup.fixture.store.saveCheckpoint(StoredCheckpoint(size: size, note: wrong.serialized))
        let requests = setup.street.requests.withLock { $0 }
        await #expect(throws: LedgerError.self) { try await setup.collector().pass() }
        #expect(setup.street.requests.withLock { $0 } == requests)
        // Nor one the log key did not sign.
        let unsigned = try SignedCheckpoint(
            signing: Checkpoint(origin: real.checkpoint.origin, size: size + 1, root: SHA256.hash([7])), with: FixtureKeys.key("intruder"))
        try await setup.fixture.store.saveCheckpoint(StoredCheckpoint(size: size + 1, note: unsigned.serialized))
        await #expect(throws: LedgerError.self) { try await setup.collector().pass() }
        #expect(setup.street.requests.withLock { $0 } == requests)
    }

    @Test("an audit with a witness policy: a cosigned trusted checkpoint is clean; an unwitnessed one is an error; a latest not yet cosigned a warning")
    func auditWithPolicy() async throws {
        let setup = try await Self.setup()
        try await setup.append(12)
        let bare = try await setup.fixture.ledger.checkpoint()
        #expect(try await setup.collector().pass().cosignedBy.count == 2)
        let cosigned = try await setup.latest()
        var auditor = Auditor(store: setup.fixture.store, trustedCheckpoint: cosigned)
        auditor.witnessPolicy = setup.policy
        let clean = try await auditor.audit()
        #expect(clean.isClean, "\(clean.findings)")
        let witnessing = try #require(clean.witnessing)
        #expect(witnessing.trusted == ["bureau", "street"] && witnessing.latest == ["bureau", "street"])
        #expect(witnessing.latestSize == cosigned.checkpoint.size && witnessing.latestMeetsQuorum)

        auditor.trustedCheckpoint = bare
        let unwitnessed = try await auditor.audit()
        #expect(unwitnessed.findings.map(\.code) == [.unwitnessed] && unwitnessed.findings.first?.severity == .error)

        try await setup.append(3)
        _ = try await setup.fixture.ledger.checkpoint()
        auditor.trustedCheckpoint = cosigned
        let pending = try await auditor.audit()
        #expect(pending.findings.map(\.code) == [.unwitnessed] && pending.findings.first?.severity == .warning)
        #expect(pending.witnessing?.latest == [] && pending.witnessing?.latestMeetsQuorum == false)
    }

    @Test("a receipt (an inclusion proof to the cosigned checkpoint) verifies against the policy; to the bare or a forged checkpoint it does not")
    func receipts() async throws {
        let setup = try await Self.setup()
        try await setup.append(30)
        let bare = try await setup.fixture.ledger.checkpoint()
        _ = try await setup.collector().pass()
        let cosigned = try await setup.latest()
        let receipt = try await LogProver.inclusion(store: setup.fixture.store, index: 17, checkpoint: cosigned)
        #expect(try receipt.verify(policy: setup.policy) == ["bureau", "street"])
        #expect(try InclusionProof(parsing: receipt.serialized).verify(policy: setup.policy).count == 2)
        let unwitnessed = try await LogProver.inclusion(store: setup.fixture.store, index: 17, checkpoint: bare)
        #expect(throws: LedgerError.self) { try unwitnessed.verify(policy: setup.policy) }
        // The witnesses' lines moved onto another entry's proof: the hashes no longer lead to the root.
        var moved = receipt
        moved.index = 16
        #expect(throws: LedgerError.self) { try moved.verify(policy: setup.policy) }
    }

    @Test("run() follows the ledger: checkpoints taken while it runs are cosigned, until it is cancelled")
    func follows() async throws {
        let setup = try await Self.setup()
        let collector = setup.collector()
        let task = Task { try await collector.run() }
        for _ in 0..<3 {
            try await setup.append(15)
            let size = try await setup.fixture.ledger.checkpoint().checkpoint.size
            var met = false
            for _ in 0..<500 where !met {
                let latest = try await setup.latest()
                met = latest.checkpoint.size == size && (try? setup.policy.check(latest)) != nil
                if !met { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(met, "checkpoint \(size) was not cosigned by both")
        }
        task.cancel()
        _ = try? await task.value
    }
}

extension WitnessReply {
    /// The message of a refusal, for comparing replies.
    var refusalMessage: String {
        if case .refused(_, let message) = self { return message }
        return ""
    }
}
