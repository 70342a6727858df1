import CivicLedger
import Foundation
import Testing

/// What the tool publishes of a governance ledger: nothing personal by
/// default, and no sensitive classification in any entry written now.
@Suite("Privacy of what the tool publishes")
struct PrivacyTests {
    /// Every file under `folder`, as bytes.
    static func contents(under folder: String) -> [String: [UInt8]] {
        var found: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let name = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(name)) { found[name] = [UInt8](data) }
        }
        return found
    }

    static func occurrences(of token: String, in files: [String: [UInt8]]) -> [String] {
        let needle = Array(token.utf8)
        return files.filter { _, bytes in
            bytes.count >= needle.count && (0...(bytes.count - needle.count)).contains { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
        }.map(\.key).sorted()
    }

    @Test("the demo's default tiles hold no tag, level, household or resident id; entries for the public are refused; entries for staff carry no tag or level")
    func demoTiles() throws {
        let cli = try CLI()
        let demo = try cli.run(["demo", "--db", "demo.sqlite", "--residents", "200", "--days", "30", "--seed", "11"])
        try #require(demo.status == 0, "\(demo.stderr)")
        let resident = try cli.run(["resident", "demo.sqlite", "r00001", "--json"])
        try #require(resident.status == 0, "\(resident.stderr)")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(resident.stdout.utf8)) as? [String: Any])
        let household = try #require(record["household"] as? String)
        // Tags and levels of five bytes or more (a three-byte token such as
        // "red" turns up in random hashes by chance).
        let classifications = ["elderly-alone", "disability", "chronic-illness", "released-prisoner", "left-behind-child", "orange", "yellow"]
        #expect(record["tags"] == nil && record["level"] == nil, "sealed: shown only to a reader the vault opens them for")

        let tiles = try cli.run(["tiles", "demo.sqlite", "--out", "pub"])
        try #require(tiles.status == 0, "\(tiles.stderr)")
        let published = Self.contents(under: cli.path("pub"))
        #expect(!published.isEmpty)
        for token in classifications + [household, "r00001", "r00002", "hh-"] {
            #expect(Self.occurrences(of: token, in: published).isEmpty, "\(token) in \(Self.occurrences(of: token, in: published))")
        }

        let forPublic = try cli.run(["tiles", "demo.sqlite", "--out", "public", "--entries-for", "public"])
        #expect(forPublic.status == 1 && forPublic.stderr.contains("may not be shown to the public audience"), "\(forPublic.stderr)")

        let forStaff = try cli.run(["tiles", "demo.sqlite", "--out", "staff", "--entries-for", "internal"])
        try #require(forStaff.status == 0, "\(forStaff.stderr)")
        // Every entry of every bundle but the rules, which name the tags and levels the visit intervals go by.
        var bundles: [String: [UInt8]] = [:]
        for (path, bytes) in Self.contents(under: cli.path("staff")) where path.hasPrefix("tile/entries/") {
            let width = path.contains(".p/") ? Int(path.split(separator: "/").last ?? "") ?? 0 : 256
            for (index, entry) in try TileLayout.decodeBundle(bytes, width: width, wide: false).enumerated() {
                guard try LedgerEntry(bytes: entry).kind != "community.rules" else { continue }
                bundles["\(path)#\(index)"] = entry
            }
        }
        #expect(bundles.count > 100)
        for token in classifications {
            #expect(Self.occurrences(of: token, in: bundles).isEmpty, "\(token) in an entry: \(Self.occurrences(of: token, in: bundles))")
        }
        #expect(!Self.occurrences(of: household, in: bundles).isEmpty, "household ids are internal: staff see them")

        // The public faces: the report in each form and the Open311 export name no resident and no household.
        for (format, file) in [("html", "r.html"), ("md", "r.md"), ("json", "r.json")] {
            let report = try cli.run(["report", "demo.sqlite", "--community", "zhuji/dongsheng", "--format", format, "--out", file])
            try #require(report.status == 0, "\(report.stderr)")
        }
        let open311 = try cli.run(["export", "demo.sqlite", "--format", "open311", "--out", "o.json"])
        try #require(open311.status == 0, "\(open311.stderr)")
        let faces = Self.contents(under: cli.path(".")).filter { ["r.html", "r.md", "r.json", "o.json"].contains($0.key) }
        #expect(faces.count == 4)
        for token in classifications + [household, "r00001", "r00002", "r00010", "hh-mg"] {
            #expect(Self.occurrences(of: token, in: faces).isEmpty, "\(token) in \(Self.occurrences(of: token, in: faces))")
        }
        #expect(!Self.occurrences(of: "居民-", in: faces).isEmpty, "residents appear under pseudonyms")

        // The operator's authority key holds no role the vault grants profiles to: refused before the audit runs.
        let audit = try cli.run(["audit", "demo.sqlite", "--profiles-for", "demo.sqlite.authority.key"])
        #expect(audit.status == 2 && audit.stderr.contains("may not be granted residents' profiles"), "\(audit.stderr)")
    }
}
