import CivicGovernance
import CivicLedger
import CivicLedgerSQLite
import CivicReporting
import Foundation
import Hummingbird
import ServiceLifecycle
import Synchronization

/// The HTTP API (README.md in this folder describes it):
///
/// - `POST /events`: a signed event in its wire form (docs/format.md §2.1),
///   or an array of them appended atomically; answered once durable with
///   each receipt, its inclusion proof and the checkpoint it is proved to
///   (with `--witness-policy`, cosigned by the witnesses that answered:
///   `witnessedBy`); refused as `application/problem+json` with the ledger's error code.
/// - `GET /cases`, `/cases/{id}`, `/points/{resident}`: from live
///   projections; `?after=POSITION` waits until they have folded it.
/// - `GET /feed?from=POSITION`: Server-Sent Events, one per entry.
/// - `GET /checkpoint`, `/proof/inclusion?index=I`, `/proof/consistency?old=A`.
/// - `GET /report`: the HTML transparency report at the latest checkpoint.
///
/// Reads are signed by the reader's own enrolled key (HTTP Message
/// Signatures, RFC 9421, Ed25519: ``RequestSignature``), or unsigned; each
/// reader sees what ``ReadAccess`` allows: an unsigned request gets the
/// public board, the checkpoint, consistency proofs and the report, and
/// `401` for the feed, points and inclusion proofs. A signature that does
/// not verify, has expired or is replayed is refused with `401`.
struct CivicAPI: Sendable {
    let ledger: Ledger
    let cases: LiveProjection<CaseBoard>
    let points: LiveProjection<PointsBalances>
    /// Sends checkpoints to the witnesses, when the service has some.
    let witnesses: CosignatureCollector?
    let vault: any KeyVault
    /// Receipts and proofs from the tile hashes in memory: O(log n) each
    /// once the log has been read (32 bytes an entry).
    let prover: CachedLogProver
    /// Checks signed reads, and remembers their nonces until they expire.
    let signatures = RequestSignatureVerifier()

    init(
        ledger: Ledger, cases: LiveProjection<CaseBoard>, points: LiveProjection<PointsBalances>, witnesses: CosignatureCollector?,
        vault: any KeyVault
    ) {
        self.ledger = ledger
        self.cases = cases
        self.points = points
        self.witnesses = witnesses
        self.vault = vault
        prover = CachedLogProver(store: ledger.store)
    }

    /// The most a request body may hold.
    static let maximumBody = 4 << 20
    /// How long `?after=` waits for a projection.
    static let readYourWritesTimeout: Duration = .seconds(10)

    func register(on router: Router<BasicRequestContext>) {
        router.post("events") { request, _ in await respond { try await postEvents(request) } }
        router.get("cases") { request, _ in await respond { try await listCases(request, reader: try await reader(request)) } }
        router.get("cases/{id}") { request, context in
            await respond { try await oneCase(request, id: try context.parameters.require("id"), reader: try await reader(request)) }
        }
        router.get("points/{resident}") { request, context in
            await respond { try await balance(request, resident: try context.parameters.require("resident"), reader: try await reader(request)) }
        }
        router.get("feed") { request, _ in await respond { try feed(request, reader: try await reader(request)) } }
        router.get("checkpoint") { _, _ in await respond { text(try await ledger.checkpoint().serialized) } }
        router.get("proof/inclusion") { request, _ in await respond { try await inclusionProof(request, reader: try await reader(request)) } }
        router.get("proof/consistency") { request, _ in await respond { try await consistencyProof(request) } }
        router.get("report") { _, _ in await respond { try await report() } }
    }

    // MARK: Writing

