import CivicLedger

/// One version of a kind's payload: the type its bytes decode as, and the
/// upcaster that reads it as the next version.
///
/// Signed bytes never change, so every version ever written stays
/// declared. A new version is declared beside the old one, and the old
/// one gets an upcaster: a pure function from its shape to the next.
/// Projections read the newest shape (``GovernancePayload/init(entry:)``);
/// `log --json` and exports show the version written.
public struct PayloadVersion: Sendable {
    /// The version number, from 1.
    public let version: UInt32
    /// The payload type of this version.
    public let type: any GovernancePayload.Type
    /// The type the upcaster makes, `nil` for the newest version.
    let upcastType: (any GovernancePayload.Type)?
    let upcaster: (@Sendable (any GovernancePayload) -> (any GovernancePayload)?)?

    /// The newest version of a kind: its type is the shape projections see.
    public static func newest<P: GovernancePayload>(_ version: UInt32, _ type: P.Type) -> Self {
        Self(version: version, type: type, upcastType: nil, upcaster: nil)
    }

    /// An older version, read as the next one by `upcast`.
    public static func version<Old: GovernancePayload, New: GovernancePayload>(
        _ version: UInt32, _ type: Old.Type, upcast: @escaping @Sendable (Old) -> New
    ) -> Self {
        Self(version: version, type: type, upcastType: New.self, upcaster: { ($0 as? Old).map(upcast) })
    }
}

/// Every version of one kind's payload, checked when declared: versions
/// 1, 2 … with no gap and no duplicate, each but the newest upcast to the
/// next one's type, and no personal field in the clear in the newest.
public struct PayloadSchema: Sendable {
    /// The kind.
    public let kind: String
    /// The versions, oldest first.
    public let versions: [PayloadVersion]

    /// What is wrong with a declaration.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        /// The problem, naming the kind and version.
        public let description: String
    }

    /// A kind's versions, checked.
    ///
    /// - Throws: ``Problem`` for no versions, a gap, a duplicate, an old
    ///   version without an upcaster or one that makes the wrong type, a
    ///   newest version with an upcaster, or a newest version with a
    ///   personal field in the clear.
    public init(kind: String, versions: [PayloadVersion]) throws(Problem) {
        guard !versions.isEmpty else { throw Problem(description: "\(kind): no versions declared") }
        for (index, declared) in versions.enumerated() where declared.version != UInt32(index + 1) {
            let seen = versions[..<index].contains { $0.version == declared.version }
            throw Problem(
                description: seen
                    ? "\(kind): version \(declared.version) is declared twice"
                    : "\(kind): version \(declared.version) is declared where version \(index + 1) should be (versions run 1, 2, … with no gap)")
        }
        for (index, declared) in versions.enumerated() {
            if index == versions.count - 1 {
                guard declared.upcaster == nil else {
                    throw Problem(description: "\(kind): the newest version, \(declared.version), has an upcaster to nothing newer")
                }
                if let clear = declared.type.classifiedFields.first(where: { $0.visibility == .personal && !$0.isSealed }) {
                    throw Problem(description: "\(kind): version \(declared.version) has the personal field \(clear.name) in the clear; seal it")
                }
            } else {
                guard let made = declared.upcastType else {
                    throw Problem(description: "\(kind): version \(declared.version) has no upcaster to version \(declared.version + 1)")
                }
                guard made == versions[index + 1].type else {
                    throw Problem(
                        description: "\(kind): version \(declared.version)'s upcaster makes \(made), not version \(declared.version + 1)'s \(versions[index + 1].type)")
                }
            }
        }
        self.kind = kind
        self.versions = versions
    }

    /// The newest version.
    public var newest: PayloadVersion { versions[versions.count - 1] }

    /// The declared versions as a range.
    public var range: ClosedRange<UInt32> { 1...newest.version }

    /// `payload`, written as `version`, read as that version and upcast to
    /// the newest shape.
    ///
    /// - Throws: `LedgerError` `.unknownVersion` for a version not
    ///   declared; the payload type's decoding errors.
    public func decode(version: UInt32, payload: some ContiguousBytesCollection) throws(LedgerError) -> any GovernancePayload {
        guard version >= 1, version <= newest.version else {
            throw LedgerError(.unknownVersion, "\(kind) has no schema version \(version) (versions 1 to \(newest.version))")
        }
        var value: any GovernancePayload = try versions[Int(version) - 1].type.init(payload: payload)
        for step in versions[(Int(version) - 1)...] {
            guard let upcast = step.upcaster else { break }
            guard let next = upcast(value) else {
                throw LedgerError(.malformed, "\(kind) version \(step.version) did not upcast")
            }
            value = next
        }
        return value
    }
}

