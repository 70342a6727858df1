import Foundation

/// A ledger as one file of JSON lines: every entry with its exact stored
/// bytes and a decoded view, every checkpoint, every projection snapshot,
/// and the store's head (docs/format.md §11).
///
/// An auditor can work from an export alone: ``ExportedLedgerStore`` reads
/// one back as an ``EventStoreReader`` (it has nothing to commit), and an ``Auditor`` over it checks
/// exactly what it would check over the original store. The views are for
/// people; verifiers use the bytes.
///
/// ```swift
/// try await LedgerExport.write(store: store) { line in handle.write(line) }
/// ```
public enum LedgerExport {
    /// The format name in the header line.
    public static let format = "civic-ledger-export/1"

    /// What an export wrote.
    public struct Summary: Hashable, Sendable {
        /// Entries written.
        public var entries: UInt64
        /// Checkpoints written.
        public var checkpoints: Int
        /// Snapshots written.
        public var snapshots: Int
    }

    /// Writes `store` as JSON lines, each passed to `write` with its final
    /// newline.
    ///
    /// - Parameters:
    ///   - store: the ledger to export.
    ///   - snapshotNames: the projection snapshots to include, by name.
    ///   - payloadView: the JSON form of an entry's payload, or `nil` to show
    ///     the payload as JSON when it is JSON and as base64 otherwise.
    ///   - progress: called after each page with the entries written and the
    ///     head's size.
    ///   - write: receives each line.
    public static func write(
        store: any EventStoreReader, snapshotNames: [String] = [], payloadView: (@Sendable (LedgerEntry) -> StrictJSON.Value?)? = nil,
        progress: (@Sendable (UInt64, UInt64) -> Void)? = nil, to write: (String) throws -> Void
    ) async throws -> Summary {
        guard let head = try await store.head() else {
            throw LedgerError(.notInitialised, "the store holds no ledger")
        }
        var origin: String?
        if let first = try await store.entries(from: 0, limit: 1).first, let genesis = try? LedgerEntry(bytes: first.bytes) {
            origin = genesis.content.origin
        }
        try write(line(["type": "header", "format": format, "origin": origin ?? NSNull(), "entries": head.size]))
        var summary = Summary(entries: 0, checkpoints: 0, snapshots: 0)
        for try await page in StoredPages(store: store) {
            for stored in page {
                var object: [String: Any] = [
                    "type": "entry", "position": stored.position, "bytes": stored.bytes.base64String,
                    "leafHash": MerkleHash.leaf(stored.bytes).base64,
                ]
                if let entry = try? LedgerEntry(bytes: stored.bytes) {
                    object["view"] = viewObject(of: entry, payload: payloadView?(entry))
                } else {
                    object["view"] = NSNull()
                }
                try write(line(object))
            }
            summary.entries += UInt64(page.count)
            progress?(summary.entries, head.size)
        }
        var from: UInt64 = 0
        while true {
            let page = try await store.checkpoints(fromSize: from, limit: 1000)
            for checkpoint in page {
                try write(line(["type": "checkpoint", "size": checkpoint.size, "note": checkpoint.note]))
            }
            summary.checkpoints += page.count
            guard let last = page.last, page.count == 1000 else { break }
            from = last.size + 1
        }
        for name in snapshotNames {
            guard let snapshot = try await store.snapshot(named: name) else { continue }
            try write(
                line([
                    "type": "snapshot", "name": snapshot.name, "position": snapshot.position, "digest": snapshot.digest.base64,
                    "data": snapshot.data.base64String,
                ]))
            summary.snapshots += 1
        }
        try write(line(["type": "head", "size": head.size, "state": head.state.base64String]))
        try write(line(["type": "end", "entries": summary.entries, "checkpoints": summary.checkpoints, "snapshots": summary.snapshots]))
        return summary
    }

    /// A decoded view of an entry as one line of JSON with sorted keys
    /// (docs/format.md §11, the `view` of an export's entry line): every
    /// field of the entry and its event, the payload as `payload` (the JSON
    /// form given, or the payload itself when it is JSON) and as
    /// `payloadBase64` otherwise.
    public static func view(of entry: LedgerEntry, payload: StrictJSON.Value? = nil) -> String {
        (try? line(viewObject(of: entry, payload: payload)).dropLast().description) ?? "{}"
    }

