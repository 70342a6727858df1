#if WitnessHTTP
import CivicLedger
import NIOCore
import NIOHTTP1
import NIOPosix

/// A witness reached over HTTP: posts C2SP tlog-witness `add-checkpoint`
/// requests to `<url>/add-checkpoint`, one connection a request.
///
/// ```swift
/// let street = try HTTPWitnessClient(url: "http://witness.street.example:7381", cosigner: CosignerKey(verifierKey: vkey))
/// ```
public struct HTTPWitnessClient: WitnessClient {
    /// The witness's cosigner key.
    public let cosigner: CosignerKey
    /// The witness's URL prefix, as given.
    public let address: String
    /// The host to connect to.
    public let host: String
    /// The port.
    public let port: Int
    /// The path before `/add-checkpoint` (empty, or starting with `/`).
    public let prefix: String
    /// How long a request may take, connecting included.
    public var timeout: Duration

    /// A client of the witness at `url` (`http://HOST[:PORT][/PREFIX]`)
    /// whose cosignatures verify under `cosigner`.
    ///
    /// - Throws: `LedgerError` `.invalidField` for a URL that is not
    ///   `http://` with a host (TLS is left to a proxy in front).
    public init(url: String, cosigner: CosignerKey, timeout: Duration = .seconds(10)) throws(LedgerError) {
        guard url.hasPrefix("http://") else {
            throw LedgerError(.invalidField, "witness URL \"\(url)\" does not start with http://")
        }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        var host = String(authority)
        var port = 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else {
                throw LedgerError(.invalidField, "witness URL \"\(url)\" has no valid port after the colon")
            }
            port = number
            host = String(authority[..<colon])
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw LedgerError(.invalidField, "witness URL \"\(url)\" has no host") }
        self.cosigner = cosigner
        self.address = url
        self.host = host
        self.port = port
        self.prefix = path
        self.timeout = timeout
    }

    /// A client for each witness of `policy` that has a URL (`witness NAME
    /// VKEY URL`), by the policy's names.
    ///
    /// - Throws: `LedgerError` `.invalidField` naming a witness whose URL
    ///   is not `http://HOST[:PORT][/PREFIX]`.
    public static func clients(for policy: WitnessPolicy, timeout: Duration = .seconds(10)) throws(LedgerError) -> [HTTPWitnessClient] {
        var clients: [HTTPWitnessClient] = []
        for (name, key) in policy.witnesses.sorted(by: { $0.key < $1.key }) {
            guard let url = policy.urls[name] else { continue }
            do {
                clients.append(try HTTPWitnessClient(url: url, cosigner: key, timeout: timeout))
            } catch {
                throw LedgerError(.invalidField, "witness \(name): \(error.message)")
            }
        }
        return clients
    }

    /// The largest answer read.
    static let maximumBody = 64 * 1024

    public func addCheckpoint(_ request: String) async throws -> WitnessReply {
        try await withThrowingTaskGroup(of: WitnessReply?.self) { group in
            group.addTask { try await self.post(request) }
            group.addTask {
                try await Task.sleep(for: self.timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let reply = first else {
                throw LedgerError(.timedOut, "the witness at \(address) did not answer within \(timeout)")
            }
            return reply
        }
    }

    func post(_ request: String) async throws -> WitnessReply {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: port == 80 ? host : "\(host):\(port)")
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: String(request.utf8.count))
            headers.add(name: "Connection", value: "close")
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .POST, uri: prefix + "/add-checkpoint", headers: headers)))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: request))))
            try await outbound.write(.end(nil))
            var status: Int?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let head):
                    status = Int(head.status.code)
                case .body(var chunk):
                    guard body.readableBytes + chunk.readableBytes <= Self.maximumBody else {
                        throw LedgerError(.storeFailure, "the witness at \(address) answered more than \(Self.maximumBody) bytes")
                    }
                    body.writeBuffer(&chunk)
                case .end:
                    guard let status else { throw LedgerError(.storeFailure, "the witness at \(address) answered no status") }
                    return WitnessReply(status: status, body: String(buffer: body))
                }
            }
            throw LedgerError(.storeFailure, "the witness at \(address) closed the connection before answering")
        }
    }
}
#endif
