/// What a witness answered an `add-checkpoint` request (C2SP tlog-witness).
public enum WitnessReply: Hashable, Sendable {
    /// 200: the cosignature lines, as the body gave them (one per line,
    /// each `— <name> <base64>`).
    case cosigned(String)
    /// 409: the witness's latest size for the log is another one.
    case conflict(size: UInt64)
    /// Any other status, with the body's text.
    case refused(status: Int, message: String)

    /// The reply an HTTP status and body make.
    public init(status: Int, body: String) {
        switch status {
        case 200:
            self = .cosigned(body)
        case 409:
            let text = body.hasSuffix("\n") ? String(body.dropLast()) : body
            if let size = UInt64(text), String(size) == text {
                self = .conflict(size: size)
            } else {
                self = .refused(status: 409, message: "a 409 answer whose body is not a size: \"\(body.prefix(80))\"")
            }
        default:
            self = .refused(status: status, message: String(body.prefix(500)))
        }
    }

    /// The body of an `add-checkpoint` request: `old <size>`, the
    /// consistency proof's hashes one per line, a blank line, the signed
    /// checkpoint.
    public static func request(oldSize: UInt64, proof: [Digest], checkpoint: String) -> String {
        (["old \(oldSize)"] + proof.map(\.base64)).joined(separator: "\n") + "\n\n" + checkpoint
    }
}

/// A way to reach one witness: over HTTP (`HTTPWitnessClient` in
/// CivicWitnessHTTP), or in the process (``LocalWitnessClient``).
public protocol WitnessClient: Sendable {
    /// The witness's cosigner key, which its cosignatures must verify under.
    var cosigner: CosignerKey { get }
    /// Where the witness is, for logs and messages (a URL).
    var address: String { get }
    /// Sends an `add-checkpoint` request body (``WitnessReply/request(oldSize:proof:checkpoint:)``).
    ///
    /// - Throws: when the witness cannot be reached or gives no answer.
    func addCheckpoint(_ request: String) async throws -> WitnessReply
}

/// A witness in this process, reached without a network: for tests, and
/// for an operator who runs a witness beside the log (which adds nothing
/// against the operator).
public struct LocalWitnessClient: WitnessClient {
    /// The witness.
    public let witness: Witness

    /// A client of `witness`.
    public init(_ witness: Witness) { self.witness = witness }

    public var cosigner: CosignerKey { witness.cosigner }
    public var address: String { "local:" + witness.cosigner.name }

    public func addCheckpoint(_ request: String) async throws -> WitnessReply {
        let response = await witness.addCheckpoint(request)
        return WitnessReply(status: response.status, body: response.body)
    }
}
