import CivicLedger
import Foundation
import Testing

/// The RFC 6962 vectors from ../shared/vectors (copied into the test
/// bundle): every case must give its stated answer.
@Suite("Merkle proofs against the RFC 6962 vectors")
struct MerkleVectorTests {
    struct Vector: CustomStringConvertible, Sendable {
        let path: String
        let json: [String: JSONValue]
        var description: String { path }
    }

    enum JSONValue: Sendable, Decodable {
        case number(UInt64), string(String), bool(Bool), array([String]), null
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let value = try? container.decode(UInt64.self) { self = .number(value) }
            else if let value = try? container.decode(Bool.self) { self = .bool(value) }
            else if let value = try? container.decode(String.self) { self = .string(value) }
            else { self = .array(try container.decode([String].self)) }
        }
        var number: UInt64 { if case .number(let v) = self { v } else { 0 } }
        var bytes: [UInt8] { if case .string(let s) = self { [UInt8](base64String: s) ?? Array(s.utf8) } else { [] } }
        var hashes: [[UInt8]] { if case .array(let list) = self { list.map { [UInt8](base64String: $0) ?? [] } } else { [] } }
        var bool: Bool { if case .bool(let v) = self { v } else { false } }
    }

    static func load(_ kind: String) -> [Vector] {
        guard let root = Bundle.module.url(forResource: "Vectors/rfc6962/\(kind)", withExtension: nil),
            let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        else { return [] }
        return files.compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }.map { url in
            let json = try! JSONDecoder().decode([String: JSONValue].self, from: Data(contentsOf: url))
            return Vector(path: url.pathComponents.suffix(2).joined(separator: "/"), json: json)
        }
    }

    static let inclusionVectors = load("inclusion")
    static let consistencyVectors = load("consistency")

    @Test("the vector sets are all there")
    func vectorsPresent() {
        #expect(Self.inclusionVectors.count >= 50)
        #expect(Self.consistencyVectors.count >= 90)
        #expect(Self.inclusionVectors.contains { !$0.json["wantErr"]!.bool })
        #expect(Self.consistencyVectors.contains { $0.json["wantErr"]!.bool })
    }

    @Test("inclusion vector", arguments: inclusionVectors)
    func inclusion(_ vector: Vector) {
        let j = vector.json
        let result = Result { () throws(LedgerError) in
            try MerkleProof.verifyInclusion(
                index: j["leafIdx"]!.number, treeSize: j["treeSize"]!.number, leafHash: j["leafHash"]!.bytes,
                proof: j["proof"]!.hashes, root: j["root"]!.bytes)
        }
        Self.expectAnswer(result, vector)
    }

    /// A `wantErr` vector must be rejected; any other must verify.
    static func expectAnswer(_ result: Result<Void, LedgerError>, _ vector: Vector) {
        if vector.json["wantErr"]!.bool {
            #expect(throws: LedgerError.self, "\(vector) must be rejected") { try result.get() }
        } else {
            #expect(throws: Never.self, "\(vector) must verify") { try result.get() }
        }
    }

    @Test("consistency vector", arguments: consistencyVectors)
    func consistency(_ vector: Vector) {
        let j = vector.json
        let result = Result { () throws(LedgerError) in
            try MerkleProof.verifyConsistency(
                size1: j["size1"]!.number, size2: j["size2"]!.number, proof: j["proof"]!.hashes,
                root1: j["root1"]!.bytes, root2: j["root2"]!.bytes)
        }
        Self.expectAnswer(result, vector)
    }

    @Test("the eight classic leaves give the published root")
    func classicRoot() {
        let leaves: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
            .map { [UInt8](hexString: $0)! }
        #expect(MerkleHash.root(ofLeaves: leaves.map { MerkleHash.leaf($0) }).base64 == "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")
        #expect(MerkleHash.leaf(leaves[0]).base64 == "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=")
    }
}
