import CivicLedger
import Foundation

/// The typed command API: each method checks a command against the current
/// ``GovernanceState`` (the signer's authority and every domain rule, the
/// same ``GovernanceState/check(_:)`` the ledger runs at append and an
/// auditor runs on replay) and returns the event signed by the actor.
///
/// ```swift
/// let commands = GovernanceCommands(origin: ledger.origin)
/// let event = try commands.report(case: "2026-0001", in: "zhuji/dongsheng/grid-03",
///     urgency: .utilities, category: "drainage", source: .patrol,
///     summary: "blocked drain by building 7", by: worker, state: state, at: now)
/// try await ledger.append(event)
/// ```
///
/// A command that passes here can still be refused at append, when the
/// state moved in between (another actor's step came first); the error
/// says why, and nothing is written.
public struct GovernanceCommands: Sendable {
    /// The ledger's origin.
    public let origin: String

    /// Commands for the ledger `origin`.
    public init(origin: String) { self.origin = origin }

    /// Signs an event and checks it as the next entry of `state`.
    ///
    /// - Throws: `LedgerError` from the authority check or the domain
    ///   rules; nothing is signed that would be refused now.
    public func make(
        kind: String, stream: String, place: Place, expectedVersion: ExpectedVersion = .any, schemaVersion: UInt32? = nil, payload: [UInt8],
        by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        let content = EventContent(
            origin: origin, stream: stream, place: place, expectedVersion: expectedVersion, kind: kind,
            schemaVersion: schemaVersion ?? GovernancePayloadForms.newestVersion(of: kind), payload: payload,
            actorKey: signer.publicKey, clientTime: time, idempotencyKey: idempotencyKey ?? UUID().uuidString)
        guard let registry = state.registry else { throw LedgerError(.notInitialised, "the state has no genesis") }
        let position = state.nextPosition
        try registry.authorise(content, at: position)
        let event = try SignedEvent(signing: content, with: signer)
        let streamVersion: UInt64
        if case .exactly(let version) = expectedVersion { streamVersion = version + 1 } else { streamVersion = 1 }
        try state.check(LedgerEntry(position: position, recordedAt: time, streamVersion: streamVersion, event: event))
        return event
    }

    func make(
        _ kind: String, _ stream: String, _ place: Place, _ expected: ExpectedVersion, _ payload: some GovernancePayload,
        _ signer: any Signer, _ state: GovernanceState, _ time: Timestamp, _ key: String?
    ) throws -> SignedEvent {
        try make(
            kind: kind, stream: stream, place: place, expectedVersion: expected, payload: payload.encoded, by: signer, state: state,
            at: time,
            idempotencyKey: key)
    }

    // MARK: Community

    /// `community.rules`: sets the rules (the first one names the community).
    public func setRules(
        _ rules: GovernanceRules, by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try make(
            kind: GovernanceKind.rules, stream: GovernanceKind.communityStream, place: rules.community, schemaVersion: rules.schemaVersion,
            payload: rules.encoded, by: signer,
            state: state,
            at: time, idempotencyKey: idempotencyKey)
    }

    /// `community.mode`: switches mode or phase.
    public func setMode(
        _ mode: CommunityMode, phase: ResiliencePhase, reason: String, by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try make(
            GovernanceKind.mode, GovernanceKind.communityStream, try community(state), .any,
            ModeChange(mode: mode, phase: phase, reason: reason), signer, state, time, idempotencyKey)
    }

    func community(_ state: GovernanceState) throws(LedgerError) -> Place {
        guard let rules = state.rules else {
            throw LedgerError(.domainRule, "the community has no rules yet; append community.rules first")
        }
        return rules.community
    }

    // MARK: Cases

    /// `case.report`: opens `case/ID` in `place`.
    public func report(
        case id: String, in place: Place, urgency: Urgency, category: String, source: CaseSource, summary: String,
        by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try make(
            GovernanceKind.report, GovernanceStream.case(id), place, .exactly(0),
            CaseReport(urgency: urgency, category: category, source: source, summary: summary), signer, state, time, idempotencyKey)
    }