    func postEvents(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: Self.maximumBody)
        let node = try StrictJSON.parse(Array(body.readableBytesView), what: "the request body")
        let events: [SignedEvent]
        if case .array(let elements) = node.value {
            events = try elements.enumerated().map { index, element in try SignedEventJSON.event(element, location: "event \(index)") }
        } else {
            events = [try SignedEventJSON.event(node, location: "event")]
        }
        let receipts = try await ledger.append(batch: events)
        var checkpoint = try await ledger.checkpoint()
        var witnessedBy: [String] = []
        if let witnesses {
            // The append is durable already. Ask the witnesses now, so the
            // receipts carry their cosignatures: one that is down, or
            // waiting out a failure, is skipped and cosigns a later one.
            _ = try? await witnesses.pass()
            checkpoint = try await self.checkpoint(size: String(checkpoint.checkpoint.size))
            witnessedBy = witnesses.cosigners(of: checkpoint)
        }
        var answers: [[String: Any]] = []
        for (event, receipt) in zip(events, receipts) {
            let proof = try await prover.inclusion(index: receipt.position, checkpoint: checkpoint)
            answers.append([
                "position": receipt.position, "stream": event.content.stream, "streamVersion": receipt.streamVersion,
                "recordedAt": receipt.recordedAt.description, "leafHash": receipt.leafHash.base64, "duplicate": receipt.isDuplicate,
                "inclusionProof": proof.serialized,
            ])
        }
        return try json(["receipts": answers, "checkpoint": checkpoint.serialized, "witnessedBy": witnessedBy], status: .created)
    }

    // MARK: Reading

    /// Who reads: the enrolled actor whose key signed the request, or an
    /// anonymous reader for an unsigned one.
    ///
    /// - Throws: `Unauthorized` for a signature that does not verify, has
    ///   expired or was used before, or a key the ledger does not enrol.
    func reader(_ request: Request) async throws -> ReadAccess {
        func header(_ name: String) -> String? { request.headers.first(where: { $0.name.canonicalName == name })?.value }
        let input = header("signature-input")
        let signature = header("signature")
        let community = (try? await GovernanceLedger.state(of: ledger))?.rules?.community
        guard input != nil || signature != nil else { return .anonymous(community: community) }
        let checked = Result { () throws(LedgerError) -> RequestSignature in
            try signatures.verify(
                signatureInput: input, signature: signature, method: request.method.rawValue, authority: request.head.authority ?? "",
                path: request.uri.path, query: request.uri.query ?? "", now: Int64(Date().timeIntervalSince1970))
        }
        guard case .success(let signed) = checked else {
            if case .failure(let error) = checked { throw Unauthorized(error.message) }
            throw Unauthorized("the request's signature")
        }
        let access = ReadAccess.reader(signed.key, registry: await ledger.registry, community: community)
        guard access.tier != .anonymous else { throw Unauthorized("the key \(signed.key.fingerprint) is not enrolled in this ledger") }
        return access
    }

    /// Waits, when the request says `?after=POSITION`, until `projection`
    /// has folded that position.
    func caughtUp<P: Projection>(_ projection: LiveProjection<P>, _ request: Request) async throws {
        guard let after = request.uri.queryParameters["after"] else { return }
        guard let position = UInt64(after) else { throw BadRequest("after must be a log position, a whole number") }
        try await projection.reach(position, timeout: Self.readYourWritesTimeout)
    }

    func listCases(_ request: Request, reader: ReadAccess) async throws -> Response {
        try await caughtUp(cases, request)
        let wanted = request.uri.queryParameters["state"].map(String.init)
        // Copied out under the lock, shown outside it.
        let (position, list) = cases.read { board in
            (board.lastPosition, zip(board.index.names, board.records).filter { wanted == nil || $0.1.state.rawValue == wanted })
        }
        let registry = await ledger.registry
        return try json([
            "position": position.map { $0 as Any } ?? NSNull(), "cases": try list.map { try view($0, $1, registry: registry, reader: reader) },
        ])
    }

    func oneCase(_ request: Request, id: String, reader: ReadAccess) async throws -> Response {
        try await caughtUp(cases, request)
        let stream = GovernanceStream.case(id)
        guard let record = cases.read({ board in board[stream] }) else { throw NotFound("no case \(id)") }
        return try json(try view(stream, record, registry: await ledger.registry, reader: reader))
    }

    func balance(_ request: Request, resident: String, reader: ReadAccess) async throws -> Response {
        guard reader.tier != .anonymous else { throw Unauthorized("a resident's points are shown to staff and to the resident: sign the request") }
        guard reader.mayReadPoints(of: resident) else {
            throw LedgerError(.notAuthorised, "\(reader.actor ?? "") may see their own points only; the report ranks residents under pseudonyms")
        }
        try await caughtUp(points, request)
        let (position, balance) = points.read { ($0.lastPosition, $0.balance(of: resident)) }
        return try json([
            "resident": resident, "contribution": balance.contribution, "reputation": balance.reputation,
            "position": position.map { $0 as Any } ?? NSNull(),
        ])
    }

    /// A case as the API shows it to `reader`: the library's ``CaseView``
    /// (as the tool's `cases --json` shows it), redacted where the reader
    /// sees the public board.
    func view(_ stream: String, _ record: CaseRecord, registry: AuthorityRegistry, reader: ReadAccess) throws -> Any {
        try JSONSerialization.jsonObject(with: reader.caseView(stream: stream, record: record, at: Timestamp(Date()), registry: registry).json())
    }

    /// Server-Sent Events from `?from=` (or the `Last-Event-ID` a client
    /// that reconnects sends), one event per entry, `id` its position:
    /// every position once, in order, as it becomes durable.
    func feed(_ request: Request, reader: ReadAccess) throws -> Response {
        guard reader.mayFollowFeed else { throw Unauthorized("the feed is for enrolled readers: sign the request (RFC 9421)") }
        var start: UInt64 = 0
        if let last = request.headers.first(where: { $0.name.canonicalName == "last-event-id" })?.value {
            guard let position = UInt64(last) else { throw BadRequest("Last-Event-ID must be a log position") }
            start = position.clampedAdding(1)
        } else if let from = request.uri.queryParameters["from"] {
            guard let position = UInt64(from) else { throw BadRequest("from must be a log position, a whole number") }
            start = position
        }
        let store = ledger.store
        let first = start
        let body = ResponseBody { writer in
            // Ends within a second of a graceful shutdown; a keep-alive
            // comment every 15 quiet seconds finds clients that have gone.
            let stopping = ShutdownFlag()
            try await withGracefulShutdownHandler {
                var quiet = 0
                for try await page in LedgerFeed(store: store, from: first, recheckInterval: .seconds(1), yieldsIdlePages: true) {
                    if stopping.isSet { break }
                    if page.isEmpty {
                        quiet += 1
                        if quiet % 15 == 0 { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                        continue
                    }
                    quiet = 0
                    try await writer.write(ByteBuffer(string: Self.events(page, for: reader)))
                }
            } onGracefulShutdown: {
                stopping.set()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// Server-sent events of a page of entries, as `reader` may see them:
    /// an entry the reader may not see is left out (its position is not a
    /// secret, so a reconnecting client still resumes after the last id).
    static func events(_ page: [LedgerEntry], for reader: ReadAccess) -> String {
        var text = ""
        for entry in page {
            guard let view = reader.feedLine(entry) else { continue }
            text += "id: \(entry.position)\nevent: entry\ndata: \(view)\n\n"
        }
        if text.isEmpty, let last = page.last { text = ": through \(last.position)\n\n" }
        return text
    }

    // MARK: Proofs and the report

    /// The stored checkpoint of `size` entries, or the latest.
    func checkpoint(size: String?) async throws -> SignedCheckpoint {
        guard let size else { return try await ledger.checkpoint() }
        guard let entries = UInt64(size), let stored = try await ledger.store.checkpoints(fromSize: entries, limit: 1).first,
            stored.size == entries
        else { throw NotFound("no checkpoint of \(size) entries") }
        return try SignedCheckpoint(parsing: stored.note)
    }

    func inclusionProof(_ request: Request, reader: ReadAccess) async throws -> Response {
        guard reader.tier != .anonymous else { throw Unauthorized("an inclusion proof carries its entry whole: sign the request") }
        guard let index = request.uri.queryParameters["index"].flatMap({ UInt64($0) }) else {
            throw BadRequest("index must be a log position, a whole number")
        }
        let checkpoint = try await checkpoint(size: request.uri.queryParameters["size"].map(String.init))
        let proof = try await prover.inclusion(index: index, checkpoint: checkpoint)
        guard reader.tier >= .staff || (proof.entry.flatMap { try? LedgerEntry(bytes: $0) }.map(reader.mayProve) ?? false) else {
            throw LedgerError(.notAuthorised, "\(reader.actor ?? "") may have the proofs of the entries they signed only")
        }
        return text(proof.serialized)
    }

    func consistencyProof(_ request: Request) async throws -> Response {
        guard let old = request.uri.queryParameters["old"] else { throw BadRequest("old must be the size of a stored checkpoint") }
        let first = try await checkpoint(size: String(old))
        let second = try await checkpoint(size: request.uri.queryParameters["new"].map(String.init))
        return text(try await prover.consistency(old: first, new: second).serialized)
    }

    func report() async throws -> Response {
        let checkpoint = try await ledger.checkpoint()
        var builder = TransparencyReportBuilder(origin: ledger.origin, pseudonymKey: try await PseudonymKey.from(vault))
        for try await page in EntryPages(store: ledger.store, to: checkpoint.checkpoint.size) {
            for entry in page { try builder.fold(entry) }
        }
        let report = try builder.report(checkpoint: checkpoint)
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: report.html())))
    }
}

/// Set once, by a graceful shutdown; read by a long response.
final class ShutdownFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}
