import CivicLedger

/// One field of a governance payload, declared once: its name (the JSON
/// member and the name errors give), who may see it
/// (``FieldVisibility``), how it is written in the binary payload
/// (docs/format.md §10), and how it reads and writes as JSON.
///
/// A payload lists its fields in binary order (``GovernancePayload/fields``);
/// its binary codec and its JSON form both follow from that list.
///
/// ```swift
/// public static let fields: [PayloadField<Self>] = [
///     .u32(.public, "deadlineMinutes", \.deadlineMinutes),
///     .text(.public, "department", \.department, maxLength: 64),
/// ]
/// ```
public struct PayloadField<Payload>: Sendable {
    /// The field's name.
    public let name: StaticString
    /// Who may see the field's value.
    public let visibility: FieldVisibility
    /// `true` for a sealed field: its bytes are ciphertext, whoever sees them.
    public let isSealed: Bool
    /// Whether the JSON member may be left out (an absent optional).
    public let isOptional: Bool
    let write: @Sendable (Payload, inout ByteWriter) -> Void
    let read: @Sendable (inout ByteReader, inout Payload) throws(LedgerError) -> Void
    let json: @Sendable (Payload) -> StrictJSON.Value?
    let parse: @Sendable (StrictJSON.Value, inout Payload) throws(PayloadFieldProblem) -> Void

    /// A field from its four parts; the named constructors below cover the
    /// format's field types.
    public init(
        _ visibility: FieldVisibility, _ name: StaticString, optional: Bool = false, sealed: Bool = false, write: @escaping @Sendable (Payload, inout ByteWriter) -> Void,
        read: @escaping @Sendable (inout ByteReader, inout Payload) throws(LedgerError) -> Void,
        json: @escaping @Sendable (Payload) -> StrictJSON.Value?,
        parse: @escaping @Sendable (StrictJSON.Value, inout Payload) throws(PayloadFieldProblem) -> Void
    ) {
        self.name = name
        self.visibility = visibility
        self.isSealed = sealed
        self.isOptional = optional
        self.write = write
        self.read = read
        self.json = json
        self.parse = parse
    }
}

/// Who may see a payload field (docs/format.md §10, docs/threat-model.md):
/// declared once, beside the field, and read by everything that shows or
/// publishes an entry.
public enum FieldVisibility: String, Sendable, CaseIterable, Comparable {
    /// What a resident may see about anyone: the public board, the
    /// transparency report, published entries.
    case `public`
    /// Operators, supervisors and the roles that act: free text that may
    /// name people, household ids, who appealed what.
    case `internal`
    /// Personal information about one resident (PIPL): sealed under the
    /// resident's key in every version written now. A personal field in
    /// the clear exists only in an old version, whose entries are never
    /// published.
    case personal

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    private var rank: Int {
        switch self {
        case .public: 0
        case .internal: 1
        case .personal: 2
        }
    }
}

/// What is wrong with one JSON member of a payload, said for a person
/// ("must be a whole number from 0 to 100").
public struct PayloadFieldProblem: Error, Sendable {
    /// The problem.
    public var message: String
    /// A problem.
    public init(_ message: String) { self.message = message }
}

