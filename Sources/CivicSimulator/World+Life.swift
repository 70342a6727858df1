import CivicGovernance
import CivicLedger

/// What each case category is, who handles it, and how urgent it usually is.
let caseKinds: [(category: String, department: String, urgency: Urgency, weight: Double)] = [
    ("drainage", "water", .general, 3), ("streetlight", "power", .general, 2), ("power-outage", "power", .utilities, 1),
    ("gas-smell", "gas", .emergency, 0.3), ("building-crack", "housing", .complex, 0.6), ("noise", "police", .general, 1.5),
    ("elderly-care", "civil-affairs", .general, 1.2), ("sanitation", "urban", .general, 2.5), ("parking", "urban", .general, 1.5),
    ("flood-risk", "water", .emergency, 0.2), ("epidemic", "health", .utilities, 0.3),
]

extension World {
    /// The flood: its first day and the lengths of its phases, scaled to the run.
    var floodDay: Int { profile.days * 55 / 100 }
    var absorbDays: Int { max(1, profile.days / 120) }
    var recoverDays: Int { max(2, profile.days / 25) }
    var adaptDays: Int { max(2, profile.days / 36) }

    func inFlood(_ day: Int) -> Bool { day >= floodDay && day < floodDay + absorbDays }

    mutating func live(day: Int) async throws {
        for tick in 0..<6 {
            setTime(day: day, tick: tick)
            if tick == 0 {
                try await phases(day)
                try deliberate(day: day)
            }
            let reports =
                inFlood(day)
                ? 8.0 : day >= floodDay && day < floodDay + absorbDays + recoverDays ? 3.0 : Double(profile.residents) / 375 / 6
            var count = Int(reports)
            if rng.chance(reports - Double(count)) { count += 1 }
            for _ in 0..<count { try report(day: day) }
            try advanceCases()
            try remindOverdue()
            try advanceTasks(day: day, tick: tick)
            if tick == 1 || tick == 3 { try visits(day: day) }
            try grantAwards()
            if tick == 5 { try pointsLife(day: day) }
            try await flush()
        }
    }

    // MARK: Phases and the flood

    mutating func phases(_ day: Int) async throws {
        let changes: [(Int, CommunityMode, ResiliencePhase, String)] = [
            (floodDay, .emergency, .absorb, "暴雨红色预警 red rainstorm warning: emergency mode"),
            (floodDay + absorbDays, .peacetime, .recover, "水位回落 water receding: recovery"),
            (floodDay + absorbDays + recoverDays, .peacetime, .adapt, "复盘 review of the flood"),
            (floodDay + absorbDays + recoverDays + adaptDays, .peacetime, .plan, "回到常态 back to planning"),
        ]
        for (start, mode, phase, reason) in changes where start == day && start < profile.days {
            try emit(by: "secretary") { try $0.setMode(mode, phase: phase, reason: reason, by: $4, state: $1, at: $2, idempotencyKey: $3) }
        }
        if inFlood(day) {
            for (item, quantity) in [("sandbag", 300), ("food-pack", 120), ("life-jacket", 20)] {
                try emit(by: "secretary") {
                    try $0.stock(
                        GovernanceKind.stockOut, store: "depot-1", item: item, quantity: Int64(quantity), note: "防汛 flood defence", by: $4,
                        state: $1, at: $2, idempotencyKey: $3)
                }
            }
            for _ in 0..<10 { try postTask(category: "patrol", title: "防汛巡查 flood patrol") }
            if rng.chance(0.6) {
                let resident = pick(residents).id
                try emit(by: "secretary") {
                    try $0.deduct(
                        resident, rule: "obstruction", reason: "阻挡沙袋车 blocked the sandbag truck", by: $4, state: $1, at: $2,
                        idempotencyKey: $3)
                }
                .map { deductions.append((resident, $0, tick + 6)) }
            }
        }
        if day == floodDay + absorbDays + 1 {
            for (item, quantity) in [("sandbag", 1000), ("food-pack", 400)] {
                try emit(by: "secretary") {
                    try $0.stock(
                        GovernanceKind.stockIn, store: "depot-1", item: item, quantity: Int64(quantity), note: "补充 replenished", by: $4,
                        state: $1, at: $2, idempotencyKey: $3)
                }
            }
        }
        for erasureDay in [profile.days * 3 / 10, profile.days * 8 / 10] where erasureDay == day {
            let index = (day * 7919) % residents.count
            guard !residents[index].erased else { continue }
            let resident = residents[index].id
            let signer = key("secretary")
            counter += 1
            do {
                let event = try commands.erase(
                    resident, reason: "迁出并申请删除 moved away, asked for deletion", by: signer, state: state, at: now,
                    idempotencyKey: "sim-\(counter)")
                try plan(event)
                // The key goes first: if the append then failed, the
                // fields would stay unreadable, never the other way round.
                try await vault.destroy(subject: resident)
                for data in [RetainedData.visit, .health] {
                    let subject = NoteKeys.subject(resident, data, generation: 0)
                    try await vault.destroy(subject: subject)
                    noteKeys[subject] = nil
                }
                residents[index].erased = true
                fieldKeys[resident] = nil
            } catch let error as LedgerError {
                refused[error.code.rawValue, default: 0] += 1
            }
        }
    }

