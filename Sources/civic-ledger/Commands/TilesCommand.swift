import ArgumentParser
import CivicGovernance
import CivicLedger
import Foundation

struct TilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiles",
        abstract: "Write the log as static C2SP tlog-tiles files: hash tiles and the latest (cosigned) checkpoint; entry bundles only for a named audience.",
        discussion: """
            Any static web server can publish --out: the hash tiles and the checkpoint show no \
            entry, only its hash, and are what witnesses, receipt holders and consistency proofs \
            need (civic-ledger prove consistency DIR). Entry bundles show every entry whole, so \
            they are written only with --entries-for, which refuses a ledger whose entries the \
            audience may not see: a governance ledger's entries are internal (resident ids, notes, \
            enrolments), so --entries-for public refuses it, and no audience gets a personal field \
            written in the clear (docs/threat-model.md). Run \
            again after the log grew: full tiles already there are not rewritten, and the \
            checkpoint is replaced last. The folder must be new, empty, or one this command \
            wrote for the same log. An entry bundle holding an entry over 65,535 bytes is written \
            at civic-ledger/entries/ with 32-bit lengths instead (docs/format.md §5.3).
            """)

    @Argument(help: "The ledger (a SQLite file or a postgres:// URL) or an export file.")
    var source: String
    @Option(help: "The folder to write.")
    var out: String
    @Option(help: "Also write the entry bundles, for this audience: public or internal (operators and supervisors).")
    var entriesFor: Audience?

    enum Audience: String, ExpressibleByArgument, CaseIterable {
        case `public`, `internal`
        var visibility: FieldVisibility { self == .public ? .public : .internal }
    }

    func run() async throws {
        let store = try await LedgerSource.open(source).store
        let checkpoint = try await ProveCommand.checkpoint(store, size: nil)
        if let entriesFor { try await Self.check(store, size: checkpoint.checkpoint.size, for: entriesFor) }
        let folder = TileFolder(path: out)
        let previous = try folder.checkpointForWriting()
        let summary: TilePublisher.Summary
        do {
            summary = try await TilePublisher.publish(
                store: store, checkpoint: checkpoint, previous: previous, entryBundles: entriesFor != nil, to: folder)
        } catch let error as LedgerError where error.code == .invalidProof {
            throw CLIError.usage(error.message)
        }
        say(
            "\(out): \(summary.size) entries; wrote \(summary.tiles) tiles, "
                + (entriesFor.map { "\(summary.bundles) entry bundles for the \($0.rawValue) audience" } ?? "no entry bundles")
                + (summary.wideBundles > 0 ? " (\(summary.wideBundles) in the wide form)" : "")
                + (previous.map { ", after the \($0.checkpoint.size) already there" } ?? "") + ", and the checkpoint")
    }
}

extension TilesCommand {
    /// Refuses, before anything is written, a ledger with an entry the
    /// audience may not see whole (``GovernancePublication``).
    static func check(_ store: any EventStoreReader, size: UInt64, for audience: Audience) async throws {
        var refused = 0
        var firstAny: (position: UInt64, kind: String, because: String)?
        var firstPersonal: (position: UInt64, kind: String, because: String)?
        for try await page in StoredPages(store: store, from: 0, to: size) {
            for stored in page {
                let entry = try LedgerEntry(bytes: stored.bytes)
                let (visibility, because) = GovernancePublication.visibility(of: entry)
                guard visibility > audience.visibility else { continue }
                refused += 1
                let found = (entry.position, entry.kind, because ?? "")
                if firstAny == nil { firstAny = found }
                if visibility == .personal, firstPersonal == nil { firstPersonal = found }
            }
        }
        guard let first = firstPersonal ?? firstAny else { return }
        let wider = audience == .public && firstPersonal == nil ? "; name the audience they are for with --entries-for internal" : ""
        throw CLIError.refused(
            "\(refused) of \(size) entries may not be shown to the \(audience.rawValue) audience (the first, \(first.position), a \(first.kind): \(first.because)); nothing was written. Publish without --entries-for (hash tiles and the checkpoint)\(wider)"
        )
    }
}

/// A folder of C2SP tlog-tiles files: written atomically (a temporary
/// file beside, then renamed), read back for proofs.
struct TileFolder: TileSink {
    let path: String

    /// The tiles folder at `path`, if `path` is a folder.
    static func at(_ path: String) -> TileFolder? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        return TileFolder(path: path)
    }

    func file(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }

    /// The checkpoint the folder holds, when it is one this command
    /// wrote; `nil` for a missing or empty folder.
    ///
    /// - Throws: a usage error for a folder with other files, or a file
    ///   in the way.
    func checkpointForWriting() throws -> SignedCheckpoint? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { throw CLIError.usage("\(path) is a file, not a folder") }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if names.isEmpty { return nil }
        guard names.contains("checkpoint") else {
            throw CLIError.usage("\(path) holds files but no checkpoint: it is not a tiles folder this command wrote; give a new folder")
        }
        return try readCheckpoint()
    }

    func readCheckpoint() throws -> SignedCheckpoint {
        do {
            return try SignedCheckpoint(parsing: try readText(file("checkpoint"), what: "a checkpoint"))
        } catch let error as LedgerError {
            throw CLIError.usage("\(file("checkpoint")): \(error.message)")
        }
    }

    func write(_ bytes: [UInt8], at relative: String) async throws {
        let target = file(relative)
        let folder = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // As before: renamed into place whole, not flushed one by one.
            try OutputFile.write(target, contents: bytes, durable: false)
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError.io("cannot write \(target): \(error.localizedDescription)")
        }
    }

    func read(_ relative: String) throws -> [UInt8]? {
        FileManager.default.contents(atPath: file(relative)).map { [UInt8]($0) }
    }

    /// The tree of the folder's checkpoint, read from its tile files: a
    /// partial tile, or the full one when the log grew past it.
    func tree(size: UInt64) -> TiledTree {
        TiledTree(size: size) { tile in
            if let bytes = try read(tile.path) { return try TileLayout.decodeHashes(bytes, width: tile.width) }
            let full = TileLayout.Tile(level: tile.level, index: tile.index, width: Int(TileLayout.width))
            guard !tile.isFull, let bytes = try read(full.path) else {
                throw LedgerError(.invalidProof, "the folder has no \(tile.path)")
            }
            return Array(try TileLayout.decodeHashes(bytes, width: full.width).prefix(tile.width))
        }
    }

    /// Entry `index` of the tree of `size`, from its bundle.
    func entry(_ index: UInt64, size: UInt64) throws -> [UInt8] {
        let number = index / TileLayout.width
        let width = Int(min(TileLayout.width, size - number * TileLayout.width))
        for candidate in [width, Int(TileLayout.width)] {
            let tile = TileLayout.Tile(level: nil, index: number, width: candidate)
            for (path, wide) in [(tile.path, false), (TileLayout.wideBundlePath(tile), true)] {
                guard let bytes = try read(path) else { continue }
                let entries = try TileLayout.decodeBundle(bytes, width: candidate, wide: wide)
                return entries[Int(index % TileLayout.width)]
            }
        }
        throw LedgerError(
            .invalidProof,
            "the folder has no entry bundle for entry \(index) (tiles publishes them only with --entries-for); prove it from the ledger, or from a receipt")
    }
}
