import CivicGovernance
import CivicReporting
import CivicLedger
import Foundation

/// One fuzz target: a decoder or parser fed arbitrary bytes. Each must
/// either read the input or refuse it with an error; a trap, a crash or a
/// broken round trip (checked with `check`) is a finding.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void
}

/// Stops the process on a broken invariant, so libFuzzer keeps the input.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        FileHandle.standardError.write(Data("invariant broken: \(message())\n".utf8))
        abort()
    }
}

/// Reads `bytes` as a `T` payload and, when it decodes, checks that it
/// encodes back to exactly the same bytes (one encoding per value).
func payload<T: GovernancePayload>(_ type: T.Type, _ bytes: [UInt8]) {
    guard let value = try? T(payload: bytes) else { return }
    check(value.encoded == bytes, "\(T.self) decoded from bytes it does not encode back to")
}

let governancePayloads: [@Sendable ([UInt8]) -> Void] = [
    { payload(ModeChange.self, $0) }, { payload(CaseReport.self, $0) }, { payload(CaseNote.self, $0) },
    { payload(CaseDispatch.self, $0) }, { payload(CaseProgress.self, $0) }, { payload(CaseExtension.self, $0) },
    { payload(CaseVerification.self, $0) }, { payload(CaseApproval.self, $0) }, { payload(CaseRating.self, $0) },
    { payload(PointsAmount.self, $0) }, { payload(PointsMovement.self, $0) }, { payload(PointsAppeal.self, $0) },
    { payload(PeriodClose.self, $0) }, { payload(ResidentRegistration.self, $0) }, { payload(ResidentUpdate.self, $0) },
    { payload(SealedNote.self, $0) }, { payload(TaskPost.self, $0) }, { payload(StockMovement.self, $0) },
    { payload(DeliberationOpen.self, $0) }, { payload(DeliberationText.self, $0) }, { payload(DeliberationShortlist.self, $0) },
    { payload(DeliberationPlan.self, $0) }, { payload(DeliberationProgress.self, $0) }, { payload(DeliberationMeeting.self, $0) },
    { _ = try? GovernanceRules(payload: $0) },
]

