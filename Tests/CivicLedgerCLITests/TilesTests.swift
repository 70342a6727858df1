import CivicLedger
import Foundation
import Testing

@Suite("civic-ledger tiles: the log as static C2SP tlog-tiles files")
struct TilesTests {
    static func appendEvents(_ cli: CLI, key: String, count: Int, from start: Int) throws {
        let lines = (start..<start + count).map {
            #"{"kind":"case.report","stream":"case/t\#($0)","place":"zhuji/dongsheng","payload":{"category":"x"}}"#
        }.joined(separator: "\n") + "\n"
        let result = try cli.run(["append", "l.sqlite", "--key", key, "--lines"], stdin: lines)
        try #require(result.status == 0, "\(result.stderr)")
        try #require(cli.run(["checkpoint", "l.sqlite"]).status == 0)
    }

    static func files(under folder: String) -> Set<String> {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var found: Set<String> = []
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(name), isDirectory: &isDirectory), !isDirectory.boolValue {
                found.insert(name)
            }
        }
        return found
    }

    static func inode(_ path: String) throws -> Int {
        try #require((try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? NSNumber)?.intValue)
    }

    @Test("the files follow the spec (full and partial tiles, bundles); a rerun writes only what is new; inclusion and consistency proofs from the files alone verify")
    func tiles() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        try Self.appendEvents(cli, key: key, count: 300, from: 0)
        let first = try cli.run(["tiles", "l.sqlite", "--out", "pub", "--entries-for", "internal"])
        try #require(first.status == 0, "\(first.stderr)")
        let old = try SignedCheckpoint(parsing: try String(contentsOfFile: cli.path("pub/checkpoint"), encoding: .utf8))
        try FileManager.default.copyItem(atPath: cli.path("pub/checkpoint"), toPath: cli.path("old.checkpoint"))
        let oldSize = old.checkpoint.size
        #expect(oldSize > 300)

        // Exactly the tiles and bundles of a tree of that size, each of the
        // spec's length, the level-0 hashes those of the bundled entries.
        let expected = Set(TileLayout.tiles(forSize: oldSize).map(\.path) + ["checkpoint"])
        #expect(Self.files(under: cli.path("pub")) == expected)
        for tile in TileLayout.tiles(forSize: oldSize) where tile.level != nil {
            let bytes = try #require(FileManager.default.contents(atPath: cli.path("pub/" + tile.path)))
            #expect(bytes.count == 32 * tile.width, "\(tile.path)")
        }
        let bundle = try TileLayout.decodeBundle(
            [UInt8](try #require(FileManager.default.contents(atPath: cli.path("pub/tile/entries/001.p/\(oldSize - 256)")))),
            width: Int(oldSize - 256), wide: false)
        let hashes = try TileLayout.decodeHashes(
            [UInt8](try #require(FileManager.default.contents(atPath: cli.path("pub/tile/0/001.p/\(oldSize - 256)")))),
            width: Int(oldSize - 256))
        #expect(bundle.map(MerkleHash.leaf) == hashes)
        let fullTile = try Self.inode(cli.path("pub/tile/0/000"))

        // The log grows; the rerun keeps the full tile, adds the rest.
        try Self.appendEvents(cli, key: key, count: 250, from: 300)
        let second = try cli.run(["tiles", "l.sqlite", "--out", "pub", "--entries-for", "internal"])
        #expect(second.status == 0 && second.stdout.contains("after the \(oldSize) already there"), "\(second.stdout)\(second.stderr)")
        #expect(try Self.inode(cli.path("pub/tile/0/000")) == fullTile, "a full tile was rewritten")
        let new = try SignedCheckpoint(parsing: try String(contentsOfFile: cli.path("pub/checkpoint"), encoding: .utf8))
        let newSize = new.checkpoint.size
        #expect(Self.files(under: cli.path("pub")).isSuperset(of: TileLayout.tiles(forSize: newSize).map(\.path)))

        // Proofs from the files alone (the ledger is not read).
        let ledgerFile = cli.path("l.sqlite")
        try FileManager.default.moveItem(atPath: ledgerFile, toPath: ledgerFile + ".away")
        let inclusion = try cli.run(["prove", "inclusion", "pub", "--index", "450", "--out", "inclusion.proof"])
        #expect(inclusion.status == 0, "\(inclusion.stderr)")
        let checked = try cli.run(["verify-proof", "inclusion.proof", "--checkpoint", "pub/checkpoint"])
        #expect(checked.status == 0 && checked.stdout.contains("entry 450 is in the log"), "\(checked.stdout)\(checked.stderr)")
        let consistency = try cli.run([
            "prove", "consistency", "pub", "--old", String(oldSize), "--old-checkpoint", "old.checkpoint", "--out", "consistency.proof",
        ])
        #expect(consistency.status == 0, "\(consistency.stderr)")
        let logKey = NoteKey(name: new.checkpoint.origin, publicKey: try #require(PublicKey(base64: String(
            try String(contentsOfFile: ledgerFile + ".log.key.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))))
        let grown = try cli.run(["verify-proof", "consistency.proof", "--log-key", logKey.verifierKey, "--checkpoint", "old.checkpoint"])
        #expect(grown.status == 0 && grown.stdout.contains("extends the one of \(oldSize)"), "\(grown.stdout)\(grown.stderr)")
        // The same, computed here from the tile files with the library.
        let folder = cli.path("pub") + "/"
        let tree = TiledTree(size: newSize) { tile in
            let bytes = FileManager.default.contents(atPath: folder + tile.path)
                ?? FileManager.default.contents(atPath: folder + TileLayout.Tile(level: tile.level, index: tile.index, width: 256).path)
            guard let bytes else { throw LedgerError(.invalidProof, "no \(tile.path)") }
            return Array(try TileLayout.decodeHashes([UInt8](bytes), width: bytes.count / 32).prefix(tile.width))
        }
        #expect(try tree.root() == new.checkpoint.root)
        try MerkleProof.verifyConsistency(
            size1: oldSize, size2: newSize, proof: try tree.consistencyProof(from: oldSize), root1: old.checkpoint.root,
            root2: new.checkpoint.root)

        // A tile changed on the server: the proof is refused (exit 1).
        // (Entry 450's proof reads tile 0/001 for its neighbours, and the
        // level-1 tile for the root of tile 0/000.)
        for path in ["pub/tile/0/001", "pub/tile/1/000.p/2"] {
            let original = try #require(FileManager.default.contents(atPath: cli.path(path)))
            var tampered = [UInt8](original)
            tampered[5] ^= 1
            try Data(tampered).write(to: URL(fileURLWithPath: cli.path(path)))
            let refused = try cli.run(["prove", "inclusion", "pub", "--index", "450"])
            #expect(refused.status == 1 && refused.stderr.contains("do not prove entry 450"), "\(path): \(refused.stderr)")
            try original.write(to: URL(fileURLWithPath: cli.path(path)))
        }
        #expect(try cli.run(["prove", "inclusion", "pub", "--index", "450"]).status == 0)
        try FileManager.default.moveItem(atPath: ledgerFile + ".away", toPath: ledgerFile)
    }

    @Test("by default tiles writes hash tiles and the checkpoint only; entries for the public are refused, naming why, with nothing written")
    func publicationTiers() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        try Self.appendEvents(cli, key: key, count: 20, from: 0)
        let plain = try cli.run(["tiles", "l.sqlite", "--out", "pub"])
        #expect(plain.status == 0 && plain.stdout.contains("no entry bundles"), "\(plain.stdout)\(plain.stderr)")
        let size = try SignedCheckpoint(parsing: try String(contentsOfFile: cli.path("pub/checkpoint"), encoding: .utf8)).checkpoint.size
        #expect(Self.files(under: cli.path("pub")) == Set(TileLayout.tiles(forSize: size).filter { $0.level != nil }.map(\.path) + ["checkpoint"]))
        // A consistency proof needs the hashes alone; an inclusion proof carries the entry, which is not there.
        let inclusion = try cli.run(["prove", "inclusion", "pub", "--index", "3"])
        #expect(inclusion.status == 1 && inclusion.stderr.contains("publishes them only with --entries-for"), "\(inclusion.stderr)")

        let refused = try cli.run(["tiles", "l.sqlite", "--out", "public", "--entries-for", "public"])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("may not be shown to the public audience") && refused.stderr.contains("--entries-for internal"), "\(refused.stderr)")
        #expect(refused.stderr.contains("it enrols actors by id"), "the genesis is named first: \(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.path("public")), "nothing was written")
        let bad = try cli.run(["tiles", "l.sqlite", "--out", "public", "--entries-for", "everyone"])
        #expect(bad.status == 2 && bad.stderr.contains("entries-for"), "\(bad.stderr)")
    }

    @Test("tiles refuses a folder that is not its own or holds another history, and writes nothing there")
    func refusals() throws {
        let cli = try CLI()
        let key = try cli.ledgerWithWorker()
        try Self.appendEvents(cli, key: key, count: 10, from: 0)
        try FileManager.default.createDirectory(atPath: cli.path("other"), withIntermediateDirectories: true)
        try "mine".write(toFile: cli.path("other/notes.txt"), atomically: true, encoding: .utf8)
        let foreign = try cli.run(["tiles", "l.sqlite", "--out", "other"])
        #expect(foreign.status == 2 && foreign.stderr.contains("not a tiles folder"))
        #expect(Self.files(under: cli.path("other")) == ["notes.txt"])

        // Another ledger's tiles in the folder: refused.
        try FileManager.default.createDirectory(atPath: cli.path("second"), withIntermediateDirectories: true)
        let other = try CLI()
        _ = try other.ledgerWithWorker()
        try #require(other.run(["tiles", "l.sqlite", "--out", cli.path("second")]).status == 0)
        let before = Self.files(under: cli.path("second"))
        let mixed = try cli.run(["tiles", "l.sqlite", "--out", "second"])
        #expect(mixed.status == 2 && mixed.stderr.contains("another history"), "\(mixed.stderr)")
        #expect(Self.files(under: cli.path("second")) == before)
    }
}
