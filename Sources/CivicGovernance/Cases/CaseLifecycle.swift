/// The states of a case's closed loop (docs/domain.md §2).
public enum CaseState: String, ByteCoded {
    /// 上报: reported, waiting for the grid leader.
    case reported
    /// 受理: accepted; a whistle waits for the community secretary.
    case accepted
    /// 不予受理: rejected, with a reason. Final.
    case rejected
    /// The secretary approved the whistle; the street office reviews it.
    case awaitingReview
    /// Approved at every level required; ready to dispatch.
    case approved
    /// 派单: sent to a department.
    case dispatched
    /// 退回: the department returned it as not its duty; the street office
    /// owns it again (兜底).
    case returned
    /// 签收: the department acknowledged it.
    case acknowledged
    /// The department is working on it.
    case inProgress
    /// 处置完毕: the department reports it handled.
    case resolved
    /// 核查: someone other than the resolver checked the work.
    case verified
    /// Verification failed or the rating was dissatisfied: back to dispatch.
    case reopened
    /// 销号: closed, waiting for the rating.
    case closed
    /// 回访评价: rated. Final.
    case rated
    /// 挂账: shelved in the unresolved register; stays in every report.
    case shelved

    /// `true` while someone still owes work on the case.
    public var isOpen: Bool {
        switch self {
        case .rejected, .closed, .rated, .shelved: false
        default: true
        }
    }

    /// `true` while a department holds it (the deadline runs).
    public var isWithDepartment: Bool {
        switch self {
        case .dispatched, .acknowledged, .inProgress: true
        default: false
        }
    }
}

/// One step of a case: the event kinds of ``GovernanceKind`` that move a
/// case, with what they carry that changes the next state.
public enum CaseStep: Hashable, Sendable, CustomStringConvertible {
    /// `case.report`.
    case report
    /// `case.accept`.
    case accept
    /// `case.reject`.
    case reject
    /// `case.approve`; in emergency mode it skips the second review.
    case approve(emergency: Bool)
    /// `case.review`.
    case review
    /// `case.dispatch`.
    case dispatch
    /// `case.delivery-failed`.
    case deliveryFailed
    /// `case.delivery-retried`.
    case deliveryRetried
    /// `case.acknowledge`.
    case acknowledge
    /// `case.progress`.
    case progress
    /// `case.return`.
    case returnToStreet
    /// `case.extend`.
    case extend
    /// `case.resolve`.
    case resolve
    /// `case.verify`.
    case verify(passed: Bool)
    /// `case.close`.
    case close
    /// `case.rate`; a dissatisfied rating for a controllable cause reopens.
    case rate(reopens: Bool)
    /// `case.shelve`.
    case shelve
    /// `case.remind`.
    case remind

    public var description: String {
        switch self {
        case .report: GovernanceKind.report
        case .accept: GovernanceKind.accept
        case .reject: GovernanceKind.reject
        case .approve: GovernanceKind.approve
        case .review: GovernanceKind.review
        case .dispatch: GovernanceKind.dispatch
        case .deliveryFailed: GovernanceKind.deliveryFailed
        case .deliveryRetried: GovernanceKind.deliveryRetried
        case .acknowledge: GovernanceKind.acknowledge
        case .progress: GovernanceKind.progress
        case .returnToStreet: GovernanceKind.returned
        case .extend: GovernanceKind.extend
        case .resolve: GovernanceKind.resolve
        case .verify: GovernanceKind.verify
        case .close: GovernanceKind.close
        case .rate: GovernanceKind.rate
        case .shelve: GovernanceKind.shelve
        case .remind: GovernanceKind.remind
        }
    }
}

/// Delivery of a dispatched case to its department: its own small state
/// machine, apart from the case's state.
public enum DeliveryState: String, ByteCoded {
    /// Not dispatched yet.
    case none
    /// Sent, not yet acknowledged.
    case sent
    /// Delivery failed; it must be retried before the department can
    /// acknowledge.
    case failed
    /// The department acknowledged receipt.
    case acknowledged
}

/// The transition function of the closed loop: a pure value-type state
/// machine that every path (commands, the ledger's check, replay) uses.
public enum CaseLifecycle {
    /// The state after `step` from `state` (`nil` for a case not reported
    /// yet), or `nil` when the step is illegal there.
    public static func next(_ state: CaseState?, _ step: CaseStep) -> CaseState? {
        guard let state else { return step == .report ? .reported : nil }
        switch (state, step) {
        case (.reported, .accept): return .accepted
        case (.reported, .reject): return .rejected
        case (.accepted, .approve(let emergency)): return emergency ? .approved : .awaitingReview
        case (.awaitingReview, .review): return .approved
        case (.approved, .dispatch), (.returned, .dispatch), (.reopened, .dispatch), (.shelved, .dispatch): return .dispatched
        case (.dispatched, .deliveryFailed), (.dispatched, .deliveryRetried): return .dispatched
        case (.dispatched, .acknowledge): return .acknowledged
        case (.dispatched, .returnToStreet), (.acknowledged, .returnToStreet): return .returned
        case (.acknowledged, .progress), (.inProgress, .progress): return .inProgress
        case (.dispatched, .extend), (.acknowledged, .extend), (.inProgress, .extend): return state
        case (.acknowledged, .resolve), (.inProgress, .resolve): return .resolved
        case (.resolved, .verify(let passed)): return passed ? .verified : .reopened
        case (.verified, .close): return .closed
        case (.closed, .rate(let reopens)): return reopens ? .reopened : .rated
        case (_, .shelve) where state.isOpen: return .shelved
        case (_, .remind) where state.isWithDepartment: return state
        default: return nil
        }
    }

    /// The kinds of the legal next steps from `state`, each once, in the
    /// order of ``legalSteps(from:)`` (which lists `case.approve` for each
    /// value of its emergency flag).
    public static func legalKinds(from state: CaseState?) -> [String] {
        var seen = Set<String>()
        return legalSteps(from: state).map(\.description).filter { seen.insert($0).inserted }
    }

    /// The steps legal from `state`, forward steps first, for error
    /// messages and generators.
    public static func legalSteps(from state: CaseState?) -> [CaseStep] {
        // Forward steps first, then the detours.
        let all: [CaseStep] = [
            .report, .accept, .approve(emergency: false), .approve(emergency: true), .review, .dispatch, .acknowledge, .progress, .resolve,
            .verify(passed: true), .close, .rate(reopens: false), .reject, .deliveryFailed, .deliveryRetried, .returnToStreet, .extend,
            .verify(passed: false), .rate(reopens: true), .shelve, .remind,
        ]
        return all.filter { next(state, $0) != nil }
    }
}
