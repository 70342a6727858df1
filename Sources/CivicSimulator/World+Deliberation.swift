import CivicGovernance
import CivicLedger

extension World {
    /// The decision the community takes in public after the flood
    /// (三上三下三公开): water-level sensors for the low-lying buildings,
    /// opened on the first day of the review and run day by day from there.
    mutating func deliberate(day: Int) throws {
        let start = floodDay + absorbDays + recoverDays
        guard day >= start else { return }
        let id = "\(state.year(of: profile.start))-flood-sensors"
        let offset = day - start
        func committee(_ step: DeliberationStep) throws {
            try emit(by: "secretary") { try $0.deliberate(step, decision: id, by: $4, state: $1, at: $2, idempotencyKey: $3) }
        }
        func voices(_ count: Int, _ make: (Int) -> DeliberationStep) throws {
            let living = residents.filter { !$0.erased }
            guard !living.isEmpty else { return }
            for index in 0..<count {
                let step = make(index)
                try emit(by: pick(living).id) { try $0.deliberate(step, decision: id, by: $4, state: $1, at: $2, idempotencyKey: $3) }
            }
        }
        let topics = [
            "低洼楼栋水位传感器 water-level sensors in the low-lying buildings", "第二台排水泵 a second drainage pump",
            "加高3号楼门槛 raise the doorsteps of building 3", "防汛物资点 a second flood-supplies depot",
        ]
        let milestones = ["采购 buy the sensors", "安装 install them", "接入网格员手机 alarms to the grid workers' phones"]
        switch offset {
        case 0:
            try committee(
                .open(DeliberationOpen(title: "低洼楼栋水位传感器 flood sensors for the low-lying buildings", summary: "复盘 after the flood review")))
        case 1, 2, 3:
            try voices(3) { index in .propose(DeliberationText(topics[(offset + index) % topics.count])) }
        case 4:
            try committee(.shortlist(DeliberationShortlist(topics: Array(topics.prefix(3)), chosen: topics[0])))
        case 5:
            try committee(.draft(DeliberationPlan("在3、7、9号楼地下室装8个水位传感器 eight sensors in the basements of buildings 3, 7 and 9")))
        case 6, 7:
            try voices(2) { _ in .comment(DeliberationText("11号楼也进水了 building 11 flooded too")) }
        case 8:
            try committee(
                .publishPlan(DeliberationPlan("在3、7、9、11号楼装10个水位传感器 ten sensors in buildings 3, 7, 9 and 11", milestones: milestones)))
        case 10:
            // The representatives' meeting: the party members (at most 21),
            // most of them present, named votes.
            let entitled = Array(partyMembers.prefix(21))
            guard entitled.count >= 3 else { return }
            let present = entitled.filter { _ in rng.chance(0.85) }
            let votes = present.map { actor in
                DeliberationMeeting.Vote(actor: actor, choice: rng.chance(0.8) ? .yes : rng.chance(0.5) ? .no : .abstain)
            }
            try committee(.vote(DeliberationMeeting(entitled: entitled, present: present, votes: votes)))
        case 11:
            guard let meeting = state.deliberations[GovernanceStream.deliberation(id)]?.meeting else { return }
            try committee(
                .publishResult(
                    DeliberationText(
                        "\(meeting.passed ? "通过 adopted" : "未通过 not adopted"): \(meeting.yes) yes, \(meeting.no) no, \(meeting.abstain) abstain; \(meeting.present.count) of \(meeting.entitled.count) present"
                    )))
        case 13:
            try committee(
                .implement(DeliberationPlan("街道资金, 物业安装 street funds, installed by the property manager", milestones: milestones)))
        case 20, 30, 40, 50:
            let (milestone, percent): (UInt32, UInt8) =
                offset == 20 ? (0, 100) : offset == 30 ? (1, 50) : offset == 40 ? (1, 100) : (2, 100)
            try committee(.progress(DeliberationProgress(milestone: milestone, percent: percent, note: milestones[Int(milestone)])))
        case 60:
            try committee(.evaluate(DeliberationText("九月暴雨中报警及时 the alarms came in time in the September rain")))
        default:
            break
        }
    }
}
