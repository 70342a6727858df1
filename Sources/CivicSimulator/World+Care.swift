import CivicGovernance
import CivicLedger

extension World {
    // MARK: Volunteer tasks

    mutating func postTask(category: String, title: String) throws {
        taskCounter += 1
        let id = "t\(String(format: "%05d", taskCounter))"
        let grid = Int.random(in: 0..<grids.count, using: &rng)
        let organiser = grids[grid].leader
        let place = grids[grid].place
        guard
            try emit(
                by: organiser,
                { try $0.post(task: id, in: place, category: category, title: title, by: $4, state: $1, at: $2, idempotencyKey: $3) })
                != nil
        else { return }
        tasks.append(TaskAgent(id: id, organiser: organiser, category: category, due: tick + Int.random(in: 1...3, using: &rng)))
    }

    /// A volunteer, weighted so that some party members do few tasks.
    mutating func chooseVolunteer() -> String {
        while true {
            let pool = rng.chance(0.8) || volunteers.isEmpty ? partyMembers : volunteers
            let index = Int.random(in: 0..<pool.count, using: &rng)
            if index % 5 != 0 || rng.chance(0.04) { return pool[index] }
        }
    }

    mutating func advanceTasks(day: Int, tick: Int) throws {
        if tick == 0, !partyMembers.isEmpty {
            let posts = Int.random(in: 2...4, using: &rng)
            for _ in 0..<posts {
                let category = rng.chance(0.5) ? "elderly-visit" : rng.chance(0.5) ? "patrol" : "tutoring"
                try postTask(
                    category: category,
                    title: category == "patrol" ? "社区巡防 patrol" : category == "tutoring" ? "辅导留守儿童 tutoring" : "探访独居老人 visit")
            }
        }
        guard !partyMembers.isEmpty else { return }
        var index = 0
        while index < tasks.count {
            var task = tasks[index]
            guard task.due <= self.tick, let record = state.volunteers.tasks[GovernanceStream.task(task.id)] else {
                index += 1
                continue
            }
            let id = task.id
            switch record.state {
            case .posted:
                let volunteer = chooseVolunteer()
                if try emit(by: volunteer, { try $0.task(GovernanceKind.claim, task: id, by: $4, state: $1, at: $2, idempotencyKey: $3) })
                    != nil
                {
                    task.volunteer = volunteer
                }
                task.due = self.tick + Int.random(in: 1...6, using: &rng)
            case .claimed:
                let volunteer = task.volunteer ?? ""
                try emit(by: volunteer) {
                    try $0.task(GovernanceKind.complete, task: id, note: "已完成 done", by: $4, state: $1, at: $2, idempotencyKey: $3)
                }
                task.due = self.tick + 1
            case .done:
                if let position = try emit(
                    by: task.organiser,
                    { try $0.task(GovernanceKind.confirm, task: id, note: "已核实 confirmed", by: $4, state: $1, at: $2, idempotencyKey: $3) }),
                    let volunteer = task.volunteer
                {
                    pendingAwards.append((volunteer, task.category == "patrol" ? "patrol" : "care", position, "secretary"))
                }
                tasks.remove(at: index)
                continue
            case .confirmed:
                tasks.remove(at: index)
                continue
            }
            tasks[index] = task
            index += 1
        }
    }

    // MARK: Visits and health

    mutating func visits(day: Int) throws {
        for gridIndex in grids.indices {
            let worker = grids[gridIndex].workers[day % 2]
            var visited = 0
            for index in residents.indices where residents[index].grid == gridIndex && visited < 6 {
                let resident = residents[index]
                guard !resident.erased, !resident.neglected, resident.nextVisit <= day else { continue }
                guard let visitKey = noteKeys[NoteKeys.subject(resident.id, .visit, generation: 0)],
                    let healthKey = noteKeys[NoteKeys.subject(resident.id, .health, generation: 0)]
                else { continue }
                let id = resident.id
                guard
                    let position = try emit(
                        by: worker,
                        { try $0.visit(id, note: "走访：情况稳定 visit: stable", key: visitKey, by: $4, state: $1, at: $2, idempotencyKey: $3) })
                else { continue }
                visited += 1
                let interval = state.rules?.visitInterval(tags: resident.tags, level: resident.level) ?? 365
                residents[index].nextVisit = day + max(1, interval - Int.random(in: 0...min(10, interval / 3), using: &rng))
                if resident.tags.contains("chronic-illness") {
                    try emit(by: worker) {
                        try $0.health(
                            id, .followup, note: "血压随访 blood pressure follow-up", key: healthKey, by: $4, state: $1, at: $2,
                            idempotencyKey: $3)
                    }
                }
                if rng.chance(0.1) { pendingAwards.append((id, "screening", position, worker)) }
            }
        }
    }

    // MARK: Points

    mutating func grantAwards() throws {
        let awards = pendingAwards
        pendingAwards.removeAll()
        for award in awards where !residents.isEmpty {
            try emit(by: award.grantor) {
                try $0.award(
                    award.resident, rule: award.rule, evidence: award.evidence, reason: "按规则 \(award.rule)", by: $4, state: $1, at: $2,
                    idempotencyKey: $3)
            }
        }
    }

    mutating func pointsLife(day: Int) throws {
        if rng.chance(0.1) {
            let resident = pick(residents).id
            if let position = try emit(
                by: "secretary",
                {
                    try $0.deduct(
                        resident, rule: "littering", reason: "高空抛物 littering from height", by: $4, state: $1, at: $2, idempotencyKey: $3)
                })
            {
                deductions.append((resident, position, tick + Int.random(in: 6...30, using: &rng)))
            }
        }
        var kept: [(resident: String, position: UInt64, appealAt: Int)] = []
        for deduction in deductions {
            guard deduction.appealAt <= tick else {
                kept.append(deduction)
                continue
            }
            guard rng.chance(0.3) else { continue }
            if let position = try emit(
                by: deduction.resident,
                {
                    try $0.appeal(
                        deduction.resident, target: deduction.position, grounds: "不是我 it was not me", by: $4, state: $1, at: $2,
                        idempotencyKey: $3)
                })
            {
                appeals.append((deduction.resident, position, tick + Int.random(in: 6...18, using: &rng)))
            }
        }
        deductions = kept
        var waiting: [(resident: String, position: UInt64, decideAt: Int)] = []
        for appeal in appeals {
            guard appeal.decideAt <= tick else {
                waiting.append(appeal)
                continue
            }
            let upheld = rng.chance(0.4)
            try emit(by: "committee-\(Int.random(in: 1...3, using: &rng))") {
                try $0.decideAppeal(
                    appeal.resident, appeal: appeal.position, upheld: upheld,
                    reasoning: upheld ? "证据不足 not enough evidence" : "维持 deduction stands", by: $4, state: $1, at: $2, idempotencyKey: $3)
            }
        }
        appeals = waiting
        if day % 7 == 6 {
            let rich = state.points.accounts.filter { $0.value.contribution >= 30 }.keys.sorted()
            for stream in rich where rng.chance(0.5) {
                let resident = String(stream.dropFirst("points/".count))
                try emit(by: resident) {
                    try $0.redeem(resident, amount: 20, item: "米油兑换 rice and oil", by: $4, state: $1, at: $2, idempotencyKey: $3)
                }
            }
        }
    }
}
