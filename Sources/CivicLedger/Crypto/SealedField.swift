import CSodium

/// A 256-bit symmetric key for sealing personal fields
/// (XChaCha20-Poly1305). One key per data subject, kept in a ``KeyVault``
/// outside the log; destroying it erases every field sealed under it.
public struct FieldKey: Sendable, Equatable {
    /// The key bytes.
    public let bytes: Bytes32

    /// A key from its bytes.
    public init(bytes: Bytes32) { self.bytes = bytes }

    /// A subkey for one purpose (libsodium's `crypto_kdf_derive_from_key`,
    /// BLAKE2b): handing a reader the subkey lets them open the fields
    /// sealed for that purpose and nothing else, and destroying this key
    /// erases those fields too, since the subkey is derived again each time.
    ///
    /// - Parameters:
    ///   - id: the subkey's number.
    ///   - context: eight bytes of ASCII naming the purpose, such as
    ///     `profile_`.
    public func subkey(_ id: UInt64, context: StaticString) -> FieldKey {
        precondition(Sodium.ready)
        precondition(context.utf8CodeUnitCount == 8, "a key derivation context is eight bytes")
        var status: Int32 = 0
        let subkey = Bytes32 { out in
            status = bytes.withUnsafeBytes { master in
                context.withUTF8Buffer { name in
                    name.withMemoryRebound(to: CChar.self) { ctx in
                        crypto_kdf_derive_from_key(
                            out.baseAddress!.assumingMemoryBound(to: UInt8.self), 32, id, ctx.baseAddress!,
                            master.bindMemory(to: UInt8.self).baseAddress!)
                    }
                }
            }
        }
        precondition(status == 0, "crypto_kdf_derive_from_key failed for a 32-byte subkey")
        return FieldKey(bytes: subkey)
    }

    /// A fresh random key from libsodium's generator.
    public static func generate() -> FieldKey {
        precondition(Sodium.ready)
        return FieldKey(bytes: Bytes32(unsafeUninitializedCapacity: { buffer in randombytes_buf(buffer.baseAddress!, 32) }))
    }
}

/// A personal field sealed with XChaCha20-Poly1305 (libsodium's IETF
/// construction): a 24-byte random nonce followed by the ciphertext and
/// its 16-byte tag.
///
/// The associated data binds the field to where it belongs (typically the
/// ledger origin, the stream and the field's name), so a sealed value
/// cannot be moved to another record. Sealing happens before the actor
/// signs, so the log holds and signs only ciphertext (docs/format.md §9).
public struct SealedField: Hashable, Sendable {
    /// Nonce ‖ ciphertext ‖ tag.
    public let bytes: [UInt8]

    /// The nonce length, 24 bytes.
    public static let nonceBytes = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    /// The tag length, 16 bytes.
    public static let tagBytes = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    /// A field of zero bytes, nonce and tag included, that opens under no
    /// key: the value a payload decoder starts from before it reads the
    /// real one.
    public static let empty = SealedField(unchecked: Array(repeating: 0, count: nonceBytes + tagBytes))

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Wraps sealed bytes read from a payload.
    ///
    /// - Throws: ``LedgerError`` `.malformed` when they are too short to
    ///   hold a nonce and a tag.
    public init(bytes: [UInt8]) throws(LedgerError) {
        guard bytes.count >= Self.nonceBytes + Self.tagBytes else {
            throw LedgerError(.malformed, "a sealed field needs at least \(Self.nonceBytes + Self.tagBytes) bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Seals `plaintext` under `key`, bound to `context`.
    public init(sealing plaintext: String, with key: FieldKey, context: String) {
        precondition(Sodium.ready)
        let message = Array(plaintext.utf8)
        let associated = Array(context.utf8)
        var output = [UInt8](repeating: 0, count: Self.nonceBytes + message.count + Self.tagBytes)
        output.withUnsafeMutableBufferPointer { out in
            randombytes_buf(out.baseAddress!, Self.nonceBytes)
            var written: UInt64 = 0
            key.bytes.withUnsafeBytes { keyBytes in
                _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                    out.baseAddress! + Self.nonceBytes, &written, message, UInt64(message.count), associated,
                    UInt64(associated.count), nil, out.baseAddress!, keyBytes.bindMemory(to: UInt8.self).baseAddress!)
            }
        }
        bytes = output
    }

    /// Opens the field with `key`, or returns `nil` when the key or the
    /// context is wrong or the bytes were changed.
    public func open(with key: FieldKey, context: String) -> String? {
        precondition(Sodium.ready)
        let associated = Array(context.utf8)
        let cipherCount = bytes.count - Self.nonceBytes
        var plain = [UInt8](repeating: 0, count: cipherCount - Self.tagBytes)
        var written: UInt64 = 0
        let status = bytes.withUnsafeBufferPointer { sealed in
            key.bytes.withUnsafeBytes { keyBytes in
                plain.withUnsafeMutableBufferPointer { out in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        out.baseAddress, &written, nil, sealed.baseAddress! + Self.nonceBytes, UInt64(cipherCount),
                        associated, UInt64(associated.count), sealed.baseAddress!, keyBytes.bindMemory(to: UInt8.self).baseAddress!)
                }
            }
        }
        guard status == 0 else { return nil }
        return String(validating: plain[..<Int(written)], as: UTF8.self)
    }
}

/// Where per-subject field keys live: outside the log, so that destroying
/// a key erases the subject's personal fields while the log, its hashes
/// and its signatures stay valid.
///
/// Implementations must make ``destroy(subject:)`` final: the key must not
/// survive in the store's free pages or journals where it can avoid it.
public protocol KeyVault: Sendable {
    /// The subject's key, creating one when it has none and was never
    /// erased.
    ///
    /// - Throws: ``LedgerError`` `.erased` when the subject's key was
    ///   destroyed; store errors.
    func key(for subject: String) async throws -> FieldKey
    /// The subject's key if it exists.
    func existingKey(for subject: String) async throws -> FieldKey?
    /// Destroys the subject's key and remembers that it was destroyed.
    func destroy(subject: String) async throws
    /// `true` when the subject's key was destroyed.
    func isErased(_ subject: String) async throws -> Bool
    /// The keys of many subjects at once, creating the missing ones (one
    /// transaction where the vault has them).
    func keys(for subjects: [String]) async throws -> [String: FieldKey]
}

extension KeyVault {
    /// One ``key(for:)`` per subject.
    public func keys(for subjects: [String]) async throws -> [String: FieldKey] {
        var keys: [String: FieldKey] = [:]
        for subject in subjects { keys[subject] = try await key(for: subject) }
        return keys
    }
}

extension LedgerError.Code {
    /// The data subject was erased: its key is destroyed.
    public static let erased = LedgerError.Code(rawValue: "erased")
}

/// A ``KeyVault`` in memory, for tests and short-lived tools.
public actor InMemoryKeyVault: KeyVault {
    private var keys: [String: FieldKey] = [:]
    private var erased: Set<String> = []

    /// An empty vault.
    public init() {}

    public func key(for subject: String) throws -> FieldKey {
        guard !erased.contains(subject) else {
            throw LedgerError(.erased, "subject \(subject) was erased; its key is destroyed")
        }
        if let key = keys[subject] { return key }
        let key = FieldKey.generate()
        keys[subject] = key
        return key
    }

    public func existingKey(for subject: String) -> FieldKey? { keys[subject] }

    public func destroy(subject: String) {
        keys[subject] = nil
        erased.insert(subject)
    }

    public func isErased(_ subject: String) -> Bool { erased.contains(subject) }
}
