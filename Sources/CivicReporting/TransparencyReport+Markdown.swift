import CivicGovernance
import CivicLedger
import Foundation

extension TransparencyReport {
    /// The stage names of a decision, Chinese first.
    static let stageNames: [String: String] = [
        "collecting": "一上 征集议题 collecting topics", "shortlisted": "一下 公布议题 shortlist published",
        "drafting": "二上 拟定方案 drafting the plan", "planPublished": "二下 公布方案 plan published",
        "voted": "三上 代表表决 voted", "resultPublished": "三下 公开结果 result published",
        "implementing": "公开实施 implementing", "evaluated": "公开评估 evaluated",
    ]

    /// The funnel stages, Chinese first.
    static let funnelNames: [String: String] = [
        "reported": "上报 reported", "accepted": "受理 accepted", "dispatched": "派单 dispatched", "resolved": "办结 resolved",
        "closed": "销号 closed", "rated": "评价 rated",
    ]

    /// The period in words.
    var periodText: String {
        "\(from ?? "开始 the beginning") – \(to ?? "检查点 the checkpoint")"
    }

    static func rate(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0) } ?? "—" }

    /// The report as Markdown: the same figures as the JSON, Chinese labels
    /// first with English alongside, and the checkpoint at the end.
    public func markdown() -> String {
        var out: [String] = []
        out.append("# \(communityName) 透明度报告 Transparency report")
        out.append("")
        out.append("- 社区 Community: `\(community)`")
        out.append("- 期间 Period: \(periodText)")
        out.append("- 账本 Ledger: `\(origin)`, 检查点 checkpoint: \(checkpoint.size) 条 entries, root `\(checkpoint.root)`")
        if let reader = namesShownTo { out.append("- 实名 Residents named for \(reader): 不得公开 not for publication") }
        out.append("")
        out.append("## 三上三下三公开 Decisions in public")
        out.append("")
        if decisions.isEmpty { out.append("本期无 None in this period.") }
        for decision in decisions {
            out.append("### \(decision.title)")
            out.append("")
            out.append("- 阶段 Stage: \(Self.stageNames[decision.stage] ?? decision.stage)")
            out.append("- 一上一下 Topics: \(decision.proposals) 项提议 proposed; 入选 shortlist: \(decision.shortlist.joined(separator: "; "))")
            if let topic = decision.topic { out.append("- 选定议题 Chosen topic: \(topic)") }
            if let plan = decision.plan { out.append("- 二上二下 Plan: \(plan) (\(decision.comments) 条意见 comments)") }
            if let vote = decision.vote {
                out.append(
                    "- 三上三下 Vote: \(vote.present)/\(vote.entitled) 到会 present; 赞成 yes \(vote.yes), 反对 no \(vote.no), 弃权 abstain \(vote.abstain) — \(vote.passed ? "通过 adopted" : "未通过 not adopted")\(vote.secret ? " (无记名 secret ballot)" : "")"
                )
            }
            if let result = decision.result { out.append("- 公开一 Result: \(result)") }
            if !decision.milestones.isEmpty {
                out.append("- 公开二 Implementation: \(decision.progress)%")
                for milestone in decision.milestones { out.append("  - \(milestone.name): \(milestone.percent)%") }
            }
            if let evaluation = decision.evaluation { out.append("- 公开三 Evaluation: \(evaluation)") }
            out.append("")
            out.append("| 步骤 Step | 签署 Signed by | 时间 At |")
            out.append("|---|---|---|")
            for step in decision.steps { out.append("| `\(step.kind)` | \(step.by) | \(step.at) |") }
            out.append("")
        }
        out.append("## 闭环 The closed loop")
        out.append("")
        out.append("| 环节 Stage | 案件 Cases |")
        out.append("|---|---:|")
        for stage in cases.funnel { out.append("| \(Self.funnelNames[stage.stage] ?? stage.stage) | \(stage.cases) |") }
        out.append("")
        out.append(
            "- 响应率 Response rate: \(Self.rate(cases.responseRate)); 办结率 resolution rate: \(Self.rate(cases.resolutionRate)); 满意率 satisfaction rate: \(Self.rate(cases.satisfactionRate))"
        )
        out.append("- 挂账 Shelved: \(cases.shelved.count)")
        out.append("")
        out.append("| 类别 Category | 销号 Closed | 中位时长 Median hours to close |")
        out.append("|---|---:|---:|")
        for time in cases.timeToClose { out.append("| \(time.category) | \(time.closed) | \(String(format: "%.1f", time.medianHours)) |") }
        out.append("")
        out.append("| 部门 Department | 有期限办结 Resolved with a deadline | 按时 On time | 按时率 Rate |")
        out.append("|---|---:|---:|---:|")
        for department in cases.onTime {
            out.append("| \(department.department) | \(department.resolved) | \(department.onTime) | \(Self.rate(department.rate)) |")
        }
        out.append("")
        out.append("## 邻里积分 Points")
        out.append("")
        out.append(
            "- 累计 Totals: 发行 issued \(points.totals.issued), 奖励 awarded \(points.totals.awarded), 扣减 deducted \(points.totals.deducted), 兑换 redeemed \(points.totals.redeemed) — \(points.conserved ? "收支平衡 conserved" : "不平衡 NOT conserved")"
        )
        out.append("")
        out.append("| 月份 Month | 发行 Issued | 奖励 Awarded | 扣减 Deducted | 兑换 Redeemed |")
        out.append("|---|---:|---:|---:|---:|")
        for month in points.months {
            out.append("| \(month.month) | \(month.issued) | \(month.awarded) | \(month.deducted) | \(month.redeemed) |")
        }
        out.append("")
        out.append("| 排名 Rank | 居民 Resident | 贡献分 Contribution | 信誉分 Reputation |")
        out.append("|---:|---|---:|---:|")
        for (rank, entry) in points.ranking.enumerated() {
            out.append("| \(rank + 1) | \(entry.resident) | \(entry.contribution) | \(entry.reputation) |")
        }
        out.append("")
        out.append("## 关爱 Care")
        out.append("")
        out.append(
            "- 志愿服务 Volunteer quota \(care.year): \(care.metQuota) / \(care.quotaHolders) 名党员达到 \(care.quota) 次 met the quota of \(care.quota)"
        )
        out.append("- 走访 Visits: \(care.overdueVisits) / \(care.scheduled) 户逾期 overdue")
        out.append("- 已注销居民 Erased residents: \(care.erased)")
        out.append("")
        out.append("## 检查点 Checkpoint")
        out.append("")
        out.append(
            "Every figure above is computed from the ledger's first \(checkpoint.size) entries, which this signed checkpoint covers:")
        out.append("")
        out.append("```")
        out.append(checkpoint.note.trimmingCharacters(in: .newlines))
        out.append("```")
        if let witnesses = checkpoint.witnesses {
            out.append("")
            out.append("见证 Witnessed by: \(witnesses.isEmpty ? "无 no witness" : witnesses.joined(separator: ", "))")
        }
        return out.joined(separator: "\n") + "\n"
    }
}
