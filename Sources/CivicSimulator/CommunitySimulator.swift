import CivicGovernance
import CivicLedger
import Foundation
import Synchronization

/// A small, fast, seedable generator (SplitMix64): the same seed gives the
/// same community and the same year, on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator from `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `true` with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}

/// A clock the simulator sets: the ledger records simulated time.
public final class SimulationClock: LedgerClock {
    private let current: Mutex<Timestamp>

    /// A clock at `start`.
    public init(start: Timestamp) { current = Mutex(start) }

    public func now() -> Timestamp { current.withLock { $0 } }

    /// Sets the time.
    public func set(_ time: Timestamp) { current.withLock { $0 = time } }
}

/// The shape of the simulated community. The defaults follow the source
/// (Dongsheng, Zhuji): 1 community, 17 grids, 137 micro-grids, about 3,000
/// residents, about 150 grid staff and volunteers, and 8 departments.
public struct CommunityProfile: Sendable {
    /// Residents.
    public var residents = 3000
    /// Grids.
    public var grids = 17
    /// Micro-grids (buildings) over all grids.
    public var microGrids = 137
    /// Party members (also residents), who take volunteer tasks.
    public var partyMembers = 60
    /// Other volunteers.
    public var volunteers = 20
    /// Days to simulate.
    public var days = 365
    /// The first day, local midnight (UTC+8): 2025-01-01, so that a
    /// simulated year lies in the past and verifies against today's clock.
    public var start = Timestamp(millisecondsSinceEpoch: 1_735_660_800_000)
    /// The seed.
    public var seed: UInt64 = 2026

    /// The default community.
    public init() {}

    /// The eight departments staff are sent down from (下沉).
    public static let departments: [(id: String, name: String)] = [
        ("water", "水务 water"), ("power", "供电 power"), ("gas", "燃气 gas"), ("housing", "住建 housing"),
        ("police", "派出所 police"), ("civil-affairs", "民政 civil affairs"), ("health", "卫健 health"), ("urban", "城管 urban management"),
    ]
}

/// What a simulation did.
public struct SimulationSummary: Sendable {
    /// Events appended, genesis included.
    public var events: UInt64
    /// Actors enrolled.
    public var actors: Int
    /// Days simulated.
    public var days: Int
    /// Commands the simulator tried that the rules refused before signing,
    /// by error code (an award over its cap, a redemption while suspended …).
    public var refusedCommands: [String: Int]
    /// Seconds spent.
    public var seconds: Double
    /// The governance state at the end.
    public var state: GovernanceState
}

/// A deterministic simulated community: enrols every actor with a key of
/// its own, registers the residents' archives, then lives N days — ordinary
/// life, a flood warning and emergency mode, recovery and a review —
/// through the typed command API, every event signed by the actor who acts.
///
/// Each simulated two-hour tick is appended as one atomic batch, planned
/// against the exact state the ledger will check it against.
public struct CommunitySimulator: Sendable {
    /// The community's shape and the seed.
    public var profile: CommunityProfile
    /// The ledger's origin.
    public var origin: String

    /// The community's place.
    public static let community: Place = "zhuji/dongsheng"

    /// A simulator.
    public init(profile: CommunityProfile = CommunityProfile(), origin: String = "civic-ledger.example/zhuji/dongsheng") {
        self.profile = profile
        self.origin = origin
    }

    /// The key of a simulated actor, derived from the seed and its id.
    public func key(_ actor: String) -> SigningKey {
        SigningKey(seed: SHA256.hash(Array("civic-simulator|\(profile.seed)|\(actor)".utf8)).bytes)!
    }

    /// The rules the simulated community runs by: the defaults, with its
    /// departments and their staff.
    public func rules() -> GovernanceRules {
        var rules = GovernanceRules.defaults(community: Self.community, name: "东盛村 Dongsheng")
        for department in CommunityProfile.departments {
            rules.departments[department.id] = .init(name: department.name, staff: ["\(department.id)-1", "\(department.id)-2"])
        }
        return rules
    }

    /// Creates the ledger on `store` and runs the simulation.
    ///
    /// - Parameters:
    ///   - store: an empty store.
    ///   - vault: where the residents' field keys go.
    ///   - logSigner: the log key; the authority key is derived from the seed.
    ///   - configuration: the ledger's configuration (checkpoint cadence, logging).
    ///   - progress: called after each day with the day and the events so far.
    public func run(
        store: any EventStore, vault: any KeyVault, logSigner: any Signer, configuration: LedgerConfiguration = LedgerConfiguration(),
        progress: (@Sendable (_ day: Int, _ events: UInt64) -> Void)? = nil
    ) async throws -> (Ledger, SimulationSummary) {
        let started = Date()
        let clock = SimulationClock(start: profile.start.adding(milliseconds: 8 * 3_600_000))
        let authority = key("ledger-authority")
        let ledger = try await GovernanceLedger.create(
            store: store, origin: origin, authority: authority, logSigner: logSigner, rules: rules(), clock: clock,
            configuration: configuration)
        var world = try await World(simulator: self, ledger: ledger, vault: vault, clock: clock, authority: authority)
        try await world.enrolEveryone()
        try await world.openArchives()
        for day in 0..<profile.days {
            try await world.live(day: day)
            progress?(day + 1, world.state.nextPosition)
        }
        let summary = SimulationSummary(
            events: world.state.nextPosition, actors: world.actorCount, days: profile.days, refusedCommands: world.refused,
            seconds: Date().timeIntervalSince(started), state: world.state)
        return (ledger, summary)
    }
}
