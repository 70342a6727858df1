import CivicGovernance
import CivicLedger
import Foundation

extension TransparencyReport {
    /// The report as one self-contained HTML page a resident can read on a
    /// phone: inline CSS and SVG charts, no scripts, nothing fetched;
    /// Chinese labels first, English alongside. Every chart has a title and
    /// a table of its data.
    public func html() -> String {
        var page = HTMLPage()
        page.add("<h1>\(escape(communityName)) 透明度报告 <span class=en>Transparency report</span></h1>")
        page.add(
            "<p class=meta>社区 Community <code>\(escape(community))</code> · 期间 Period \(escape(periodText)) · 检查点 Checkpoint \(checkpoint.size) 条 entries</p>"
        )

        if let reader = namesShownTo {
            page.add("<p class=card><b>实名 Residents named for \(escape(reader)): 不得公开 not for publication</b></p>")
        }
        page.add("<h2>三上三下三公开 <span class=en>Decisions in public</span></h2>")
        if decisions.isEmpty { page.add("<p>本期无 None in this period.</p>") }
        for decision in decisions {
            page.add("<section class=card><h3>\(escape(decision.title))</h3>")
            page.add("<p><b>\(escape(Self.stageNames[decision.stage] ?? decision.stage))</b></p><ul>")
            page.add("<li>一上一下 Topics: \(decision.proposals) 项提议 proposed; 选定 chosen: \(escape(decision.topic ?? "—"))</li>")
            if let plan = decision.plan { page.add("<li>二上二下 Plan: \(escape(plan)) (\(decision.comments) 条意见 comments)</li>") }
            if let vote = decision.vote {
                page.add(
                    "<li>三上三下 Vote: \(vote.present)/\(vote.entitled) 到会 present; 赞成 yes \(vote.yes), 反对 no \(vote.no), 弃权 abstain \(vote.abstain) — <b>\(vote.passed ? "通过 adopted" : "未通过 not adopted")</b></li>"
                )
            }
            if let result = decision.result { page.add("<li>公开一 Result: \(escape(result))</li>") }
            if let evaluation = decision.evaluation { page.add("<li>公开三 Evaluation: \(escape(evaluation))</li>") }
            page.add("</ul>")
            if !decision.milestones.isEmpty {
                page.chart(
                    title: "公开二 实施进度 Implementation progress: \(decision.progress)%", unit: "%",
                    columns: ("里程碑 Milestone", "进度 Progress %"),
                    rows: decision.milestones.map { ($0.name, Double($0.percent)) }, maximum: 100)
            }
            page.add("</section>")
        }

        page.add("<h2>闭环 <span class=en>The closed loop</span></h2>")
        page.chart(
            title: "案件漏斗 Case funnel", unit: "", columns: ("环节 Stage", "案件 Cases"),
            rows: cases.funnel.map { (Self.funnelNames[$0.stage] ?? $0.stage, Double($0.cases)) })
        page.add(
            "<p>响应率 Response rate <b>\(Self.rate(cases.responseRate))</b> · 办结率 Resolution rate <b>\(Self.rate(cases.resolutionRate))</b> · 满意率 Satisfaction rate <b>\(Self.rate(cases.satisfactionRate))</b> · 挂账 Shelved <b>\(cases.shelved.count)</b></p>"
        )
        page.chart(
            title: "办结时长（中位数，小时）Median hours to close, by category", unit: " h", columns: ("类别 Category", "小时 Hours"),
            rows: cases.timeToClose.map { ($0.category, $0.medianHours) })
        page.chart(
            title: "按时办结率 On-time rate, by department", unit: "%", columns: ("部门 Department", "按时率 Rate %"),
            rows: cases.onTime.map { ($0.department, $0.rate) }, maximum: 100)

        page.add("<h2>邻里积分 <span class=en>Points</span></h2>")
        page.add(
            "<p>发行 Issued \(points.totals.issued) · 奖励 Awarded \(points.totals.awarded) · 扣减 Deducted \(points.totals.deducted) · 兑换 Redeemed \(points.totals.redeemed) — <b>\(points.conserved ? "收支平衡 conserved" : "不平衡 NOT conserved")</b></p>"
        )
        page.chart(
            title: "每月奖励积分 Points awarded by month", unit: "", columns: ("月份 Month", "奖励 Awarded"),
            rows: points.months.map { ($0.month, Double($0.awarded)) })
        page.chart(
            title: "每月兑换积分 Points redeemed by month", unit: "", columns: ("月份 Month", "兑换 Redeemed"),
            rows: points.months.map { ($0.month, Double($0.redeemed)) })
        page.add(
            "<table><caption>积分榜 Ranking</caption><tr><th>排名 Rank</th><th>居民 Resident</th><th>贡献分 Contribution</th><th>信誉分 Reputation</th></tr>"
        )
        for (rank, entry) in points.ranking.enumerated() {
            page.add(
                "<tr><td>\(rank + 1)</td><td>\(escape(entry.resident))</td><td>\(entry.contribution)</td><td>\(entry.reputation)</td></tr>")
        }
        page.add("</table>")

        page.add("<h2>关爱 <span class=en>Care</span></h2><ul>")
        page.add(
            "<li>志愿服务 Volunteer quota \(care.year): \(care.metQuota) / \(care.quotaHolders) 名党员达到 \(care.quota) 次 met the quota of \(care.quota)</li>"
        )
        page.add("<li>走访 Visits: \(care.overdueVisits) / \(care.scheduled) 户逾期 overdue</li>")
        page.add("<li>已注销居民 Erased residents: \(care.erased)</li></ul>")

        page.add("<h2>检查点 <span class=en>Checkpoint</span></h2>")
        page.add(
            "<p>以上数字均由账本前 \(checkpoint.size) 条记录计算 · Every figure is computed from the ledger's first \(checkpoint.size) entries, which this signed checkpoint covers:</p>"
        )
        page.add("<pre>\(escape(checkpoint.note))</pre>")
        if let witnesses = checkpoint.witnesses {
            page.add("<p>见证 <span class=en>Witnessed by</span>: \(escape(witnesses.isEmpty ? "无 no witness" : witnesses.joined(separator: ", ")))</p>")
        }
        return page.document(title: "\(communityName) 透明度报告 Transparency report")
    }
}