    /// A step on an existing case with a payload, expecting its current version.
    public func step(
        _ kind: String, case id: String, payload: some GovernancePayload, by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        let stream = GovernanceStream.case(id)
        guard let record = state.board[stream] else {
            throw LedgerError(.illegalTransition, "case \(id) has not been reported; \(kind) is not a legal step", stream: stream)
        }
        return try make(kind, stream, record.place, .exactly(record.version), payload, signer, state, time, idempotencyKey)
    }

    /// A step on an existing case that carries only a note.
    public func step(
        _ kind: String, case id: String, note: String = "", by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(kind, case: id, payload: CaseNote(note), by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.accept`: the grid leader takes a reported case on (受理).
    public func accept(
        case id: String, note: String = "", by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(GovernanceKind.accept, case: id, note: note, by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.reject`: the grid leader declines a reported case (不予受理), with the reason.
    public func reject(
        case id: String, reason: String, by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(GovernanceKind.reject, case: id, note: reason, by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.review`: the street office's second review of an approved whistle.
    public func review(
        case id: String, note: String = "", by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(GovernanceKind.review, case: id, note: note, by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.delivery-failed`: the dispatch did not reach the department.
    public func deliveryFailed(
        case id: String, note: String = "", by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(GovernanceKind.deliveryFailed, case: id, note: note, by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.delivery-retried`: the dispatch was sent again.
    public func deliveryRetried(
        case id: String, note: String = "", by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(GovernanceKind.deliveryRetried, case: id, note: note, by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.acknowledge`: the department the case was dispatched to signs for it (签收).
    public func acknowledge(
        case id: String, note: String = "", by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(GovernanceKind.acknowledge, case: id, note: note, by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.return`: the department sends the case back as not its duty, with the reason.
    public func `return`(
        case id: String, reason: String, by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(GovernanceKind.returned, case: id, note: reason, by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.resolve`: the department reports the work done (处置完毕).
    public func resolve(
        case id: String, note: String = "", by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(GovernanceKind.resolve, case: id, note: note, by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.close`: a verified case is closed (销号). Its position is the
    /// evidence a `report` points award cites for the reporter.
    public func close(
        case id: String, note: String = "", by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(GovernanceKind.close, case: id, note: note, by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.shelve`: the case cannot be solved now (挂账); it stays in every report.
    public func shelve(
        case id: String, reason: String, by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(GovernanceKind.shelve, case: id, note: reason, by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.remind`: a supervisor's reminder (催办) to the owner of an overdue case.
    public func remind(
        case id: String, note: String = "", by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(GovernanceKind.remind, case: id, note: note, by: signer, state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.approve`: skips the second review exactly in emergency mode.
    public func approve(
        case id: String, note: String = "", by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(
            GovernanceKind.approve, case: id, payload: CaseApproval(skipsReview: state.mode == .emergency, note: note), by: signer,
            state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.dispatch` to `department`, with the deadline the rules give.
    public func dispatch(
        case id: String, to department: String, by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        let urgency = state.board[GovernanceStream.case(id)]?.urgency ?? .general
        let minutes = try rules(state).deadline(for: urgency, mode: state.mode)
        return try step(
            GovernanceKind.dispatch, case: id, payload: CaseDispatch(department: department, deadlineMinutes: minutes), by: signer,
            state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.verify`.
    public func verify(
        case id: String, passed: Bool, note: String, by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(
            GovernanceKind.verify, case: id, payload: CaseVerification(passed: passed, note: note), by: signer, state: state, at: time,
            idempotencyKey: idempotencyKey)
    }

    /// `case.rate`, by the reporter.
    public func rate(
        case id: String, _ rating: Rating, controllable: Bool = false, comment: String = "", by signer: any Signer, state: GovernanceState,
        at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(
            GovernanceKind.rate, case: id, payload: CaseRating(rating: rating, controllable: controllable, comment: comment), by: signer,
            state: state, at: time, idempotencyKey: idempotencyKey)
    }

    /// `case.extend`, before the deadline.
    public func extend(
        case id: String, minutes: UInt32, reason: String, by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(
            GovernanceKind.extend, case: id, payload: CaseExtension(minutes: minutes, reason: reason), by: signer, state: state, at: time,
            idempotencyKey: idempotencyKey)
    }

    /// `case.progress`.
    public func progress(
        case id: String, percent: UInt8, note: String, by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try step(
            GovernanceKind.progress, case: id, payload: CaseProgress(percent: percent, note: note), by: signer, state: state, at: time,
            idempotencyKey: idempotencyKey)
    }

    func rules(_ state: GovernanceState) throws(LedgerError) -> GovernanceRules {
        guard let rules = state.rules else {
            throw LedgerError(.domainRule, "the community has no rules yet; append community.rules first")
        }
        return rules
    }

    // MARK: Points

    /// `points.issue`: adds `amount` points to the community pool, from
    /// which every award is paid (signed by the community secretary). The
    /// pool must hold an award's amount before the award.
    public func issue(
        _ amount: Int64, note: String, by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try make(
            GovernanceKind.issue, GovernanceKind.communityStream, try community(state), .any, PointsAmount(amount: amount, note: note),
            signer, state, time, idempotencyKey)
    }

    /// `points.award` to `resident` (an enrolled actor's id) under `rule`,
    /// a key of the community's ``GovernanceRules/pointRules``, which sets
    /// the amount, the account, the monthly cap and the roles that may
    /// grant it. The defaults are `patrol`, `care`, `report`, `screening`
    /// and `recognition` (awards), `littering` and `obstruction`
    /// (deductions); docs/domain.md §3 lists their amounts.
    ///
    /// `evidence` is the log position of the entry the rule accepts as
    /// evidence (``GovernanceRules/Evidence``), and it also says who may
    /// earn: for `report`, the position of a `case.close` (its receipt's
    /// `AppendReceipt.position`), and the resident must be the case's
    /// reporter; for `patrol`, `care` and `recognition`, a
    /// `volunteer.confirm` of the resident's task; for `screening`, an
    /// `archive.visit` of the resident.
    public func award(
        _ resident: String, rule: String, evidence: UInt64, reason: String, by signer: any Signer, state: GovernanceState,
        at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try movement(GovernanceKind.award, resident, rule, evidence, reason, signer, state, time, idempotencyKey)
    }

    /// `points.deduct` under `rule`.
    public func deduct(
        _ resident: String, rule: String, reason: String, by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try movement(GovernanceKind.deduct, resident, rule, nil, reason, signer, state, time, idempotencyKey)
    }

    func movement(
        _ kind: String, _ resident: String, _ ruleID: String, _ evidence: UInt64?, _ reason: String, _ signer: any Signer,
        _ state: GovernanceState,
        _ time: Timestamp, _ key: String?
    ) throws -> SignedEvent {
        guard let rule = try rules(state).pointRules[ruleID] else {
            throw LedgerError(.domainRule, "there is no points rule \"\(ruleID)\"", stream: GovernanceStream.points(resident))
        }
        let payload = PointsMovement(account: rule.account, amount: rule.size, rule: ruleID, evidence: evidence, reason: reason)
        return try make(
            kind, GovernanceStream.points(resident), try residentPlace(resident, state), .any, payload, signer, state, time, key)
    }

    /// `points.appeal` of the award or deduction at `target`, by the resident.
    public func appeal(
        _ resident: String, target: UInt64, grounds: String, by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try make(
            GovernanceKind.appeal, GovernanceStream.points(resident), try residentPlace(resident, state), .any,
            PointsAppeal(target: target, note: grounds), signer, state, time, idempotencyKey)
    }

    /// `points.appeal-decision` on the appeal at `appeal`; upheld, it reverses the entry.
    public func decideAppeal(
        _ resident: String, appeal: UInt64, upheld: Bool, reasoning: String, by signer: any Signer, state: GovernanceState,
        at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try make(
            GovernanceKind.appealDecision, GovernanceStream.points(resident), try residentPlace(resident, state), .any,
            PointsAppeal(target: appeal, upheld: upheld, note: reasoning), signer, state, time, idempotencyKey)
    }

    /// `points.redeem`, by the resident.
    public func redeem(
        _ resident: String, amount: Int64, item: String, by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try make(
            GovernanceKind.redeem, GovernanceStream.points(resident), try residentPlace(resident, state), .any,
            PointsAmount(amount: amount, note: item), signer, state, time, idempotencyKey)
    }

    /// `points.period-close` for `year`.
    public func closeYear(_ year: Int32, by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil)
        throws -> SignedEvent
    {
        try make(
            GovernanceKind.periodClose, GovernanceKind.communityStream, try community(state), .any,
            PeriodClose(year: year, expiresContribution: try rules(state).contributionExpiresYearly), signer, state, time, idempotencyKey)
    }

    /// The place of a resident's streams: the scope of their `resident`
    /// role, or of their archive, or the community.
    public func residentPlace(_ resident: String, _ state: GovernanceState) throws(LedgerError) -> Place {
        if let record = state.archive[resident] { return record.place }
        if let grant = state.registry?.actors[resident]?.roles.first(where: { $0.role == "resident" }) { return grant.scope }
        return try community(state)
    }

    // MARK: Archives

    /// `archive.register`: seals the personal fields and the profile (level
    /// and tags) under `key` (the resident's key from the `KeyVault`) before
    /// signing, and states the visit interval the rules in force derive
    /// from the profile.
    public func register(
        _ resident: String, household: String, in place: Place, level: RiskLevel, tags: [String], name: String, phone: String,
        address: String,
        key: FieldKey, by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        func seal(_ value: String, _ field: String) -> SealedField {
            SealedField(sealing: value, with: key, context: SealedContact.context(origin: origin, resident: resident, field: field))
        }
        let profile = ResidentProfile(level: level, tags: tags)
        let payload = ResidentRegistration(
            household: household, visitIntervalDays: try Self.interval(of: profile, state),
            profile: profile.sealed(with: key, origin: origin, resident: resident), name: seal(name, "name"), phone: seal(phone, "phone"),
            address: seal(address, "address"))
        return try make(
            GovernanceKind.register, GovernanceStream.resident(resident), place, .any, payload, signer, state, time, idempotencyKey)
    }

    /// `archive.update`: a new profile, sealed under `key`, and the visit
    /// interval the rules in force derive from it.
    public func update(
        _ resident: String, level: RiskLevel, tags: [String], key: FieldKey, by signer: any Signer, state: GovernanceState,
        at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        let profile = ResidentProfile(level: level, tags: tags)
        return try make(
            GovernanceKind.update, GovernanceStream.resident(resident), try residentPlace(resident, state), .any,
            ResidentUpdate(
                visitIntervalDays: try Self.interval(of: profile, state), profile: profile.sealed(with: key, origin: origin, resident: resident)),
            signer, state, time, idempotencyKey)
    }

    /// The visit interval the rules in force give `profile`.
    static func interval(of profile: ResidentProfile, _ state: GovernanceState) throws(LedgerError) -> UInt32 {
        guard let rules = state.rules else { throw LedgerError(.domainRule, "the community has no rules yet; append community.rules first") }
        return UInt32(clamping: rules.visitInterval(tags: profile.tags, level: profile.level))
    }

    /// `archive.expire`: `resident`'s `data` notes are past their retention
    /// period. Sign it with ``Retention/carryOut(_:vault:commands:by:state:at:)``,
    /// which destroys the key first.
    public func expire(
        _ resident: String, _ data: RetainedData, reason: String, by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try make(
            GovernanceKind.expire, GovernanceStream.resident(resident), try residentPlace(resident, state), .any,
            RetentionExpiry(data: data, reason: reason), signer, state, time, idempotencyKey)
    }

    /// `archive.visit` with a note sealed under the resident's visit note
    /// key (from the vault, under ``NoteKeys/current(_:_:in:)``).
    public func visit(
        _ resident: String, note: String, key: FieldKey, by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        let sealed = SealedField(
            sealing: note, with: key, context: SealedContact.context(origin: origin, resident: resident, field: "visit"))
        return try make(
            GovernanceKind.visit, GovernanceStream.resident(resident), try residentPlace(resident, state), .any, SealedNote(note: sealed),
            signer, state, time, idempotencyKey)
    }

    /// `health.record` with a note sealed under the resident's health note
    /// key (from the vault, under ``NoteKeys/current(_:_:in:)``).
    public func health(
        _ resident: String, _ kind: HealthEntryKind, note: String, key: FieldKey, by signer: any Signer, state: GovernanceState,
        at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        let sealed = SealedField(
            sealing: note, with: key, context: SealedContact.context(origin: origin, resident: resident, field: "health"))
        return try make(
            GovernanceKind.health, GovernanceStream.health(resident), try residentPlace(resident, state), .any,
            SealedNote(kind: kind, note: sealed), signer, state, time,
            idempotencyKey)
    }

    /// `archive.erase`. Destroy the resident's key in the vault as well
    /// (``Erasure`` does both).
    public func erase(
        _ resident: String, reason: String, by signer: any Signer, state: GovernanceState, at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try make(
            GovernanceKind.erase, GovernanceStream.resident(resident), try residentPlace(resident, state), .any, CaseNote(reason), signer,
            state, time, idempotencyKey)
    }

    // MARK: Volunteer tasks and supplies

    /// `volunteer.post`.
    public func post(
        task id: String, in place: Place, category: String, title: String, by signer: any Signer, state: GovernanceState,
        at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try make(
            GovernanceKind.post, GovernanceStream.task(id), place, .exactly(0), TaskPost(category: category, title: title), signer, state,
            time, idempotencyKey)
    }

    /// `volunteer.claim`, `volunteer.complete` or `volunteer.confirm` on a posted task.
    public func task(
        _ kind: String, task id: String, note: String = "", by signer: any Signer, state: GovernanceState, at time: Timestamp,
        idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        let stream = GovernanceStream.task(id)
        guard let task = state.volunteers.tasks[stream], let place = state.taskPlaces[stream] else {
            throw LedgerError(.domainRule, "task \(id) was not posted", stream: stream)
        }
        return try make(kind, stream, place, .exactly(task.version), CaseNote(note), signer, state, time, idempotencyKey)
    }

    /// `supplies.in` or `supplies.out` at `store`.
    public func stock(
        _ kind: String, store: String, item: String, quantity: Int64, note: String, by signer: any Signer, state: GovernanceState,
        at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        try make(
            kind, GovernanceStream.supplies(store), try community(state), .any, StockMovement(item: item, quantity: quantity, note: note),
            signer, state, time, idempotencyKey)
    }

    // MARK: Decisions in public

    /// A step of the decision `deliberation/ID` (三上三下三公开): the
    /// committee's steps on that stream in the community's place; a
    /// proposal or comment on the signer's own stream
    /// (`deliberation/ID/from/ACTOR`) in `place`, by default where the
    /// signer is enrolled. Refused now, with the reason, when it may not
    /// come next (a step out of order, a vote without quorum).
    public func deliberate(
        _ step: DeliberationStep, decision id: String, in place: Place? = nil, by signer: any Signer, state: GovernanceState,
        at time: Timestamp, idempotencyKey: String? = nil
    ) throws -> SignedEvent {
        let community = try community(state)
        guard step.isVoice else {
            return try make(
                kind: step.kind, stream: GovernanceStream.deliberation(id), place: place ?? community, payload: step.payload, by: signer,
                state: state, at: time, idempotencyKey: idempotencyKey)
        }
        guard let actor = state.registry?.keys[signer.publicKey]?.actor, let record = state.registry?.actors[actor] else {
            throw LedgerError(.unknownKey, "the signer's key is not enrolled")
        }
        let scope = place ?? record.roles.map(\.scope).first { $0.isWithin(community) } ?? community
        return try make(
            kind: step.kind, stream: GovernanceStream.deliberationVoice(id, actor: actor), place: scope, payload: step.payload, by: signer,
            state: state, at: time, idempotencyKey: idempotencyKey)
    }
}

/// Erases a resident: destroys their key in the vault, then appends the
/// erasure event. After it the log still verifies; projections show the
/// resident as erased and their sealed fields can never be opened again.
public enum Erasure {
    /// Destroys `resident`'s key and note keys in `vault` and returns the
    /// signed `archive.erase` event to append.
    public static func erase(
        _ resident: String, reason: String, vault: any KeyVault, commands: GovernanceCommands, by signer: any Signer,
        state: GovernanceState,
        at time: Timestamp
    ) async throws -> SignedEvent {
        let event = try commands.erase(resident, reason: reason, by: signer, state: state, at: time)
        try await vault.destroy(subject: resident)
        // Every note key the resident's notes were ever sealed under.
        let generations = state.archive[resident]?.noteGenerations ?? [:]
        for data in [RetainedData.visit, .health] {
            for generation in 0...max(0, generations[data] ?? 0) {
                try await vault.destroy(subject: NoteKeys.subject(resident, data, generation: generation))
            }
        }
        return event
    }
}