    /// ``view(of:payload:)`` as Foundation objects, for the writers here.
    static func viewObject(of entry: LedgerEntry, payload: StrictJSON.Value? = nil) -> [String: Any] {
        let content = entry.content
        var object: [String: Any] = [
            "position": entry.position,
            "recordedAt": entry.recordedAt.description,
            "streamVersion": entry.streamVersion,
            "origin": content.origin,
            "stream": content.stream,
            "place": content.place.path,
            "kind": content.kind,
            "schemaVersion": content.schemaVersion,
            "expectedVersion": "any",
            "actorKey": content.actorKey.base64,
            "clientTime": content.clientTime.description,
            "idempotencyKey": content.idempotencyKey,
            "signature": entry.signature.base64,
            "leafHash": entry.leafHash.base64,
        ]
        if case .exactly(let version) = content.expectedVersion { object["expectedVersion"] = version }
        if let payload {
            object["payload"] = payload.foundationObject
        } else if let json = try? StrictJSON.parse(content.payload, what: "payload") {
            // Read by the one strict reader the ledger uses, so a payload
            // with a duplicate member is shown as bytes, not as one reading.
            object["payload"] = json.value.foundationObject
        } else {
            object["payloadBase64"] = content.payload.base64String
        }
        return object
    }

    /// One JSON line with sorted keys.
    static func line(_ object: [String: Any]) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// A ledger export read back as an ``EventStoreReader``, so that an
/// ``Auditor`` or a prover can work from the export alone.
///
/// Reading checks only the file's syntax (every line a JSON object of a
/// known type with well-formed fields, a header first and an end line
/// last); what the entries, checkpoints and head say is left for the
/// auditor to check. Everything is held in memory.
public final class ExportedLedgerStore: EventStoreReader {
    let stored: [StoredEntry]
    let storedHead: StoreHead?
    let storedCheckpoints: [StoredCheckpoint]
    let snapshots: [String: ProjectionSnapshot]
    /// What the header says the origin is (not checked against the entries).
    public let declaredOrigin: String?