extension PayloadField {
    /// A one-byte enumeration, named in JSON.
    public static func code<T: ByteCoded>(_ visibility: FieldVisibility, _ name: StaticString, _ path: any WritableKeyPath<Payload, T> & Sendable) -> Self {
        Self(
            visibility, name, write: { $1.code($0[keyPath: path]) }, read: { (reader, payload) throws(LedgerError) in payload[keyPath: path] = try reader.code(name) },
            json: { .string($0[keyPath: path].rawValue) },
            parse: { (value, payload) throws(PayloadFieldProblem) in
                guard case .string(let text) = value, let parsed = T(rawValue: text) else {
                    throw PayloadFieldProblem("must be one of \(T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
                }
                payload[keyPath: path] = parsed
            })
    }

    /// A UTF-8 string of at most `maxLength` bytes (a u32 length, then the bytes).
    public static func text(_ visibility: FieldVisibility, _ name: StaticString, _ path: any WritableKeyPath<Payload, String> & Sendable, maxLength: Int = 4096) -> Self {
        Self(
            visibility, name, write: { $1.field($0[keyPath: path]) },
            read: { (reader, payload) throws(LedgerError) in payload[keyPath: path] = try reader.string(name, maxLength: maxLength) },
            json: { .string($0[keyPath: path]) },
            parse: { (value, payload) throws(PayloadFieldProblem) in payload[keyPath: path] = try string(value, maxLength: maxLength) })
    }

    /// A Bool as one byte, 0 or 1.
    public static func bool(_ visibility: FieldVisibility, _ name: StaticString, _ path: any WritableKeyPath<Payload, Bool> & Sendable) -> Self {
        Self(
            visibility, name, write: { $1.bool($0[keyPath: path]) }, read: { (reader, payload) throws(LedgerError) in payload[keyPath: path] = try reader.bool(name) },
            json: { .bool($0[keyPath: path]) },
            parse: { (value, payload) throws(PayloadFieldProblem) in
                guard case .bool(let flag) = value else { throw PayloadFieldProblem("must be true or false") }
                payload[keyPath: path] = flag
            })
    }

    /// A u8.
    public static func u8(_ visibility: FieldVisibility, _ name: StaticString, _ path: any WritableKeyPath<Payload, UInt8> & Sendable) -> Self {
        Self(
            visibility, name, write: { $1.u8($0[keyPath: path]) }, read: { (reader, payload) throws(LedgerError) in payload[keyPath: path] = try reader.u8(name) },
            json: { .integer(Int64($0[keyPath: path])) },
            parse: { (value, payload) throws(PayloadFieldProblem) in payload[keyPath: path] = try integer(value, UInt8.self) })
    }

    /// A big-endian u32.
    public static func u32(_ visibility: FieldVisibility, _ name: StaticString, _ path: any WritableKeyPath<Payload, UInt32> & Sendable) -> Self {
        Self(
            visibility, name, write: { $1.u32($0[keyPath: path]) }, read: { (reader, payload) throws(LedgerError) in payload[keyPath: path] = try reader.u32(name) },
            json: { .integer(Int64($0[keyPath: path])) },
            parse: { (value, payload) throws(PayloadFieldProblem) in payload[keyPath: path] = try integer(value, UInt32.self) })
    }

    /// A signed 32-bit number, written as the u32 of its bits (a year).
    public static func i32(_ visibility: FieldVisibility, _ name: StaticString, _ path: any WritableKeyPath<Payload, Int32> & Sendable) -> Self {
        Self(
            visibility, name, write: { $1.u32(UInt32(bitPattern: $0[keyPath: path])) },
            read: { (reader, payload) throws(LedgerError) in payload[keyPath: path] = Int32(bitPattern: try reader.u32(name)) },
            json: { .integer(Int64($0[keyPath: path])) },
            parse: { (value, payload) throws(PayloadFieldProblem) in payload[keyPath: path] = try integer(value, Int32.self) })
    }

    /// A big-endian u64 (a log position).
    public static func u64(_ visibility: FieldVisibility, _ name: StaticString, _ path: any WritableKeyPath<Payload, UInt64> & Sendable) -> Self {
        Self(
            visibility, name, write: { $1.u64($0[keyPath: path]) }, read: { (reader, payload) throws(LedgerError) in payload[keyPath: path] = try reader.u64(name) },
            json: { .integer(Int64(clamping: $0[keyPath: path])) },
            parse: { (value, payload) throws(PayloadFieldProblem) in payload[keyPath: path] = try integer(value, UInt64.self) })
    }

    /// A big-endian i64 (an amount, a quantity).
    public static func i64(_ visibility: FieldVisibility, _ name: StaticString, _ path: any WritableKeyPath<Payload, Int64> & Sendable) -> Self {
        Self(
            visibility, name, write: { $1.i64($0[keyPath: path]) }, read: { (reader, payload) throws(LedgerError) in payload[keyPath: path] = try reader.i64(name) },
            json: { .integer($0[keyPath: path]) },
            parse: { (value, payload) throws(PayloadFieldProblem) in payload[keyPath: path] = try integer(value, Int64.self) })
    }

    /// An optional log position: a presence byte, then a u64 (0 when
    /// absent). In JSON a number, or no member at all.
    public static func position(_ visibility: FieldVisibility, _ name: StaticString, _ path: any WritableKeyPath<Payload, UInt64?> & Sendable) -> Self {
        Self(
            visibility, name, optional: true, write: { $1.optional($0[keyPath: path]) },
            read: { (reader, payload) throws(LedgerError) in payload[keyPath: path] = try reader.optional(name) },
            json: { $0[keyPath: path].map { .integer(Int64(clamping: $0)) } },
            parse: { (value, payload) throws(PayloadFieldProblem) in payload[keyPath: path] = try integer(value, UInt64.self) })
    }

    /// A list of at most `maxCount` strings of at most `maxLength` bytes
    /// each: a u32 count, then each string.
    public static func strings(
        _ visibility: FieldVisibility, _ name: StaticString, _ path: any WritableKeyPath<Payload, [String]> & Sendable, maxCount: UInt32 = 64, maxLength: Int = 128
    ) -> Self {
        Self(
            visibility, name, write: { $1.strings($0[keyPath: path]) },
            read: { (reader, payload) throws(LedgerError) in
                payload[keyPath: path] = try reader.strings(name, maxCount: maxCount, maxLength: maxLength)
            },
            json: { .array($0[keyPath: path].map { StrictJSON.Node(value: .string($0)) }) },
            parse: { (value, payload) throws(PayloadFieldProblem) in
                guard case .array(let elements) = value, elements.count <= maxCount else {
                    throw PayloadFieldProblem("must be an array of at most \(maxCount) strings")
                }
                var strings: [String] = []
                for (index, element) in elements.enumerated() {
                    do throws(PayloadFieldProblem) {
                        strings.append(try string(element.value, maxLength: maxLength))
                    } catch {
                        throw PayloadFieldProblem("element \(index) \(error.message)")
                    }
                }
                payload[keyPath: path] = strings
            })
    }

    /// A sealed personal field (XChaCha20-Poly1305 ciphertext, sealed
    /// before signing): its bytes as a field; in JSON `{"sealed": BASE64}`.
    public static func sealed(_ name: StaticString, _ path: any WritableKeyPath<Payload, SealedField> & Sendable) -> Self {
        Self(
            .personal, name, sealed: true, write: { $1.field($0[keyPath: path].bytes) },
            read: { (reader, payload) throws(LedgerError) in payload[keyPath: path] = try reader.sealed(name) },
            json: { .object([(name: "sealed", node: StrictJSON.Node(value: .string($0[keyPath: path].bytes.base64String)))]) },
            parse: { (value, payload) throws(PayloadFieldProblem) in
                guard case .object(let members) = value, members.count == 1, members[0].name == "sealed",
                    case .string(let text) = members[0].node.value, let bytes = [UInt8](base64String: text), bytes.base64String == text
                else {
                    throw PayloadFieldProblem("must be {\"sealed\": BASE64}, the canonical base64 of the field sealed on the actor's device")
                }
                do throws(LedgerError) {
                    payload[keyPath: path] = try SealedField(bytes: bytes)
                } catch {
                    throw PayloadFieldProblem(error.message)
                }
            })
    }

    /// A JSON string of at most `maxLength` UTF-8 bytes.
    static func string(_ value: StrictJSON.Value, maxLength: Int) throws(PayloadFieldProblem) -> String {
        guard case .string(let text) = value else { throw PayloadFieldProblem("must be a string") }
        guard text.utf8.count <= maxLength else {
            throw PayloadFieldProblem("must be at most \(maxLength) bytes of UTF-8, is \(text.utf8.count)")
        }
        return text
    }

    /// A JSON whole number that fits `T`.
    static func integer<T: FixedWidthInteger>(_ value: StrictJSON.Value, _ type: T.Type) throws(PayloadFieldProblem) -> T {
        guard case .integer(let number) = value, let exact = T(exactly: number) else {
            throw PayloadFieldProblem("must be a whole number from \(T.min) to \(min(Int64(clamping: T.max), Int64.max))")
        }
        return exact
    }
}