    // MARK: Cases

    mutating func report(day: Int) throws {
        let total = caseKinds.reduce(0) { $0 + $1.weight }
        var roll = Double.random(in: 0..<total, using: &rng)
        var kind = caseKinds[0]
        for candidate in caseKinds {
            roll -= candidate.weight
            if roll < 0 {
                kind = candidate
                break
            }
        }
        if inFlood(day) && rng.chance(0.7) { kind = caseKinds.first { $0.category == "flood-risk" }! }
        let resident = pick(residents)
        let source: CaseSource
        let reporter: String
        let sourceRoll = Double.random(in: 0..<1, using: &rng)
        if resident.erased || sourceRoll < 0.35 {
            source = rng.chance(0.5) ? .visit : .patrol
            reporter = pick(grids[resident.grid].workers)
        } else if sourceRoll < 0.45 {
            source = kind.category == "flood-risk" || kind.category == "gas-smell" ? .sensor : .hotline
            reporter = source == .sensor ? "sensor-hub" : pick(informants)
        } else {
            source = .resident
            reporter = resident.id
        }
        caseCounter += 1
        let id = "\(state.year(of: profile.start))-\(String(format: "%05d", caseCounter))"
        let place = resident.place
        let urgency = kind.urgency
        let category = kind.category
        let summary = "\(category) near \(place.path.split(separator: "/").last!)"
        guard
            try emit(
                by: reporter,
                {
                    try $0.report(
                        case: id, in: place, urgency: urgency, category: category, source: source, summary: summary, by: $4, state: $1,
                        at: $2, idempotencyKey: $3)
                }) != nil
        else { return }
        cases.append(
            CaseAgent(
                id: id, urgency: urgency, category: category, department: kind.department, reporter: reporter, grid: resident.grid,
                due: tick + (urgency == .emergency ? 0 : Int.random(in: 0...2, using: &rng))))
    }

    /// Ticks a department takes to resolve, by urgency, with a late tail.
    mutating func resolutionDelay(_ urgency: Urgency) -> Int {
        let late = rng.chance(0.08)
        switch urgency {
        case .emergency: return late ? 1 : 0
        case .utilities: return late ? Int.random(in: 8...10, using: &rng) : Int.random(in: 1...4, using: &rng)
        case .general: return late ? Int.random(in: 44...60, using: &rng) : Int.random(in: 2...30, using: &rng)
        case .complex: return late ? Int.random(in: 95...120, using: &rng) : Int.random(in: 10...70, using: &rng)
        }
    }

    mutating func advanceCases() throws {
        var index = 0
        while index < cases.count {
            var agent = cases[index]
            var steps = 0
            // Emergencies move several steps in one tick; others one.
            while agent.due <= tick, steps < (agent.urgency == .emergency ? 8 : 1) {
                steps += 1
                guard let done = try step(&agent) else { break }
                if done {
                    agent.due = .max
                    break
                }
            }
            if agent.due == .max {
                cases.remove(at: index)
            } else {
                cases[index] = agent
                index += 1
            }
        }
    }