    /// Reads an export.
    ///
    /// - Throws: ``LedgerError`` `.malformed` naming the line and what is
    ///   wrong with it.
    public init(jsonLines data: Data) throws {
        var entries: [StoredEntry] = []
        var checkpoints: [StoredCheckpoint] = []
        var snapshots: [String: ProjectionSnapshot] = [:]
        var head: StoreHead?
        var origin: String?
        var ended = false
        var number = 0
        for slice in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            if slice.isEmpty {
                guard number > 1 else { throw LedgerError(.malformed, "export line 1: expected the header") }
                continue
            }
            guard !ended else { throw LedgerError(.malformed, "export line \(number): nothing may follow the end line") }
            let line = ExportLine(number: number, object: try Self.object(Data(slice), line: number))
            let type = try line.string("type")
            if number == 1 {
                guard type == "header", try line.string("format") == LedgerExport.format else {
                    throw LedgerError(.malformed, "export line 1: not a \(LedgerExport.format) header")
                }
                origin = line.object["origin"] as? String
                continue
            }
            switch type {
            case "entry":
                entries.append(StoredEntry(position: try line.integer("position"), bytes: try line.base64("bytes")))
            case "checkpoint":
                checkpoints.append(StoredCheckpoint(size: try line.integer("size"), note: try line.string("note")))
            case "snapshot":
                let name = try line.string("name")
                guard let digest = Digest(base64: try line.string("digest")) else {
                    throw LedgerError(.malformed, "export line \(number): \"digest\" is not a base64 SHA-256 digest")
                }
                snapshots[name] = ProjectionSnapshot(
                    name: name, position: try line.integer("position"), digest: digest, data: try line.base64("data"))
            case "head":
                head = StoreHead(size: try line.integer("size"), state: try line.base64("state"))
            case "end":
                ended = true
                guard try line.integer("entries") == UInt64(entries.count), try line.integer("checkpoints") == UInt64(checkpoints.count)
                else {
                    throw LedgerError(
                        .malformed, "export line \(number): the end line counts other entries or checkpoints than the file holds")
                }
            case "header":
                throw LedgerError(.malformed, "export line \(number): a second header")
            default:
                throw LedgerError(.malformed, "export line \(number): unknown line type \"\(type)\"")
            }
        }
        guard number > 0, !data.isEmpty else { throw LedgerError(.malformed, "the export is empty") }
        guard ended else { throw LedgerError(.malformed, "the export ends at line \(number) without its end line: it is truncated") }
        // Read in position order, as a database would return them.
        self.stored = entries.enumerated().sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }.map(\.element)
        self.storedHead = head
        self.storedCheckpoints = checkpoints.sorted { $0.size < $1.size }
        self.snapshots = snapshots
        self.declaredOrigin = origin
    }

    static func object(_ data: Data, line: Int) throws(LedgerError) -> [String: Any] {
        let node = try StrictJSON.parse(data, what: "export line \(line)")
        guard let object = node.value.foundationObject as? [String: Any] else {
            throw LedgerError(.malformed, "export line \(line): not a JSON object")
        }
        return object
    }

    public func head() async throws -> StoreHead? { storedHead }


    public func entries(from position: UInt64, limit: Int) async throws -> [StoredEntry] {
        guard limit > 0 else { return [] }
        var low = 0
        var high = stored.count
        while low < high {
            let middle = (low + high) / 2
            if stored[middle].position < position { low = middle + 1 } else { high = middle }
        }
        return Array(stored[low..<min(stored.count, low + limit)])
    }

    public func entries(inStream stream: String, fromVersion: UInt64, limit: Int) async throws -> [StoredEntry] {
        let matching = stored.filter { stored in
            guard let entry = try? LedgerEntry(bytes: stored.bytes) else { return false }
            return entry.stream == stream && entry.streamVersion >= fromVersion
        }
        return Array(matching.prefix(max(0, limit)))
    }

    public func streamHeads(_ streams: [String]) async throws -> [String: StreamHead] {
        var heads: [String: StreamHead] = [:]
        let wanted = Set(streams)
        for stored in stored {
            guard let entry = try? LedgerEntry(bytes: stored.bytes), wanted.contains(entry.stream) else { continue }
            heads[entry.stream] = StreamHead(version: entry.streamVersion, place: heads[entry.stream]?.place ?? entry.place)
        }
        return heads
    }

    public func positions(for references: [IdempotencyReference]) async throws -> [IdempotencyReference: UInt64] {
        let wanted = Set(references)
        var found: [IdempotencyReference: UInt64] = [:]
        for stored in stored {
            guard let entry = try? LedgerEntry(bytes: stored.bytes), wanted.contains(entry.idempotencyReference) else { continue }
            found[entry.idempotencyReference] = found[entry.idempotencyReference] ?? entry.position
        }
        return found
    }


    public func checkpoints(fromSize: UInt64, limit: Int) async throws -> [StoredCheckpoint] {
        Array(storedCheckpoints.filter { $0.size >= fromSize }.prefix(max(0, limit)))
    }

    public func latestCheckpoint() async throws -> StoredCheckpoint? { storedCheckpoints.last }



    public func snapshot(named name: String) async throws -> ProjectionSnapshot? { snapshots[name] }

    /// An export keeps no index of its own: its lookups read the entry
    /// bytes, so its rows are the ones the bytes call for.
    public func indexRows(from position: UInt64, limit: Int) async throws -> [StoredIndexRow] {
        try await entries(from: position, limit: limit).compactMap { stored in
            (try? LedgerEntry(bytes: stored.bytes)).map { entry in
                var row = StoredIndexRow(entry)
                row.position = stored.position
                return row
            }
        }
    }


}

/// One parsed line of an export, with field readers that name the line.
struct ExportLine {
    let number: Int
    let object: [String: Any]

    func string(_ key: String) throws(LedgerError) -> String {
        guard let value = object[key] as? String else {
            throw LedgerError(.malformed, "export line \(number): \"\(key)\" is missing or not a string")
        }
        return value
    }

    func integer(_ key: String) throws(LedgerError) -> UInt64 {
        guard let number = object[key] as? NSNumber, let value = UInt64(number.stringValue) else {
            throw LedgerError(.malformed, "export line \(self.number): \"\(key)\" is missing or not a whole number")
        }
        return value
    }

    func base64(_ key: String) throws(LedgerError) -> [UInt8] {
        guard let bytes = [UInt8](base64String: try string(key)) else {
            throw LedgerError(.malformed, "export line \(number): \"\(key)\" is not base64")
        }
        return bytes
    }
}
