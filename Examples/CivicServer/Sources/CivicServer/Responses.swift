import CivicGovernance
import CivicLedger
import Foundation
import Hummingbird

/// A request the API cannot read (a missing or malformed parameter).
struct BadRequest: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// The request must be signed by an enrolled reader, and is not, or its
/// signature is refused.
struct Unauthorized: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// What the request names does not exist.
struct NotFound: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Runs a handler, and answers its errors as `application/problem+json`
/// (RFC 9457) with the ledger's stable error `code`: nothing a client sends
/// gets a 500 for being wrong.
func respond(_ handler: () async throws -> Response) async -> Response {
    do {
        return try await handler()
    } catch let error as LedgerError where error.remedy != nil {
        // The store is not as the ledger left it: the operator's to fix, not the client's.
        print("the ledger's store needs attention (\(error.remedy?.rawValue ?? "")): \(error)")
        return problem(.serviceUnavailable, code: error.code.rawValue, detail: "the ledger's store needs its operator's attention")
    } catch let error as LedgerError {
        return problem(status(of: error.code), code: error.code.rawValue, detail: error.description, position: error.position, stream: error.stream)
    } catch let error as BadRequest {
        return problem(.badRequest, code: "bad-request", detail: error.message)
    } catch let error as Unauthorized {
        return problem(.unauthorized, code: "unauthenticated", detail: error.message)
    } catch let error as NotFound {
        return problem(.notFound, code: "not-found", detail: error.message)
    } catch let error as any HTTPResponseError {
        return problem(error.status, code: "http", detail: "\(error)")
    } catch {
        return problem(.internalServerError, code: "internal", detail: "\(error)")
    }
}

/// The HTTP status of a ledger error code: the event is malformed (400),
/// its signer may not act (403), it conflicts with the log (409), it breaks
/// a governance rule (422), or the service cannot take it now (503, 504).
func status(of code: LedgerError.Code) -> HTTPResponse.Status {
    switch code {
    case .malformed, .invalidField, .invalidSignature, .wrongOrigin, .invalidProof, .invalidCheckpoint: .badRequest
    case .unknownKey, .keyNotValid, .notAuthorised, .wrongActor, .signingFailed: .forbidden
    case .streamVersionConflict, .idempotencyConflict, .placeMismatch, .storeConflict: .conflict
    case .closed, .storeFailure, .notInitialised: .serviceUnavailable
    case .timedOut: .gatewayTimeout
    default: .unprocessableContent
    }
}

func problem(
    _ status: HTTPResponse.Status, code: String, detail: String, position: UInt64? = nil, stream: String? = nil
) -> Response {
    var body: [String: Any] = [
        "type": "urn:civic-ledger:problem:\(code)", "title": code, "status": status.code,
        "detail": detail, "code": code,
    ]
    if let position { body["position"] = position }
    if let stream { body["stream"] = stream }
    let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    return Response(
        status: status, headers: [.contentType: "application/problem+json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}

func json(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}

func text(_ string: String) -> Response {
    Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: string)))
}