    /// Takes the case's next step; returns `true` when the case needs
    /// nothing more, `nil` when the step was refused.
    mutating func step(_ agent: inout CaseAgent) throws -> Bool? {
        let stream = GovernanceStream.case(agent.id)
        guard let record = state.board[stream] else { return true }
        let id = agent.id
        let leader = grids[agent.grid].leader
        let staff = "\(agent.department)-\(Int.random(in: 1...2, using: &rng))"
        let quick = agent.urgency == .emergency
        func next(_ delay: ClosedRange<Int>) -> Int { quick ? tick : tick + Int.random(in: delay, using: &rng) }
        var result: UInt64?
        switch record.state {
        case .reported:
            if rng.chance(0.04) {
                result = try emit(by: leader) {
                    try $0.step(
                        GovernanceKind.reject, case: id, note: "重复上报 duplicate report", by: $4, state: $1, at: $2, idempotencyKey: $3)
                }
                return result == nil ? nil : true
            }
            result = try emit(by: leader) { try $0.step(GovernanceKind.accept, case: id, by: $4, state: $1, at: $2, idempotencyKey: $3) }
            agent.due = next(0...1)
        case .accepted:
            result = try emit(by: "secretary") {
                try $0.approve(case: id, note: "吹哨 whistle", by: $4, state: $1, at: $2, idempotencyKey: $3)
            }
            agent.due = next(0...1)
        case .awaitingReview:
            result = try emit(by: "street-1") {
                try $0.step(GovernanceKind.review, case: id, by: $4, state: $1, at: $2, idempotencyKey: $3)
            }
            agent.due = next(0...2)
        case .approved, .returned, .reopened:
            var department = agent.department
            if record.state == .approved, !agent.returnedOnce, rng.chance(0.04) {
                department = "urban" == department ? "housing" : "urban"
            }
            let target = department
            result = try emit(by: "street-2") { try $0.dispatch(case: id, to: target, by: $4, state: $1, at: $2, idempotencyKey: $3) }
            agent.due = next(0...1)
        case .dispatched:
            if record.delivery == .failed {
                result = try emit(by: "street-1") {
                    try $0.step(GovernanceKind.deliveryRetried, case: id, by: $4, state: $1, at: $2, idempotencyKey: $3)
                }
            } else if !agent.deliveryFailedOnce, rng.chance(0.03) {
                agent.deliveryFailedOnce = true
                result = try emit(by: "street-1") {
                    try $0.step(
                        GovernanceKind.deliveryFailed, case: id, note: "系统未送达 not delivered", by: $4, state: $1, at: $2, idempotencyKey: $3)
                }
            } else if record.department != agent.department {
                let wrong = "\(record.department ?? agent.department)-1"
                agent.returnedOnce = true
                result = try emit(by: wrong) {
                    try $0.step(
                        GovernanceKind.returned, case: id, note: "非本部门职责 not our duty", by: $4, state: $1, at: $2, idempotencyKey: $3)
                }
            } else if rng.chance(0.015) {
                result = try emit(by: "street-2") {
                    try $0.step(
                        GovernanceKind.shelve, case: id, note: "需立项资金 needs a budget line", by: $4, state: $1, at: $2, idempotencyKey: $3)
                }
                return result == nil ? nil : true
            } else {
                result = try emit(by: staff) {
                    try $0.step(GovernanceKind.acknowledge, case: id, by: $4, state: $1, at: $2, idempotencyKey: $3)
                }
                agent.due = tick + resolutionDelay(agent.urgency)
                return result == nil ? nil : false
            }
            agent.due = next(0...1)
        case .acknowledged, .inProgress:
            if agent.urgency != .emergency, record.extensions == 0, rng.chance(0.05), let deadline = record.deadline, now < deadline {
                result = try emit(by: staff) {
                    try $0.extend(
                        case: id, minutes: 2 * 24 * 60, reason: "等待配件 waiting for parts", by: $4, state: $1, at: $2, idempotencyKey: $3)
                }
                agent.due = next(1...3)
            } else if agent.urgency == .complex, record.state == .acknowledged {
                result = try emit(by: staff) {
                    try $0.progress(case: id, percent: 50, note: "施工中 works under way", by: $4, state: $1, at: $2, idempotencyKey: $3)
                }
                agent.due = next(2...10)
            } else {
                result = try emit(by: staff) {
                    try $0.step(GovernanceKind.resolve, case: id, note: "已处置 handled", by: $4, state: $1, at: $2, idempotencyKey: $3)
                }
                agent.due = next(0...2)
            }
        case .resolved:
            let passed = !rng.chance(0.06)
            result = try emit(by: leader) {
                try $0.verify(
                    case: id, passed: passed, note: passed ? "现场核查通过 checked on site" : "仍未解决 still not fixed", by: $4, state: $1, at: $2,
                    idempotencyKey: $3)
            }
            agent.due = next(0...1)
        case .verified:
            result = try emit(by: "secretary") {
                try $0.step(GovernanceKind.close, case: id, note: "销号 closed", by: $4, state: $1, at: $2, idempotencyKey: $3)
            }
            if let position = result, agent.reporter.hasPrefix("r0"), rng.chance(0.7) {
                pendingAwards.append((agent.reporter, "report", position, leader))
            }
            agent.due = next(1...4)
        case .closed:
            guard agent.reporter.hasPrefix("r0"), rng.chance(0.85) else { return true }
            let roll = Double.random(in: 0..<1, using: &rng)
            let rating: Rating = roll < 0.75 ? .satisfied : roll < 0.93 ? .basic : .dissatisfied
            let controllable = rating == .dissatisfied && rng.chance(0.5)
            result = try emit(by: agent.reporter) {
                try $0.rate(case: id, rating, controllable: controllable, comment: "", by: $4, state: $1, at: $2, idempotencyKey: $3)
            }
            if controllable {
                agent.due = next(1...2)
                return result == nil ? nil : false
            }
            return result == nil ? nil : true
        case .rejected, .rated, .shelved:
            return true
        }
        return result == nil ? nil : false
    }

    mutating func remindOverdue() throws {
        for agent in cases {
            let stream = GovernanceStream.case(agent.id)
            guard let record = state.board[stream], record.reminders == 0, record.isOverdue(at: now) else { continue }
            let id = agent.id
            try emit(by: "supervisor") {
                try $0.step(GovernanceKind.remind, case: id, note: "催办 overdue", by: $4, state: $1, at: $2, idempotencyKey: $3)
            }
        }
    }
}
