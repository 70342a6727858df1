import CivicLedger
import Foundation

/// Decoded, readable views of governance payloads, for exports and
/// `log --json`: the payload's fields by name, enumerations by name,
/// times as ISO 8601 text.
///
/// Sealed personal fields (names, phone numbers, addresses, notes about a
/// person) appear only as `{"sealedBytes": n}`: a view never carries their
/// ciphertext or anything derived from the plaintext.
public enum GovernancePayloadView {
    /// The payload type of each governance kind whose payload is binary
    /// (`community.rules` is JSON and needs none).
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

    /// The view of `entry`'s payload, or `nil` when its kind has no binary
    /// payload type or the payload does not decode.
    public static func view(of entry: LedgerEntry) -> Any? {
        guard let type = payloadType(of: entry.kind), let payload = try? type.init(payload: entry.payload) else { return nil }
        return json(payload)
    }

    /// A JSON value (dictionaries, arrays, strings, numbers, booleans) for
    /// a payload value, by reflection over its stored fields.
    static func json(_ value: Any) -> Any {
        switch value {
        case let value as String: return value
        case let value as Bool: return value
        case let value as any BinaryInteger: return Int64(clamping: value)
        case let value as Timestamp: return value.description
        case let value as Place: return value.path
        case let value as PublicKey: return value.base64
        case let value as SealedField: return ["sealedBytes": value.bytes.count]
        case let value as any RawRepresentable<String>: return value.rawValue
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.map { json($0.value) } ?? NSNull()
        case .collection, .set:
            return mirror.children.map { json($0.value) }
        case .struct, .class, .tuple:
            var object: [String: Any] = [:]
            for child in mirror.children {
                guard let label = child.label else { continue }
                object[label] = json(child.value)
            }
            return object
        default:
            return String(describing: value)
        }
    }
}
