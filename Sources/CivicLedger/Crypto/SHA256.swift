import CSodium

/// A SHA-256 digest: the hashes of the Merkle tree and the key ids.
public struct Digest: Hashable, Sendable, CustomStringConvertible {
    /// The 32 digest bytes.
    public var raw: Bytes32

    /// Wraps 32 raw bytes.
    @inlinable public init(raw: Bytes32) { self.raw = raw }

    /// Parses exactly 32 bytes; `nil` for any other length.
    public init?(_ bytes: some Collection<UInt8>) {
        guard let raw = Bytes32(bytes) else { return nil }
        self.raw = raw
    }

    /// Parses standard base64 of exactly 32 bytes.
    public init?(base64: String) {
        guard let bytes = [UInt8](base64String: base64) else { return nil }
        self.init(bytes)
    }

    /// The digest bytes.
    public var bytes: [UInt8] { raw.bytes }
    /// Standard base64, as checkpoints and proofs print hashes.
    public var base64: String { bytes.base64String }
    /// Lower-case hexadecimal.
    public var hex: String { bytes.hexString }
    /// Standard base64, as checkpoints, proofs and receipts show hashes
    /// (so `print(ledger.root)` shows what a checkpoint of it says).
    public var description: String { base64 }
}

/// SHA-256 through libsodium's `crypto_hash_sha256`.
public enum SHA256 {
    /// Hashes `message` in one call.
    public static func hash(_ message: UnsafeRawBufferPointer) -> Digest {
        precondition(Sodium.ready)
        return Digest(raw: Bytes32 { out in
            _ = crypto_hash_sha256(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                message.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt64(message.count))
        })
    }

    /// Hashes the bytes of `message` in one call.
    public static func hash(_ message: some ContiguousBytesCollection) -> Digest {
        message.withContiguousBytes { hash($0) }
    }

    /// Hashes the concatenation of `parts` without building it.
    public static func hash(parts: [UnsafeRawBufferPointer]) -> Digest {
        precondition(Sodium.ready)
        var state = crypto_hash_sha256_state()
        crypto_hash_sha256_init(&state)
        for part in parts {
            crypto_hash_sha256_update(
                &state, part.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(part.count))
        }
        return Digest(raw: Bytes32 { out in
            _ = crypto_hash_sha256_final(&state, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        })
    }
}

extension SHA256 {
    /// SHA-256 of bytes given a piece at a time.
    public struct Hasher {
        private var state = crypto_hash_sha256_state()

        /// A hasher that has seen nothing.
        public init() {
            precondition(Sodium.ready)
            crypto_hash_sha256_init(&state)
        }

        /// Adds `bytes`.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            crypto_hash_sha256_update(&state, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        }

        /// The digest of everything added; the hasher is left as it was.
        public func finalized() -> Digest {
            var copy = state
            return Digest(raw: Bytes32 { out in
                _ = crypto_hash_sha256_final(&copy, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
            })
        }
    }
}

/// Byte collections that can lend their storage as one contiguous buffer.
///
/// `[UInt8]`, `ArraySlice<UInt8>`, `ContiguousArray<UInt8>` and
/// `UnsafeRawBufferPointer` conform, so hashing, signing and payload
/// readers take any of them without copying.
public protocol ContiguousBytesCollection {
    /// Calls `body` with the bytes as one buffer.
    func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytesCollection where Element == UInt8 {
    @inlinable public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: ContiguousBytesCollection where Element == UInt8 {
    @inlinable public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension UnsafeRawBufferPointer: ContiguousBytesCollection {
    @inlinable public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}

extension ContiguousArray: ContiguousBytesCollection where Element == UInt8 {
    @inlinable public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}
