import CivicLedger

/// The JSON form of every governance payload, both ways (docs/format.md
/// §10.5): each kind's payload type (``payloadType(of:)``) and its fields
/// (``GovernancePayload/fields``). `community.rules` is JSON already
/// (``GovernanceRules``), and kinds outside the domain keep the default.
///
/// One adjustment: a `points.deduct` shows its amount negative, as the
/// change to the account, and must be written so; its binary payload holds
/// the rule's size, positive (``PointsMovement``).
public struct GovernancePayloadForms: PayloadJSONForm {
    /// The form.
    public init() {}

    /// The payload forms of a ledger that enforces `domain`: these for the
    /// governance domain, plain JSON for none.
    public static func forms(of domain: (any LedgerDomain)?) -> any PayloadJSONForm {
        domain is GovernanceState ? GovernancePayloadForms() : JSONPayloads()
    }

    /// The payload type of each governance kind whose payload is binary:
    /// the newest version's, the shape projections see.
    public static func payloadType(of kind: String) -> (any GovernancePayload.Type)? {
        switch kind {
        case GovernanceKind.mode: ModeChange.self
        case GovernanceKind.report: CaseReport.self
        case GovernanceKind.approve: CaseApproval.self
        case GovernanceKind.dispatch: CaseDispatch.self
        case GovernanceKind.progress: CaseProgress.self
        case GovernanceKind.extend: CaseExtension.self
        case GovernanceKind.verify: CaseVerification.self
        case GovernanceKind.rate: CaseRating.self
        case GovernanceKind.accept, GovernanceKind.reject, GovernanceKind.review, GovernanceKind.deliveryFailed,
            GovernanceKind.deliveryRetried,
            GovernanceKind.acknowledge, GovernanceKind.returned, GovernanceKind.resolve, GovernanceKind.close, GovernanceKind.shelve,
            GovernanceKind.remind, GovernanceKind.erase, GovernanceKind.claim, GovernanceKind.complete, GovernanceKind.confirm:
            CaseNote.self
        case GovernanceKind.issue, GovernanceKind.redeem: PointsAmount.self
        case GovernanceKind.award, GovernanceKind.deduct: PointsMovement.self
        case GovernanceKind.appeal, GovernanceKind.appealDecision: PointsAppeal.self
        case GovernanceKind.periodClose: PeriodClose.self
        case GovernanceKind.register: ResidentRegistration.self
        case GovernanceKind.update: ResidentUpdate.self
        case GovernanceKind.visit, GovernanceKind.health: SealedNote.self
        case GovernanceKind.expire: RetentionExpiry.self
        case GovernanceKind.post: TaskPost.self
        case GovernanceKind.stockIn, GovernanceKind.stockOut: StockMovement.self
        case GovernanceKind.deliberationOpen: DeliberationOpen.self
        case GovernanceKind.propose, GovernanceKind.comment, GovernanceKind.publishResult, GovernanceKind.evaluate: DeliberationText.self
        case GovernanceKind.shortlist: DeliberationShortlist.self
        case GovernanceKind.draft, GovernanceKind.publishPlan, GovernanceKind.implement: DeliberationPlan.self
        case GovernanceKind.vote: DeliberationMeeting.self
        case GovernanceKind.implementationProgress: DeliberationProgress.self
        default: nil
        }
    }

    /// The payload type of `version` of `kind`'s payload (``schemas``), or
    /// `nil` when the kind's payload is not binary or has no such version.
    public static func payloadType(of kind: String, version: UInt32) -> (any GovernancePayload.Type)? {
        guard let schema = schemas[kind], version >= 1, version <= schema.newest.version else { return nil }
        return schema.versions[Int(version) - 1].type
    }

    public func payload(kind: String, version: UInt32, json: StrictJSON.Node, path: String) throws(LedgerError) -> [UInt8]? {
        guard let schema = Self.schemas[kind] else { return nil }
        guard let type = Self.payloadType(of: kind, version: version) else {
            throw LedgerError(
                .unknownVersion,
                "\(path): \(kind) has no schema version \(version): this domain declares \(schema.range.count == 1 ? "version 1" : "versions 1 to \(schema.newest.version)") (docs/format.md §10)"
            )
        }
        func read<P: GovernancePayload>(_ type: P.Type) throws(LedgerError) -> [UInt8] {
            let isDeduction = kind == GovernanceKind.deduct
            let payload = try P(json: isDeduction ? Self.negatingAmount(json) : json, path: path)
            if isDeduction, let movement = payload as? PointsMovement, movement.amount <= 0 {
                throw LedgerError(
                    .invalidField, "\(path).amount: a deduction's amount is the change to the account: negative, such as -10")
            }
            return payload.encoded
        }
        return try read(type)
    }

    public func json(kind: String, version: UInt32, payload: [UInt8]) -> StrictJSON.Value? {
        guard let type = Self.payloadType(of: kind, version: version), let value = try? type.init(payload: payload) else { return nil }
        let json = value.json
        return kind == GovernanceKind.deduct ? Self.negatingAmount(StrictJSON.Node(value: json)).value : json
    }

    /// `node` with its `amount` member negated, where it is a whole number.
    static func negatingAmount(_ node: StrictJSON.Node) -> StrictJSON.Node {
        guard case .object(var members) = node.value, let index = members.firstIndex(where: { $0.name == "amount" }),
            case .integer(let amount) = members[index].node.value
        else { return node }
        members[index].node.value = .integer(amount.clampedMultiplied(by: -1))
        return StrictJSON.Node(value: .object(members), line: node.line, column: node.column)
    }
}
