import CivicGovernance
import CivicLedger

/// The simulation's moving parts: who lives where, which cases and tasks
/// are under way, and the governance state as of the last planned event.
struct World {
    let simulator: CommunitySimulator
    let ledger: Ledger
    let vault: any KeyVault
    let clock: SimulationClock
    let authority: SigningKey
    let commands: GovernanceCommands
    var profile: CommunityProfile { simulator.profile }

    var state: GovernanceState
    var rng: SeededGenerator
    var keys: [String: SigningKey] = [:]
    var streamVersions: [String: UInt64] = [:]
    var batch: [SignedEvent] = []
    var batchStart: UInt64 = 0
    var now: Timestamp
    var tick = 0
    var counter = 0
    var refused: [String: Int] = [:]
    var actorCount = 0

    struct Grid {
        var place: Place
        var leader: String
        var workers: [String]
        var microGrids: [Place]
    }

    struct Resident {
        var id: String
        var grid: Int
        var place: Place
        var tags: [String]
        var level: RiskLevel
        var nextVisit: Int  // day
        var neglected: Bool
        var erased = false
    }

    struct CaseAgent {
        var id: String
        var urgency: Urgency
        var category: String
        var department: String
        var reporter: String
        var grid: Int
        var due: Int  // tick
        var returnedOnce = false
        var deliveryFailedOnce = false
    }

    struct TaskAgent {
        var id: String
        var organiser: String
        var category: String
        var volunteer: String?
        var due: Int
    }

    var grids: [Grid] = []
    var residents: [Resident] = []
    var partyMembers: [String] = []
    var volunteers: [String] = []
    var informants: [String] = []
    var cases: [CaseAgent] = []
    var tasks: [TaskAgent] = []
    var caseCounter = 0
    var taskCounter = 0
    var pendingAwards: [(resident: String, rule: String, evidence: UInt64, grantor: String)] = []
    var deductions: [(resident: String, position: UInt64, appealAt: Int)] = []
    var appeals: [(resident: String, position: UInt64, decideAt: Int)] = []
    /// The residents' field keys, fetched from the vault once.
    var fieldKeys: [String: FieldKey] = [:]
    /// Note keys by vault subject (``NoteKeys``): generation 0, as nothing expires in a simulation.
    var noteKeys: [String: FieldKey] = [:]

    init(simulator: CommunitySimulator, ledger: Ledger, vault: any KeyVault, clock: SimulationClock, authority: SigningKey) async throws {
        self.simulator = simulator
        self.ledger = ledger
        self.vault = vault
        self.clock = clock
        self.authority = authority
        self.commands = GovernanceCommands(origin: simulator.origin)
        self.state = try await GovernanceLedger.state(of: ledger)
        self.rng = SeededGenerator(seed: simulator.profile.seed)
        self.now = clock.now()
        self.batchStart = state.nextPosition
        keys["ledger-authority"] = authority
    }

    // MARK: Planning and appending

    mutating func key(_ actor: String) -> SigningKey {
        if let key = keys[actor] { return key }
        let key = simulator.key(actor)
        keys[actor] = key
        return key
    }

    /// Plans one command: checks it against the planned state, signs it,
    /// folds it in. A refusal is counted and returns `nil`.
    @discardableResult
    mutating func emit(
        by actor: String, _ build: (_ commands: GovernanceCommands, _ state: GovernanceState, _ time: Timestamp, _ idempotencyKey: String, _ signer: SigningKey) throws -> SignedEvent
    ) throws -> UInt64? {
        counter += 1
        let signer = key(actor)
        let event: SignedEvent
        do {
            event = try build(commands, state, now, "sim-\(counter)", signer)
        } catch let error as LedgerError {
            refused[error.code.rawValue, default: 0] += 1
            return nil
        }
        return try plan(event)
    }

    @discardableResult
    mutating func plan(_ event: SignedEvent) throws -> UInt64 {
        let position = state.nextPosition
        let version = (streamVersions[event.content.stream] ?? 0) + 1
        streamVersions[event.content.stream] = version
        try state.fold(LedgerEntry(position: position, recordedAt: now, streamVersion: version, event: event))
        batch.append(event)
        return position
    }

    /// Appends the planned events as atomic batches of at most 4,000 (a
    /// tick plans far fewer; enrolment and the archives plan ~3,000).
    mutating func flush() async throws {
        guard !batch.isEmpty else { return }
        clock.set(now)
        var offset = 0
        while offset < batch.count {
            let chunk = Array(batch[offset..<min(batch.count, offset + 4000)])
            let receipts = try await ledger.append(batch: chunk)
            guard receipts.first?.position == batchStart + UInt64(offset), receipts.allSatisfy({ $0.recordedAt == now }) else {
                throw LedgerError(.storeConflict, "the simulated ledger moved under the simulator (another writer?)")
            }
            offset += chunk.count
        }
        batch.removeAll(keepingCapacity: true)
        batchStart = state.nextPosition
    }

    mutating func setTime(day: Int, tick: Int) {
        self.tick = day * 6 + tick
        now = profile.start.adding(milliseconds: Int64(day) * 86_400_000 + Int64(8 + 2 * tick) * 3_600_000)
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }

    // MARK: Enrolment and archives

