import Foundation

/// Thirty-two bytes held inline, without a heap allocation.
///
/// The storage behind ``Digest`` and ``PublicKey``: values of these types
/// sit on the projection and Merkle hot paths, where an array per hash would
/// cost an allocation each.
public struct Bytes32: Hashable, Sendable {
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64)

    /// Thirty-two zero bytes.
    @inlinable public static var zero: Bytes32 { Bytes32(storage: (0, 0, 0, 0)) }

    @usableFromInline init(storage: (UInt64, UInt64, UInt64, UInt64)) {
        self.storage = storage
    }

    /// Copies exactly 32 bytes; returns `nil` for any other length.
    @inlinable public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        self = .zero
        withUnsafeMutableBytes { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
    }

    /// Initialises the bytes in place through `body`, which must write all 32.
    @inlinable public init(unsafeUninitializedCapacity body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        self = .zero
        try withUnsafeMutableBytes(body)
    }

    /// Calls `body` with the 32 bytes.
    @inlinable public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    @inlinable mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &storage, body)
    }

    /// The bytes as an array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    public static func == (lhs: Bytes32, rhs: Bytes32) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1
            && lhs.storage.2 == rhs.storage.2 && lhs.storage.3 == rhs.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hexadecimal, two digits a byte.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses hexadecimal (either case); `nil` for an odd length or a non-hex digit.
    public init?(hexString: String) {
        let utf8 = Array(hexString.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        self = out
    }

    /// Standard base64 (RFC 4648 §4), with padding.
    public var base64String: String { Data(self).base64EncodedString() }

    /// Parses canonical standard base64 (RFC 4648 §4, §3.5): padded, no
    /// white space, and the unused bits of the last character zero, so
    /// that one byte string has exactly one text (docs/format.md §1).
    /// `nil` for anything else.
    public init?(base64String: String) {
        guard let data = Data(base64Encoded: base64String), data.base64EncodedString() == base64String else { return nil }
        self = Array(data)
    }
}