/// Text made safe inside HTML.
func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(character)
        }
    }
    return out
}

/// An HTML page being written, with its charts.
struct HTMLPage {
    var body: [String] = []
    var charts = 0

    mutating func add(_ html: String) { body.append(html) }

    /// A horizontal bar chart (inline SVG with a title) and the table of
    /// its data, in one figure.
    mutating func chart(title: String, unit: String, columns: (String, String), rows: [(String, Double)], maximum: Double? = nil) {
        charts += 1
        let id = "chart-\(charts)"
        let top = max(maximum ?? 0, rows.map(\.1).max() ?? 0, 1)
        let rowHeight = 26
        let height = max(1, rows.count) * rowHeight + 8
        func number(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
        }
        var svg =
            "<svg role=img aria-labelledby=\"\(id)-title\" viewBox=\"0 0 360 \(height)\" width=\"100%\"><title id=\"\(id)-title\">\(escape(title))</title>"
        for (index, row) in rows.enumerated() {
            let y = 4 + index * rowHeight
            let width = Int((row.1 / top * 170).rounded())
            let label = Self.fitted(row.0, pixels: 134)
            let full = label == row.0 ? "" : "<title>\(escape(row.0))</title>"
            svg += "<text x=\"0\" y=\"\(y + 17)\" class=label>\(full)\(escape(label))</text>"
            svg += "<rect x=\"140\" y=\"\(y + 4)\" width=\"\(max(width, row.1 > 0 ? 1 : 0))\" height=\"18\" rx=\"3\" class=bar></rect>"
            svg += "<text x=\"\(144 + width)\" y=\"\(y + 17)\" class=value>\(number(row.1))\(escape(unit))</text>"
        }
        svg += "</svg>"
        var table =
            "<table class=data><caption>\(escape(title))</caption><tr><th>\(escape(columns.0))</th><th>\(escape(columns.1))</th></tr>"
        for row in rows { table += "<tr><td>\(escape(row.0))</td><td>\(number(row.1))</td></tr>" }
        table += "</table>"
        add(
            "<figure id=\(id)><figcaption>\(escape(title))</figcaption>\(svg)<details><summary>数据 Data</summary>\(table)</details></figure>"
        )
    }

    /// `label` cut to fit `pixels` of 12 px text, with an ellipsis when
    /// cut: a wide (CJK) character counts 12 px, any other 7 (generous
    /// for Latin), so no label runs into its bar.
    static func fitted(_ label: String, pixels: Int) -> String {
        func width(_ character: Character) -> Int {
            (character.unicodeScalars.first?.value ?? 0) >= 0x2E80 ? 12 : 7
        }
        guard label.reduce(0, { $0 + width($1) }) > pixels else { return label }
        var used = width("…")
        var kept = ""
        for character in label {
            used += width(character)
            if used > pixels { break }
            kept.append(character)
        }
        return kept.trimmingCharacters(in: .whitespaces) + "…"
    }

    func document(title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="zh-Hans">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:0 auto;max-width:46rem;padding:1rem;color:#1d2733;background:#fbfaf7;line-height:1.5}
        h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;border-bottom:2px solid #c8102e;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.05rem;margin:.2rem 0}
        .en{color:#5b6775;font-weight:normal;font-size:.85em}.meta{color:#5b6775;font-size:.9rem}
        .card{background:#fff;border:1px solid #e3e0d8;border-radius:8px;padding:.8rem;margin:.8rem 0}
        figure{margin:1rem 0;background:#fff;border:1px solid #e3e0d8;border-radius:8px;padding:.6rem}figcaption{font-weight:bold;margin-bottom:.3rem}
        svg .bar{fill:#c8102e}svg .label{font-size:12px;fill:#1d2733}svg .value{font-size:12px;fill:#5b6775}
        table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}th,td{border-bottom:1px solid #e3e0d8;padding:.25rem .4rem;text-align:left}caption{text-align:left;font-weight:bold}
        pre{white-space:pre-wrap;word-break:break-all;background:#fff;border:1px solid #e3e0d8;padding:.6rem;font-size:.75rem}
        </style>
        </head>
        <body>
        \(body.joined(separator: "\n"))
        </body>
        </html>

        """
    }
}
