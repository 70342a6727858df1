import Foundation

extension StrictJSON {
    /// Decodes `T` from strict JSON, refusing what decoding would drop or
    /// rewrite (docs/format.md §1.1).
    ///
    /// The text must parse strictly (``parse(_:what:)``); `T` is decoded
    /// from it and encoded again, and the two must hold the same values:
    /// a member `T` does not know, a `null` where a field may only be left
    /// out, a value read in another form (base64 that is not canonical,
    /// `1.0` for an integer) is refused, naming its line, column and path.
    ///
    /// - Throws: ``LedgerError`` `.malformed` naming `what`, or the error
    ///   `T`'s decoding throws when it is a `LedgerError`.
    public static func decode<T: Codable>(_ type: T.Type, from bytes: some Collection<UInt8>, what: String) throws(LedgerError) -> T {
        let data = Data(bytes)
        let node = try parse(data, what: what)
        let value: T
        do {
            value = try JSONDecoder().decode(T.self, from: data)
        } catch let error as LedgerError {
            throw LedgerError(error.code, "\(what): \(error.message)")
        } catch {
            throw LedgerError(.malformed, "\(what): \(describe(error))")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let encoded = try? encoder.encode(value), let back = try? parse(encoded, what: what) else {
            throw LedgerError(.malformed, "\(what): the value does not encode back to JSON")
        }
        if let difference = firstDifference(node, back, path: "$") {
            throw LedgerError(
                .malformed, "\(what): line \(difference.node.line), column \(difference.node.column) (at \(difference.path)): \(difference.reason)")
        }
        return value
    }

    /// Where `input` holds what `back` (the decoded value, encoded again)
    /// does not.
    static func firstDifference(_ input: Node, _ back: Node, path: String) -> (path: String, node: Node, reason: String)? {
        switch (input.value, back.value) {
        case (.object(let members), .object(let known)):
            for (name, node) in members {
                let memberPath = path + "." + name
                guard let other = known.first(where: { $0.name == name })?.node else {
                    if case .null = node.value {
                        return (memberPath, node, "null for a field that is absent when empty: leave \"\(name)\" out")
                    }
                    return (memberPath, node, "\"\(name)\" is not a field here (\(known.map(\.name).joined(separator: ", ")))")
                }
                if let difference = firstDifference(node, other, path: memberPath) { return difference }
            }
            return nil
        case (.array(let elements), .array(let others)):
            guard elements.count == others.count else {
                return (path, input, "\(elements.count) elements, of which \(others.count) are read")
            }
            for (index, (element, other)) in zip(elements, others).enumerated() {
                if let difference = firstDifference(element, other, path: path + "[\(index)]") { return difference }
            }
            return nil
        case (.number(let number), .integer(let integer)) where Double(integer) == number:
            return (path, input, "\(number) where a whole number is required: write \(integer)")
        default:
            guard input.value != back.value else { return nil }
            return (path, input, "\(shown(input.value)) is read as \(shown(back.value)); write it that way")
        }
    }

    static func shown(_ value: Value) -> String {
        let text = String(decoding: canonical(value), as: UTF8.self)
        return text.count > 80 ? String(text.prefix(77)) + "…" : text
    }

    /// A decoding error as a person reads it: what, and at which path.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            "$" + context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "at \(path(context)): the field \"\(key.stringValue)\" is required"
        case .typeMismatch(let type, let context):
            return "at \(path(context)): expected \(type) (\(context.debugDescription))"
        case .valueNotFound(let type, let context):
            return "at \(path(context)): expected \(type), found null"
        case .dataCorrupted(let context):
            return "at \(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

extension StrictJSON.Value {
    /// The value as Foundation objects (`NSNull`, `Bool`, `Int64`,
    /// `Double`, `String`, arrays and dictionaries), for JSON writers.
    public var foundationObject: Any {
        switch self {
        case .null: NSNull()
        case .bool(let flag): flag
        case .integer(let number): NSNumber(value: number)
        case .number(let number): NSNumber(value: number)
        case .string(let text): text
        case .array(let elements): elements.map(\.value.foundationObject)
        case .object(let members): Dictionary(members.map { ($0.name, $0.node.value.foundationObject) }, uniquingKeysWith: { first, _ in first })
        }
    }
}