let targets: [FuzzTarget] = [
    // The stored form of an entry, and what every reader does with one.
    FuzzTarget(name: "entry") { bytes in
        guard let entry = try? LedgerEntry(bytes: bytes) else { return }
        check(entry.bytes == bytes, "an entry decoded from bytes it does not keep")
        _ = entry.event.hasValidSignature
        _ = LedgerExport.view(of: entry)
        var state = GovernanceState()
        _ = try? state.check(entry)
        try? state.fold(entry)
        for type in GovernanceProjections.all {
            var projection = type.init()
            try? projection.apply(entry)
        }
    },
    // The signed body of an event.
    FuzzTarget(name: "event-body") { bytes in
        guard let content = try? EventContent(body: bytes) else { return }
        check((try? content.encodedBody()) == bytes, "an event body decoded from bytes it does not encode back to")
    },
    // Every governance payload, chosen by the first byte.
    FuzzTarget(name: "governance-payload") { bytes in
        guard let first = bytes.first else { return }
        governancePayloads[Int(first) % governancePayloads.count](Array(bytes.dropFirst()))
    },
    FuzzTarget(name: "signed-note") { bytes in
        guard let text = String(validating: bytes, as: UTF8.self), let note = try? SignedNote(parsing: text) else { return }
        check(note.serialized == text, "a signed note parsed from text it does not serialise back to")
    },
    FuzzTarget(name: "checkpoint") { bytes in
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        if let checkpoint = try? Checkpoint(text: text) { check(checkpoint.text == text, "a checkpoint that does not print back") }
        _ = try? SignedCheckpoint(parsing: text)
    },
    FuzzTarget(name: "proof") { bytes in
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        if let proof = try? InclusionProof(parsing: text) { _ = try? proof.verify(trusted: nil, logKey: nil) }
        if let proof = try? ConsistencyProof(parsing: text) { _ = try? proof.verify(trusted: nil, logKey: nil) }
    },
    // A witness policy (C2SP tlog-policy), as verifiers and collectors read it.
    FuzzTarget(name: "witness-policy") { bytes in
        guard let policy = try? WitnessPolicy(parsing: String(decoding: bytes, as: UTF8.self)) else { return }
        check(policy.witnesses.count <= WitnessPolicy.maximumEntries, "a policy with too many witnesses was read")
    },
    // An add-checkpoint request to a witness (C2SP tlog-witness): every
    // answer is one of the documented statuses, and the witness's record
    // never moves back.
    FuzzTarget(name: "witness-request") { bytes in
        let done = DispatchSemaphore(value: 0)
        Task {
            let response = await fuzzWitness.addCheckpoint(String(decoding: bytes, as: UTF8.self))
            check([200, 400, 403, 404, 409, 422].contains(response.status), "a witness answered \(response.status)")
            done.signal()
        }
        done.wait()
    },
    // Tile files (C2SP tlog-tiles): a bundle read back writes the same bytes.
    FuzzTarget(name: "tile-bundle") { bytes in
        let width = Int(bytes.first ?? 0)
        let body = Array(bytes.dropFirst())
        if let entries = try? TileLayout.decodeBundle(body, width: width, wide: false) {
            let (again, wide) = TileLayout.encode(bundle: entries)
            check(!wide && again == body, "a bundle that does not write back to its bytes")
        }
        _ = try? TileLayout.decodeBundle(body, width: width, wide: true)
        if let hashes = try? TileLayout.decodeHashes(body, width: width) {
            check(TileLayout.encode(hashes: hashes) == body, "a tile that does not write back to its bytes")
        }
    },
    FuzzTarget(name: "export") { bytes in
        _ = try? ExportedLedgerStore(jsonLines: Data(bytes))
    },
    FuzzTarget(name: "event-json") { bytes in
        guard let objects = try? EventJSON.parse(bytes, source: "input") else { return }
        for (location, object) in objects {
            _ = try? EventJSON.content(
                object, origin: "fuzz.example/ledger", actorKey: PublicKey(raw: .zero), location: location,
                now: Timestamp(millisecondsSinceEpoch: 0))
        }
    },
    FuzzTarget(name: "strict-json") { bytes in
        guard let node = try? StrictJSON.parse(bytes) else { return }
        let canonical = StrictJSON.canonical(node.value)
        let again = try? StrictJSON.parse(canonical)
        check(again?.value == node.value, "canonical JSON that does not read back as the same value")
        check(again.map { StrictJSON.canonical($0.value) } == canonical, "canonical JSON that is not canonical")
    },
    FuzzTarget(name: "report-json") { bytes in
        _ = try? StrictJSON.decode(TransparencyReport.self, from: bytes, what: "report")
    },
    FuzzTarget(name: "system-payload") { bytes in
        guard let first = bytes.first else { return }
        let rest = Array(bytes.dropFirst())
        switch first % 6 {
        case 0: _ = try? SystemEvent.decode(SystemEvent.Genesis.self, from: rest, kind: "genesis")
        case 1: _ = try? SystemEvent.decode(SystemEvent.Enrol.self, from: rest, kind: "enrol")
        case 2: _ = try? SystemEvent.decode(SystemEvent.Withdraw.self, from: rest, kind: "withdraw")
        case 3: _ = try? SystemEvent.decode(SystemEvent.Rotate.self, from: rest, kind: "rotate")
        case 4: _ = try? SystemEvent.decode(SystemEvent.Revoke.self, from: rest, kind: "revoke")
        default: _ = try? SystemEvent.decode(SystemEvent.SetPermissions.self, from: rest, kind: "permissions")
        }
    },
    FuzzTarget(name: "frontier") { bytes in
        guard let frontier = try? MerkleFrontier(serialized: bytes) else { return }
        check(frontier.serialized == bytes, "a frontier that does not serialise back")
        _ = frontier.root
    },
    // Every projection's snapshot, and the governance state's compact form.
    FuzzTarget(name: "snapshot") { bytes in
        guard let first = bytes.first else { return }
        let types: [any Projection.Type] = GovernanceProjections.all + [GovernanceState.self]
        let type = types[Int(first) % types.count]
        _ = try? type.init(snapshotData: Array(bytes.dropFirst()))
    },
    // A payload's JSON form, after its kind and a newline: when it reads,
    // its bytes show as JSON that reads back to the same bytes, in every
    // version the kind declares (the JSON's length picks one).
    FuzzTarget(name: "payload-json") { bytes in
        guard let newline = bytes.firstIndex(of: 0x0A), let node = try? StrictJSON.parse(bytes[(newline + 1)...]) else { return }
        let kind = String(decoding: bytes[..<newline], as: UTF8.self)
        let declared = GovernanceKind.versions(of: kind)
        let version = declared.lowerBound + UInt32(bytes.count % declared.count)
        let forms = GovernancePayloadForms()
        guard let payload = try? forms.payload(kind: kind, version: version, json: node, path: "payload") else { return }
        let json = forms.json(kind: kind, version: version, payload: payload)
        check(json != nil, "\(kind): bytes read from JSON do not show as JSON")
        let again = json.flatMap { try? forms.payload(kind: kind, version: version, json: StrictJSON.Node(value: $0), path: "payload") }
        check(again == payload, "\(kind): JSON that does not read back to its bytes")
    },
]

/// The witness the `witness-request` target asks: it knows one log, whose
/// key is fixed, so signed requests in the corpus reach the consistency checks.
let fuzzWitness = Witness(
    name: "fuzz.witness.example/w1", signer: fuzzKey("witness"), logs: [NoteKey(name: "fuzz.example/log", publicKey: fuzzKey("log").publicKey)],
    state: InMemoryWitnessState())

/// A key derived from `name`.
func fuzzKey(_ name: String) -> SigningKey {
    guard let key = SigningKey(seed: SHA256.hash(Array("civic-ledger fuzz \(name)".utf8)).bytes) else { fatalError("no key from a 32-byte seed") }
    return key
}
