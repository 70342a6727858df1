import CivicGovernance
import CivicLedger
import CivicReporting
import Foundation
import Testing

/// Payload versions: declared with upcasters and checked when declared;
/// old entries stay valid and read in the newest shape; the profile (level
/// and tags) sealed from version 2 of the archive kinds.
@Suite("Payload versions and sealed profiles")
struct PayloadVersionTests {
    @Test("a declaration with a gap, a duplicate, a missing or wrong upcaster, or a clear personal field in its newest version is refused")
    func declarationsChecked() throws {
        func refused(_ versions: [PayloadVersion], _ expected: String) {
            do {
                _ = try PayloadSchema(kind: "archive.register", versions: versions)
                Issue.record("accepted: \(expected)")
            } catch {
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
        let up = PayloadVersion.version(1, ResidentRegistrationV1.self) { (old: ResidentRegistrationV1) in ResidentRegistration() }
        refused([], "no versions declared")
        refused([up, .newest(3, ResidentRegistration.self)], "version 3 is declared where version 2 should be")
        refused([up, up, .newest(3, ResidentRegistration.self)], "version 1 is declared twice")
        refused([.newest(1, ResidentRegistrationV1.self), .newest(2, ResidentRegistration.self)], "version 1 has no upcaster")
        refused(
            [.version(1, ResidentRegistrationV1.self) { (_: ResidentRegistrationV1) in CaseNote() }, .newest(2, ResidentRegistration.self)],
            "upcaster makes CaseNote")
        refused([.newest(1, ResidentRegistrationV1.self)], "has the personal field level in the clear")
        refused([up], "the newest version, 1, has an upcaster")
        // The library's own declarations load, and say the archive kinds have two versions.
        #expect(GovernanceKind.versions(of: GovernanceKind.register) == 1...2)
        #expect(GovernanceKind.versions(of: GovernanceKind.update) == 1...2)
        #expect(GovernanceKind.versions(of: GovernanceKind.report) == 1...1)
    }

    @Test("every field of every version is classified, sealed fields are personal, and no newest version has a personal field in the clear")
    func classification() {
        for (kind, schema) in GovernancePayloadForms.schemas {
            for version in schema.versions {
                for field in version.type.classifiedFields {
                    if field.isSealed { #expect(field.visibility == .personal, "\(kind) v\(version.version) \(field.name)") }
                    if version.version == schema.newest.version, field.visibility == .personal {
                        #expect(field.isSealed, "\(kind) v\(version.version) \(field.name) is personal and in the clear")
                    }
                }
            }
        }
    }

    @Test("docs/format.md holds the classification table the declarations make, exactly")
    func classificationDocumented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let format = try String(contentsOf: root.appendingPathComponent("docs/format.md"), encoding: .utf8)
        let begin = "<!-- classification: begin -->\n", end = "\n<!-- classification: end -->"
        let start = try #require(format.range(of: begin), "docs/format.md has no classification table")
        let stop = try #require(format.range(of: end, range: start.upperBound..<format.endIndex))
        let documented = String(format[start.upperBound..<stop.lowerBound])
        #expect(documented == GovernancePayloadForms.classificationTable, "docs/format.md should read:\n\(GovernancePayloadForms.classificationTable)")
    }

    @Test("a version 2 registration seals level and tags and states the interval; a version 1 entry stays valid and reads in the newest shape")
    func sealedProfileAndOldEntries() async throws {
        let f = try await GovernanceFixture.make()
        let key = try await f.vault.key(for: "r1")
        let receipt = try await f.run {
            try $0.register(
                "r1", household: "hh-1", in: GovernanceFixture.home, level: .red, tags: ["disability", "released-prisoner"], name: "n",
                phone: "p", address: "a", key: key, by: f.key("worker"), state: $1, at: $2)
        }
        let stored = try #require(try await f.ledger.entries(from: receipt.position, limit: 1).first)
        let entry = try LedgerEntry(bytes: stored.bytes)
        #expect(entry.schemaVersion == 2)
        for secret in ["disability", "released-prisoner", "red"] {
            #expect(!stored.bytes.contains(subsequence: Array(secret.utf8)), "\(secret) in the entry's bytes")
        }
        let registration = try ResidentRegistration(entry: entry)
        #expect(registration.visitIntervalDays == 30)
        #expect(registration.clearProfile == nil)
        #expect(
            ResidentProfile.open(registration.profile, profileKey: ResidentProfile.key(from: key), origin: GovernanceFixture.origin, resident: "r1")
                == ResidentProfile(level: .red, tags: ["disability", "released-prisoner"]))
        // The profile key opens the profile, not the name: a grant of profiles reveals no names.
        let nameContext = SealedContact.context(origin: GovernanceFixture.origin, resident: "r1", field: "name")
        #expect(registration.name.open(with: ResidentProfile.key(from: key), context: nameContext) == nil)
        // The JSON shows the version written: version 2 has no level or tags member.
        let view = try #require(GovernancePayloadView.view(of: entry))
        #expect(view["visitIntervalDays"]?.value == .integer(30))
        #expect(view["tags"] == nil && view["level"] == nil)

        // A version 1 entry, as written before: still accepted, read in the newest shape with its clear profile.
        let sealed = SealedField(sealing: "x", with: FieldKey.generate(), context: "c")
        let old = ResidentRegistrationV1(household: "hh-2", level: .orange, tags: ["chronic-illness"], name: sealed, phone: sealed, address: sealed)
        let v1 = try await f.ledger.append(
            try f.raw("worker", kind: GovernanceKind.register, stream: GovernanceStream.resident("r2"), place: GovernanceFixture.home, version: 1, payload: old))
        let oldEntry = try LedgerEntry(bytes: try #require(try await f.ledger.entries(from: v1.position, limit: 1).first).bytes)
        #expect(try ResidentRegistration(entry: oldEntry).clearProfile == ResidentProfile(level: .orange, tags: ["chronic-illness"]))
        #expect(GovernancePayloadView.view(of: oldEntry)?["tags"]?.value == .array([StrictJSON.Node(value: .string("chronic-illness"))]))
        let archive = try await f.state.archive
        #expect(archive["r2"]?.clearProfile?.level == .orange)
        #expect(archive["r1"]?.clearProfile == nil && archive["r1"]?.sealedProfile != nil && archive["r1"]?.visitIntervalDays == 30)
        var schedule = VisitSchedule()
        for stored in try await f.ledger.entries(from: 0, limit: 1000) { try schedule.fold(try LedgerEntry(bytes: stored.bytes)) }
        #expect(schedule.schedule["r1"]?.intervalDays == 30)
        #expect(schedule.schedule["r2"]?.intervalDays == 90, "derived from the clear profile by the rules")
        // Version 2 bytes written as version 1 do not read as version 1.
        await CaseRuleTests.refused(.malformed, "payload") {
            _ = try await f.ledger.append(
                try f.raw("worker", kind: GovernanceKind.update, stream: GovernanceStream.resident("r1"), place: GovernanceFixture.home, version: 1,
                    payload: ResidentUpdate(visitIntervalDays: 30, profile: sealed)))
        }
    }

    @Test("an interval the rules give nobody is refused at append; a plausible lie is found by the audit a vault grants the profile keys to")
    func intervalChecks() async throws {
        let f = try await GovernanceFixture.make()
        let key = try await f.vault.key(for: "r1")
        _ = try await f.run {
            try $0.register(
                "r1", household: "hh-1", in: GovernanceFixture.home, level: .green, tags: [], name: "n", phone: "p", address: "a", key: key,
                by: f.key("worker"), state: $1, at: $2)
        }
        let profile = ResidentProfile(level: .red, tags: ["disability"]).sealed(with: key, origin: GovernanceFixture.origin, resident: "r1")
        func update(_ days: UInt32) throws -> SignedEvent {
            try f.raw(
                "worker", kind: GovernanceKind.update, stream: GovernanceStream.resident("r1"), place: GovernanceFixture.home,
                payload: ResidentUpdate(visitIntervalDays: days, profile: profile))
        }
        await CaseRuleTests.refused(.domainRule, "visitIntervalDays 400 is not an interval the rules in force give any resident (30, 90, 365)") {
            _ = try await f.ledger.append(try update(400))
        }
        // 365 is an interval the rules give someone, so the ledger takes it; for a red resident with a disability it is a lie.
        let lie = try await f.ledger.append(try update(365))
        let survey = try await SealedProfileAudit.survey(f.store)
        #expect(survey.residents == ["r1"])
        // A resident may not be granted anyone's profile; nothing is fetched.
        let vault = CountingVault(base: f.vault)
        await #expect(throws: LedgerError.self) {
            _ = try await SealedProfileAudit.grant(to: f.key("r1").publicKey, registry: survey.registry, residents: survey.residents, vault: vault)
        }
        #expect(vault.fetched.withLock { $0 } == 0)
        let grant = try await SealedProfileAudit.grant(
            to: f.key("supervisor").publicKey, registry: survey.registry, residents: survey.residents, vault: vault)
        let findings = try await SealedProfileAudit.findings(in: f.store, origin: GovernanceFixture.origin, grant: grant)
        #expect(findings.map(\.code) == [.intervalMismatch], "\(findings)")
        #expect(findings.first?.position == lie.position)
        #expect(findings.first?.message.contains("rules in force give this profile 30") == true)
        // The honest update is clean.
        _ = try await f.ledger.append(try update(30))
        let again = try await SealedProfileAudit.findings(in: f.store, origin: GovernanceFixture.origin, grant: grant)
        #expect(again.count == 1)
    }
}
