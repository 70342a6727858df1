import CivicLedger

/// The community's mode (平战结合).
public enum CommunityMode: String, ByteCoded {
    /// 平时.
    case peacetime
    /// 战时: shorter deadlines, no second review.
    case emergency
}

/// The phase of resilience work (docs/domain.md §6).
public enum ResiliencePhase: String, ByteCoded {
    /// Risk lists, warnings.
    case plan
    /// The emergency itself.
    case absorb
    /// Restore order, keep controls.
    case recover
    /// Learn: review what happened.
    case adapt
}

/// `community.mode`: a switch of mode or phase.
public struct ModeChange: GovernancePayload {
    /// The mode from now on.
    public var mode: CommunityMode = .peacetime
    /// The phase from now on.
    public var phase: ResiliencePhase = .plan
    /// Why.
    public var reason = ""

    public static let fields: [PayloadField<Self>] = [.code(.public, "mode", \.mode), .code(.public, "phase", \.phase), .text(.public, "reason", \.reason)]

    /// No change yet: what the decoders fill in.
    public init() {}

    /// A mode change.
    public init(mode: CommunityMode, phase: ResiliencePhase, reason: String) {
        self.mode = mode
        self.phase = phase
        self.reason = reason
    }
}
