import Synchronization

/// HTTP Message Signatures (RFC 9421) with Ed25519, for reads: a request
/// is signed by the actor's own key, the one the ledger enrols, so a
/// service knows who reads without passwords.
///
/// The profile this library signs and accepts:
///
/// - covered components, in this order: `"@method" "@authority" "@path"
///   "@query"` (RFC 9421 §2.2; `@query` is `?` for a request without one);
/// - parameters `created`, `expires` (whole seconds since 1970), `nonce`
///   (1 to 64 characters from `A–Z a–z 0–9 - _`), `keyid` (the standard
///   base64 of the actor's 32-byte Ed25519 public key) and `alg="ed25519"`;
/// - one signature, labelled `sig1`, in `Signature-Input` and `Signature`.
///
/// ```
/// Signature-Input: sig1=("@method" "@authority" "@path" "@query");created=1765100000;expires=1765100060;nonce="k2Jf8";keyid="MCow…";alg="ed25519"
/// Signature: sig1=:BASE64:
/// ```
///
/// A verifier (``RequestSignatureVerifier``) refuses a request whose
/// signature does not verify, is not yet valid or has expired, lives
/// longer than it allows, or whose nonce it has seen before its expiry.
public struct RequestSignature: Sendable, Equatable {
    /// The request's method, such as `GET`.
    public var method: String
    /// The host and port the request is for (`@authority`), lower case.
    public var authority: String
    /// The path, without the query.
    public var path: String
    /// The query with its leading `?`, or `?` when there is none.
    public var query: String
    /// Seconds since 1970 when the signature was made.
    public var created: Int64
    /// Seconds since 1970 after which it is refused.
    public var expires: Int64
    /// A value the signer never uses twice.
    public var nonce: String
    /// The signer's key.
    public var key: PublicKey

    /// The components covered, in order.
    public static let components = ["@method", "@authority", "@path", "@query"]
    /// The label of the one signature.
    public static let label = "sig1"

    /// A signature's parameters for a request.
    public init(
        method: String, authority: String, path: String, query: String, created: Int64, expires: Int64, nonce: String, key: PublicKey
    ) {
        self.method = method
        self.authority = authority.lowercased()
        self.path = path
        self.query = query.isEmpty ? "?" : (query.hasPrefix("?") ? query : "?" + query)
        self.created = created
        self.expires = expires
        self.nonce = nonce
        self.key = key
    }

    /// The `@signature-params` value, which is also `Signature-Input`'s
    /// after `sig1=`.
    public var parameters: String {
        "(" + Self.components.map { "\"\($0)\"" }.joined(separator: " ")
            + ");created=\(created);expires=\(expires);nonce=\"\(nonce)\";keyid=\"\(key.base64)\";alg=\"ed25519\""
    }

    /// The signature base (RFC 9421 §2.5): what the key signs.
    public var base: String {
        [
            "\"@method\": \(method)", "\"@authority\": \(authority)", "\"@path\": \(path)", "\"@query\": \(query)",
            "\"@signature-params\": \(parameters)",
        ].joined(separator: "\n")
    }

    /// The two header fields of a request signed by `signer`.
    public func headers(signedBy signer: any Signer) throws -> (signatureInput: String, signature: String) {
        let signature = try signer.sign(Array(base.utf8))
        return ("\(Self.label)=\(parameters)", "\(Self.label)=:\(signature.base64):")
    }