extension GovernancePayload {
    /// Each field's name and classification, in binary order: what a
    /// schema's checks, the docs' tables and the publication filters read.
    public static var classifiedFields: [(name: String, visibility: FieldVisibility, isSealed: Bool)] {
        fields.map { ("\($0.name)", $0.visibility, $0.isSealed) }
    }

    /// The payload of `entry` in the newest shape of its kind: read as the
    /// version it was written in, then upcast (``PayloadSchema``). An entry
    /// of the newest version is read directly.
    ///
    /// - Throws: `LedgerError` `.unknownVersion`, or `.malformed` when
    ///   the bytes do not decode or the newest shape of the kind is not
    ///   `Self`.
    @inlinable public init(entry: LedgerEntry) throws(LedgerError) {
        let version = entry.schemaVersion
        if version == 1, let code = GovernanceKind.code(of: entry), !GovernancePayloadForms.hasOlderVersions[Int(code.rawValue)] {
            self = try entry.withPayloadBytes { (bytes) throws(LedgerError) in try Self(payload: bytes) }
            return
        }
        self = try Self.upcasting(entry, version: version)
    }

    @usableFromInline static func upcasting(_ entry: LedgerEntry, version: UInt32) throws(LedgerError) -> Self {
        let kind = entry.kind
        guard let schema = GovernancePayloadForms.schemas[kind] else {
            guard version == 1 else { throw LedgerError(.unknownVersion, "\(kind) has no schema version \(version)") }
            return try Self(payload: entry.payload)
        }
        if version == schema.newest.version, schema.newest.type == Self.self { return try Self(payload: entry.payload) }
        guard let value = try schema.decode(version: version, payload: entry.payload) as? Self else {
            throw LedgerError(.malformed, "\(kind)'s newest shape is \(schema.newest.type), not \(Self.self)")
        }
        return value
    }
}

extension GovernancePayloadForms {
    /// Every version of every governance kind whose payload is binary,
    /// checked when first used (``PayloadSchema``). `community.rules` is
    /// JSON, version 1.
    public static let schemas: [String: PayloadSchema] = {
        var schemas: [String: PayloadSchema] = [:]
        for kind in GovernanceKind.all {
            let versions: [PayloadVersion]
            switch kind {
            case GovernanceKind.register:
                versions = [.version(1, ResidentRegistrationV1.self, upcast: ResidentRegistration.upcast), .newest(2, ResidentRegistration.self)]
            case GovernanceKind.update:
                versions = [.version(1, ResidentUpdateV1.self, upcast: ResidentUpdate.upcast), .newest(2, ResidentUpdate.self)]
            case GovernanceKind.visit, GovernanceKind.health:
                versions = [.version(1, SealedNote.self, upcast: SealedNote.upcast), .newest(2, SealedNote.self)]
            default:
                guard let type = payloadType(of: kind) else { continue }
                versions = [.newest(1, type)]
            }
            do {
                schemas[kind] = try PayloadSchema(kind: kind, versions: versions)
            } catch {
                // The declarations are the library's own code, not input.
                fatalError("payload declarations: \(error)")
            }
        }
        return schemas
    }()

    /// For each ``GovernanceKind/Code``, whether the kind has a version
    /// older than its newest (so version 1 needs an upcast).
    @usableFromInline static let hasOlderVersions: [Bool] = GovernanceKind.Code.allCases.map {
        (schemas[$0.kind]?.versions.count ?? 1) > 1
    }

    /// The newest version of each kind written now.
    public static func newestVersion(of kind: String) -> UInt32 { schemas[kind]?.newest.version ?? 1 }
}

extension GovernancePayloadForms {
    /// Every version of every binary payload with its fields by
    /// classification, as the Markdown table docs/format.md §10 holds (a
    /// test keeps the two the same).
    public static var classificationTable: String {
        var lines = ["| kind | version | public | internal | personal |", "|---|---|---|---|---|"]
        for kind in GovernanceKind.all {
            guard let schema = schemas[kind] else { continue }
            for version in schema.versions {
                let fields = version.type.classifiedFields
                func names(_ visibility: FieldVisibility) -> String {
                    fields.filter { $0.visibility == visibility }.map { $0.name + ($0.visibility == .personal && !$0.isSealed ? " (in the clear)" : "") }
                        .joined(separator: ", ")
                }
                lines.append("| `\(kind)` | \(version.version) | \(names(.public)) | \(names(.internal)) | \(names(.personal)) |")
            }
        }
        return lines.joined(separator: "\n")
    }
}
