import CivicLedger

/// A payload of a governance event kind, declared once as its list of
/// fields (``fields``), from which follow its compact binary form
/// (docs/format.md §10) and its JSON form, both ways.
///
/// The binary layout is the fields in the order listed, with the core's
/// primitives (docs/format.md §1: big-endian integers, u32-length-prefixed
/// strings and bytes; an optional position is a u8 presence flag, then a
/// u64). Fields a projection reads on its hot path come first, so it can
/// read them without decoding the rest. The JSON form is an object with a
/// member per field, named as the field; an absent optional is left out.
public protocol GovernancePayload: Sendable, Equatable {
    /// The fields, in binary order.
    static var fields: [PayloadField<Self>] { get }
    /// A value whose fields the decoders then set, one by one.
    init()
}

extension GovernancePayload {
    /// Writes the fields.
    public func encode(to writer: inout ByteWriter) {
        for field in Self.fields { field.write(self, &writer) }
    }

    /// Reads the fields.
    public init(from reader: inout ByteReader) throws(LedgerError) {
        var value = Self()
        for field in Self.fields { try field.read(&reader, &value) }
        self = value
    }

    /// The payload bytes.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 64)
        encode(to: &writer)
        return writer.bytes
    }

    /// Decodes a payload strictly: nothing may follow the last field.
    public init(payload: some ContiguousBytesCollection) throws(LedgerError) {
        self = try withBytes(payload) { (buffer) throws(LedgerError) in
            var reader = ByteReader(buffer)
            let value = try Self(from: &reader)
            try reader.expectEnd("payload")
            return value
        }
    }

    /// The JSON form: a member per field, in binary order.
    public var json: StrictJSON.Value {
        .object(Self.fields.compactMap { field in field.json(self).map { ("\(field.name)", StrictJSON.Node(value: $0)) } })
    }

    /// Reads the JSON form, then checks it as the binary form is checked
    /// (lengths, UTF-8, sealed fields), so both forms accept the same
    /// values.
    ///
    /// - Parameters:
    ///   - node: the JSON object, as parsed.
    ///   - path: how errors name the object, such as `event 3: payload`.
    /// - Throws: `LedgerError` `.invalidField` naming the member, its
    ///   line and column: `event 3: payload.percent (line 4, column 17):
    ///   must be a whole number from 0 to 255`; an unknown or missing
    ///   member; a member `null`.
    public init(json node: StrictJSON.Node, path: String = "payload") throws(LedgerError) {
        func at(_ node: StrictJSON.Node) -> String { node.line > 0 ? " (line \(node.line), column \(node.column))" : "" }
        guard case .object(let members) = node.value else {
            throw LedgerError(.invalidField, "\(path)\(at(node)): must be an object with \(Self.fieldList)")
        }
        var value = Self()
        for member in members where !Self.fields.contains(where: { "\($0.name)" == member.name }) {
            throw LedgerError(.invalidField, "\(path).\(member.name)\(at(member.node)): not a field here (\(Self.fieldList))")
        }
        for field in Self.fields {
            let name = "\(field.name)"
            guard let member = members.first(where: { $0.name == name }) else {
                if field.isOptional { continue }
                throw LedgerError(.invalidField, "\(path).\(name): is required (\(Self.fieldList))")
            }
            if case .null = member.node.value {
                throw LedgerError(.invalidField, "\(path).\(name)\(at(member.node)): null is not a value here\(field.isOptional ? "; leave it out" : "")")
            }
            do {
                try field.parse(member.node.value, &value)
            } catch {
                throw LedgerError(.invalidField, "\(path).\(name)\(at(member.node)): \(error.message)")
            }
        }
        // The binary reader's checks, once, on the bytes this JSON makes.
        do {
            self = try Self(payload: value.encoded)
        } catch {
            throw LedgerError(.invalidField, "\(path): \(error.message)")
        }
    }

    static var fieldList: String { fields.map { "\($0.name)" + ($0.isOptional ? "?" : "") }.joined(separator: ", ") }
}

/// Small enumerations encoded as one byte, named in JSON and text.
public protocol ByteCoded: RawRepresentable<String>, CaseIterable, Hashable, Sendable, Codable, CodingKeyRepresentable {}

extension ByteCoded {
    /// The one-byte code: the case's index in declaration order (a
    /// payload-free enumeration is stored as that index).
    @inlinable public var code: UInt8 {
        MemoryLayout<Self>.size == 1 ? unsafeBitCast(self, to: UInt8.self) : UInt8(Self.allCases.distance(from: Self.allCases.startIndex, to: Self.allCases.firstIndex(of: self)!))
    }

    /// The case with `code`, if any.
    @inlinable public init?(code: UInt8) {
        let count = Self.allCases.count
        guard Int(code) < count else { return nil }
        if MemoryLayout<Self>.size == 1 {
            self = unsafeBitCast(code, to: Self.self)
        } else {
            self = Self.allCases[Self.allCases.index(Self.allCases.startIndex, offsetBy: Int(code))]
        }
    }
}

extension ByteWriter {
    /// A one-byte enumeration.
    public mutating func code(_ value: some ByteCoded) { u8(value.code) }
    /// A `Bool` as one byte, 0 or 1.
    public mutating func bool(_ value: Bool) { u8(value ? 1 : 0) }
    /// An optional position: a presence byte, then a u64.
    public mutating func optional(_ value: UInt64?) {
        bool(value != nil)
        u64(value ?? 0)
    }
    /// A list of strings: a u32 count, then each as a field.
    public mutating func strings(_ values: [String]) {
        u32(UInt32(values.count))
        for value in values { field(value) }
    }
}

extension ByteReader {
    /// A one-byte enumeration.
    public mutating func code<T: ByteCoded>(_ what: StaticString, as: T.Type = T.self) throws(LedgerError) -> T {
        let byte = try u8(what)
        guard let value = T(code: byte) else {
            throw LedgerError(.malformed, "\(what): \(byte) is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
    /// A `Bool` written as 0 or 1.
    public mutating func bool(_ what: StaticString) throws(LedgerError) -> Bool {
        switch try u8(what) {
        case 0: return false
        case 1: return true
        case let other: throw LedgerError(.malformed, "\(what): \(other) is not 0 or 1")
        }
    }
    /// An optional position.
    public mutating func optional(_ what: StaticString) throws(LedgerError) -> UInt64? {
        let present = try bool(what)
        let value = try u64(what)
        guard present || value == 0 else { throw LedgerError(.malformed, "\(what): absent but not zero") }
        return present ? value : nil
    }
    /// A short text field (at most 4,096 bytes).
    public mutating func text(_ what: StaticString) throws(LedgerError) -> String {
        try string(what, maxLength: 4096)
    }
    /// A list of at most `maxCount` strings of at most `maxLength` bytes.
    public mutating func strings(_ what: StaticString, maxCount: UInt32 = 64, maxLength: Int = 128) throws(LedgerError) -> [String] {
        let count = try u32(what)
        guard count <= maxCount else { throw LedgerError(.malformed, "\(what): \(count) items, more than \(maxCount)") }
        var values: [String] = []
        for _ in 0..<count { values.append(try string(what, maxLength: maxLength)) }
        return values
    }
    /// A sealed personal field.
    public mutating func sealed(_ what: StaticString) throws(LedgerError) -> SealedField {
        let range = try fieldRange(what, maxLength: 65_536)
        return try SealedField(bytes: Array(bytes[range]))
    }
    /// Skips a length-prefixed field without reading it.
    public mutating func skipField(_ what: StaticString) throws(LedgerError) {
        _ = try fieldRange(what, maxLength: Int(UInt32.max))
    }
}