    /// Reads the two header fields of a request whose method, authority,
    /// path and query are given (from the request line, never the headers
    /// being checked), and checks the signature over them.
    ///
    /// - Throws: ``LedgerError`` `.invalidSignature` naming what is wrong:
    ///   a header missing or not of this profile, a component left out, or
    ///   a signature that does not verify.
    public init(
        signatureInput: String?, signature: String?, method: String, authority: String, path: String, query: String
    ) throws(LedgerError) {
        func bad(_ why: String) -> LedgerError { LedgerError(.invalidSignature, "the request's signature: \(why)") }
        guard let signatureInput, let signature else {
            throw bad("sign the request with Signature-Input and Signature (RFC 9421, Ed25519)")
        }
        let prefix = "\(Self.label)="
        guard signatureInput.hasPrefix(prefix), signature.hasPrefix(prefix + ":"), signature.hasSuffix(":"), signature.count > prefix.count + 2 else {
            throw bad("one signature labelled \(Self.label) is expected, as sig1=(…) and sig1=:BASE64:")
        }
        let input = signatureInput.dropFirst(prefix.count)
        let covered = "(" + Self.components.map { "\"\($0)\"" }.joined(separator: " ") + ")"
        guard input.hasPrefix(covered) else {
            throw bad("it must cover \(covered), in that order")
        }
        var values: [String: String] = [:]
        for parameter in input.dropFirst(covered.count).split(separator: ";", omittingEmptySubsequences: false).dropFirst() {
            let parts = parameter.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, values[String(parts[0])] == nil else { throw bad("the parameter \(parameter) is malformed or repeated") }
            values[String(parts[0])] = String(parts[1])
        }
        func quoted(_ name: String) throws(LedgerError) -> String {
            guard let value = values[name], value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else {
                throw bad("the parameter \(name) is missing or not a quoted string")
            }
            return String(value.dropFirst().dropLast())
        }
        func seconds(_ name: String) throws(LedgerError) -> Int64 {
            guard let value = values[name], let number = Int64(value), number >= 0 else {
                throw bad("the parameter \(name) must be whole seconds since 1970")
            }
            return number
        }
        guard Set(values.keys) == ["created", "expires", "nonce", "keyid", "alg"] else {
            throw bad("the parameters must be created, expires, nonce, keyid and alg, each once")
        }
        guard try quoted("alg") == "ed25519" else { throw bad("alg must be \"ed25519\"") }
        let nonce = try quoted("nonce")
        guard (1...64).contains(nonce.utf8.count),
            nonce.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
        else { throw bad("the nonce must be 1 to 64 of A-Z a-z 0-9 - _") }
        guard let key = PublicKey(base64: try quoted("keyid")) else { throw bad("keyid must be the base64 of a 32-byte Ed25519 key") }
        guard let bytes = [UInt8](base64String: String(signature.dropFirst(prefix.count + 1).dropLast())), let parsed = Signature(bytes) else {
            throw bad("the signature must be the base64 of 64 bytes")
        }
        self.init(
            method: method, authority: authority, path: path, query: query, created: try seconds("created"), expires: try seconds("expires"),
            nonce: nonce, key: key)
        guard key.isValidSignature(parsed, for: Array(base.utf8)) else {
            throw bad("it does not verify for this request (method, host, path and query) under the key \(key.fingerprint)")
        }
    }
}

/// Checks signed requests against the clock and remembers their nonces
/// until they expire, so a request replayed within its lifetime is refused.
///
/// ```swift
/// let verifier = RequestSignatureVerifier()
/// let signed = try verifier.verify(signatureInput: …, signature: …, method: "GET", authority: "ledger.example", path: "/feed", query: "", now: now)
/// let actor = registry.currentActor(of: signed.key)?.id
/// ```
public final class RequestSignatureVerifier: Sendable {
    /// The longest lifetime accepted, `expires − created`.
    public let maximumLifetime: Int64
    /// How far ahead of this clock a `created` may be.
    public let clockSkew: Int64
    /// The most nonces remembered at once; past it, requests are refused
    /// until some expire (a flood cannot make the verifier forget).
    public let maximumRemembered: Int
    private let seen = Mutex<[String: Int64]>([:])

    /// A verifier.
    public init(maximumLifetime: Int64 = 300, clockSkew: Int64 = 30, maximumRemembered: Int = 1_000_000) {
        self.maximumLifetime = maximumLifetime
        self.clockSkew = clockSkew
        self.maximumRemembered = maximumRemembered
    }

    /// The request's signature, checked (``RequestSignature``), in time,
    /// and not seen before.
    ///
    /// - Parameters:
    ///   - signatureInput: the `Signature-Input` header, if any.
    ///   - signature: the `Signature` header, if any.
    ///   - method: the request's method.
    ///   - authority: the host and port the request was sent to.
    ///   - path: the request's path, without the query.
    ///   - query: the request's query, with or without its `?`.
    ///   - now: seconds since 1970.
    /// - Throws: ``LedgerError`` `.invalidSignature` for a signature that
    ///   does not verify, is not yet valid, has expired, lives longer than
    ///   ``maximumLifetime``, or was used before.
    public func verify(
        signatureInput: String?, signature: String?, method: String, authority: String, path: String, query: String, now: Int64
    ) throws(LedgerError) -> RequestSignature {
        let signed = try RequestSignature(
            signatureInput: signatureInput, signature: signature, method: method, authority: authority, path: path, query: query)
        func bad(_ why: String) -> LedgerError { LedgerError(.invalidSignature, "the request's signature: \(why)") }
        guard signed.created <= now.clampedAdding(clockSkew) else { throw bad("created \(signed.created) is in the future (now \(now))") }
        guard signed.expires > now else { throw bad("it expired at \(signed.expires) (now \(now)); sign the request again") }
        guard signed.expires > signed.created, signed.expires - signed.created <= maximumLifetime else {
            throw bad("it must expire after it is created, within \(maximumLifetime) seconds")
        }
        let remembered = signed.key.base64 + " " + signed.nonce
        let outcome: String? = seen.withLock { seen in
            if seen.count >= maximumRemembered { seen = seen.filter { $0.value > now } }
            if let until = seen[remembered], until > now { return "its nonce was used before: a replayed request is refused" }
            guard seen.count < maximumRemembered else { return "too many signed requests in flight; try again shortly" }
            seen[remembered] = signed.expires
            return nil
        }
        if let outcome { throw bad(outcome) }
        return signed
    }
}
