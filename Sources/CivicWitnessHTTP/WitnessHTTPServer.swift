#if WitnessHTTP
import CivicLedger
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A witness on HTTP: C2SP tlog-witness's `POST /add-checkpoint`, and its
/// monitor retrieval `GET /<origin hash>/checkpoint` (the latest
/// checkpoint it cosigned for the log whose origin's SHA-256 this is, in
/// lowercase hex), served on SwiftNIO until graceful shutdown.
///
/// Every other path answers 404 and every other method on it 405; a body
/// larger than ``maximumBody`` answers 413 and is not read further.
///
/// ```swift
/// let server = WitnessHTTPServer(witness: witness, host: "127.0.0.1", port: 7381)
/// try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm], logger: logger).run()
/// ```
public struct WitnessHTTPServer: Service {
    /// The largest request body read: 63 proof lines and a checkpoint
    /// with many cosignatures fit in far less.
    public static let maximumBody = 64 * 1024

    /// The witness that answers.
    public let witness: Witness
    /// The address to listen on.
    public let host: String
    /// The port; 0 lets the system choose (the `onListening` closure is told which).
    public let port: Int
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    /// A server for `witness` on `host`:`port`; `onListening` is told the
    /// port once the socket listens.
    public init(
        witness: Witness, host: String, port: Int, logger: Logger = Logger(label: "civic-ledger.witness-http"),
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.witness = witness
        self.host = host
        self.port = port
        self.logger = logger
        self.onListening = onListening
    }

    /// Listens and answers until graceful shutdown or cancellation.
    ///
    /// - Throws: when the address cannot be bound.
    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 128)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        onListening(server.channel.localAddress?.port ?? port)
        logger.info("witness listening", metadata: ["address": "\(host):\(server.channel.localAddress?.port ?? port)"])
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await self.serve(connection) }
                        }
                    }
                }
            }
        } catch is CancellationError {
            logger.info("witness stopped")
        }
    }

    /// Answers the requests of one connection, one after another.
    func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body.clear()
                        tooLarge = false
                    case .body(var chunk):
                        if body.readableBytes + chunk.readableBytes > Self.maximumBody {
                            tooLarge = true
                        } else {
                            body.writeBuffer(&chunk)
                        }
                    case .end:
                        guard let request = head else { continue }
                        let response: WitnessResponse
                        if tooLarge {
                            response = WitnessResponse(status: 413, body: "the request is larger than \(Self.maximumBody) bytes\n")
                        } else {
                            response = await answer(request, body: String(buffer: body))
                        }
                        try await Self.write(response, keepAlive: request.isKeepAlive && !tooLarge, to: outbound)
                        if !request.isKeepAlive || tooLarge { return }
                        head = nil
                    }
                }
            }
        } catch {
            logger.debug("witness connection ended", metadata: ["error": "\(error)"])
        }
    }

    func answer(_ head: HTTPRequestHead, body: String) async -> WitnessResponse {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 3, parts[0].isEmpty, parts[2] == "checkpoint", parts[1].count == 64 {
            guard head.method == .GET else { return WitnessResponse(status: 405, body: "a checkpoint is read with GET\n") }
            return await witness.latestCheckpoint(originHash: String(parts[1]))
        }
        guard path == "/add-checkpoint" else { return WitnessResponse(status: 404, body: "no such path: \(path)\n") }
        guard head.method == .POST else { return WitnessResponse(status: 405, body: "add-checkpoint takes POST\n") }
        let response = await witness.addCheckpoint(body)
        logger.info("add-checkpoint", metadata: ["status": "\(response.status)"])
        return response
    }

    static func write(
        _ response: WitnessResponse, keepAlive: Bool, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        try await outbound.write(.head(head))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: response.body))))
        try await outbound.write(.end(nil))
    }
}
#endif
