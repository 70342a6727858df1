import CSodium

/// An Ed25519 public key: 32 bytes.
///
/// An actor's public key is also its key id in events (``EventContent/actorKey``):
/// a verifier needs nothing but the event to check its signature.
public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The 32 key bytes.
    public var raw: Bytes32

    /// Wraps 32 raw bytes.
    public init(raw: Bytes32) { self.raw = raw }

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

    /// The key bytes.
    public var bytes: [UInt8] { raw.bytes }
    /// Standard base64: how keys are written in payloads, files and output.
    public var base64: String { bytes.base64String }
    /// A short fingerprint for people: the first 8 hex digits of the key.
    public var fingerprint: String { String(bytes.hexString.prefix(8)) }
    public var description: String { base64 }

    /// Checks an Ed25519 signature over `message` (libsodium
    /// `crypto_sign_verify_detached`, which rejects non-canonical and
    /// small-order encodings).
    ///
    /// - Complexity: one signature check, about 80 µs on one core.
    public func isValidSignature(_ signature: Signature, for message: UnsafeRawBufferPointer) -> Bool {
        precondition(Sodium.ready)
        return signature.withUnsafeBytes { sig in
            raw.withUnsafeBytes { key in
                crypto_sign_verify_detached(
                    sig.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    message.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    UInt64(message.count),
                    key.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
            }
        }
    }

    /// Checks an Ed25519 signature over the bytes of `message`.
    public func isValidSignature(_ signature: Signature, for message: some ContiguousBytesCollection) -> Bool {
        message.withContiguousBytes { isValidSignature(signature, for: $0) }
    }
}

/// An Ed25519 signature: 64 bytes, held inline.
public struct Signature: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline var low: Bytes32
    @usableFromInline var high: Bytes32

    /// Parses exactly 64 bytes; `nil` for any other length.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == 64 else { return nil }
        let array = Array(bytes)
        low = Bytes32(array[0..<32])!
        high = Bytes32(array[32..<64])!
    }

    /// The signature whose first 32 bytes are `low` and last 32 are `high`.
    @usableFromInline init(low: Bytes32, high: Bytes32) {
        self.low = low
        self.high = high
    }

    init(unsafeUninitialized body: (UnsafeMutableRawBufferPointer) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 64)
        buffer.withUnsafeMutableBytes(body)
        self.init(buffer)!
    }

    /// Calls `body` with the 64 signature bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: (low.storage, high.storage), body)
    }

    /// The signature bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
    /// Standard base64.
    public var base64: String { bytes.base64String }
    public var description: String { base64 }
}

/// Something that signs with an Ed25519 key: an in-memory ``SigningKey``,
/// or a hardware or remote signer supplied by an application.
public protocol Signer: Sendable {
    /// The public key whose signatures this signer makes.
    var publicKey: PublicKey { get }
    /// Signs `message` with Ed25519 (RFC 8032, pure, no prehash).
    func sign(_ message: [UInt8]) throws -> Signature
}

/// An Ed25519 key pair held in memory.
///
/// The secret is zeroed when the key is released (`sodium_memzero`). It is
/// never printed: `description` shows the public key only.
public final class SigningKey: Signer, CustomStringConvertible, @unchecked Sendable {
    // @unchecked Sendable: the secret buffer is written once in `init`,
    // only read afterwards, and freed in `deinit`; no state is shared
    // mutably across threads.
    private let secret: UnsafeMutableRawBufferPointer  // crypto_sign_SECRETKEYBYTES (seed ‖ public key)
    /// The public half.
    public let publicKey: PublicKey

    /// Derives the key pair from a 32-byte seed; `nil` for another length.
    public init?(seed: some Collection<UInt8>) {
        guard seed.count == 32, Sodium.ready else { return nil }
        let seedBytes = Array(seed)
        let secret = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(crypto_sign_SECRETKEYBYTES), alignment: 8)
        var publicBytes = [UInt8](repeating: 0, count: 32)
        seedBytes.withUnsafeBytes { seedBuffer in
            _ = crypto_sign_seed_keypair(
                &publicBytes,
                secret.baseAddress!.assumingMemoryBound(to: UInt8.self),
                seedBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        self.secret = secret
        publicKey = PublicKey(publicBytes)!
    }

    /// A new key pair from libsodium's secure random source.
    public static func generate() -> SigningKey {
        var seed = Sodium.randomBytes(32)
        defer { seed.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, $0.count) } }
        return SigningKey(seed: seed)!
    }

    deinit {
        sodium_memzero(secret.baseAddress, secret.count)
        secret.deallocate()
    }

    /// The 32-byte seed, for writing a key file. Handle with care.
    public var seed: [UInt8] { Array(secret[0..<32]) }

    /// Signs `message` (Ed25519, RFC 8032).
    public func sign(_ message: [UInt8]) -> Signature {
        message.withUnsafeBytes { sign($0) }
    }

    /// Signs a message given as a raw buffer.
    public func sign(_ message: UnsafeRawBufferPointer) -> Signature {
        Signature { out in
            _ = crypto_sign_detached(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self), nil,
                message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    public var description: String { "SigningKey(public: \(publicKey.base64))" }
}