    mutating func enrol(_ actor: String, _ role: String, _ scope: Place) throws {
        let content = SystemEvent.content(
            origin: simulator.origin, kind: SystemEvent.Kind.enrol,
            payload: SystemEvent.Enrol(actor: actor, key: key(actor).publicKey, role: role, scope: scope),
            actorKey: authority.publicKey, clientTime: now, idempotencyKey: "enrol-\(actor)-\(role)")
        try plan(try SignedEvent(signing: content, with: authority))
    }

    mutating func enrolEveryone() async throws {
        let community = CommunitySimulator.community
        var microCount = 0
        for index in 0..<profile.grids {
            let place = try Place(validating: "\(community.path)/g\(String(format: "%02d", index + 1))")
            let share = profile.microGrids / profile.grids + (index < profile.microGrids % profile.grids ? 1 : 0)
            let micro = try (0..<max(1, share)).map { try Place(validating: "\(place.path)/mg\(String(format: "%03d", microCount + $0 + 1))") }
            microCount += micro.count
            let grid = Grid(
                place: place, leader: "leader-\(index + 1)",
                workers: ["worker-\(index + 1)a", "worker-\(index + 1)b", "instructor-\(index + 1)"], microGrids: micro)
            try enrol(grid.leader, "grid-leader", place)
            for worker in grid.workers { try enrol(worker, "grid-worker", place) }
            grids.append(grid)
        }
        try enrol("secretary", "community-secretary", community)
        try enrol("street-1", "street-office", "zhuji")
        try enrol("street-2", "street-office", "zhuji")
        for department in CommunityProfile.departments {
            for staff in ["\(department.id)-1", "\(department.id)-2"] { try enrol(staff, "department-staff", "zhuji") }
        }
        for member in ["committee-1", "committee-2", "committee-3"] { try enrol(member, "points-committee", community) }
        try enrol("supervisor", "supervisor", "zhuji")
        informants = ["courier-1", "courier-2", "rider-1", "sensor-hub"]
        for informant in informants { try enrol(informant, "grid-informant", community) }

        let tagChances: [(String, Double)] = [
            ("elderly-alone", 0.08), ("disability", 0.03), ("chronic-illness", 0.08), ("rented-housing", 0.15), ("left-behind-child", 0.03),
        ]
        for index in 0..<profile.residents {
            let grid = index % grids.count
            let place = pick(grids[grid].microGrids)
            let id = "r\(String(format: "%05d", index + 1))"
            let tags = tagChances.filter { rng.chance($0.1) }.map(\.0)
            let roll = Double.random(in: 0..<1, using: &rng)
            let level: RiskLevel = roll < 0.03 ? .red : roll < 0.12 ? .orange : roll < 0.30 ? .yellow : .green
            let interval = simulator.rules().visitInterval(tags: tags, level: level)
            residents.append(
                Resident(id: id, grid: grid, place: place, tags: tags, level: level, nextVisit: Int.random(in: 0..<interval, using: &rng), neglected: rng.chance(0.03)))
            try enrol(id, "resident", place)
        }
        for index in 0..<min(profile.partyMembers, residents.count) {
            let resident = residents[index * max(1, residents.count / max(1, profile.partyMembers))]
            try enrol(resident.id, "party-member", CommunitySimulator.community)
            partyMembers.append(resident.id)
        }
        for index in 0..<profile.volunteers {
            let resident = residents[(index * 37 + 11) % residents.count]
            guard !partyMembers.contains(resident.id) else { continue }
            try enrol(resident.id, "volunteer", CommunitySimulator.community)
            volunteers.append(resident.id)
        }
        actorCount = state.registry?.actors.count ?? 0
        try await flush()
    }

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
    static let given = Array("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂")

    mutating func openArchives() async throws {
        fieldKeys = try await vault.keys(for: residents.map(\.id))
        // Each resident's visit and health notes have keys of their own (NoteKeys), fetched in one go.
        noteKeys = try await vault.keys(
            for: residents.flatMap { [NoteKeys.subject($0.id, .visit, generation: 0), NoteKeys.subject($0.id, .health, generation: 0)] })
        for index in residents.indices {
            let resident = residents[index]
            let fieldKey = fieldKeys[resident.id]!
            let name = String([pick(Self.surnames), pick(Self.given)] + (rng.chance(0.6) ? [pick(Self.given)] : []))
            let phone = "13\(Int.random(in: 100_000_000...999_999_999, using: &rng))"
            let household = "hh-\(resident.place.path.split(separator: "/").last!)-\(index % 40 + 1)"
            try emit(by: grids[resident.grid].workers[0]) { commands, state, time, key, signer in
                try commands.register(
                    resident.id, household: household, in: resident.place, level: resident.level, tags: resident.tags, name: name, phone: phone,
                    address: "\(resident.place.path) #\(index % 40 + 1)", key: fieldKey, by: signer, state: state, at: time, idempotencyKey: key)
            }
        }
        try emit(by: "secretary") { commands, state, time, key, signer in
            try commands.issue(50_000, note: "年度积分池 annual pool", by: signer, state: state, at: time, idempotencyKey: key)
        }
        for (item, quantity) in [("sandbag", 2000), ("pump", 12), ("life-jacket", 300), ("food-pack", 800)] {
            try emit(by: "secretary") { commands, state, time, key, signer in
                try commands.stock(GovernanceKind.stockIn, store: "depot-1", item: item, quantity: Int64(quantity), note: "年度储备 annual reserve", by: signer, state: state, at: time, idempotencyKey: key)
            }
        }
        try await flush()
    }
}
