import CivicLedger
import Foundation

#if canImport(Glibc)
    import Glibc
    private let posixWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let posixWrite = Darwin.write
#endif

/// Files a command creates together (a ledger and its keys, a key and its
/// public half), all or none.
///
/// Each is made under a temporary name beside its final path; ``commit()``
/// then links them into place, refusing any path that exists (nothing is
/// ever overwritten), the first path last. While it links, a marker file
/// `FIRST.incomplete` lists the paths: a run killed part way leaves the
/// marker, and the next run removes what that one placed (never the first
/// file, which is placed last) before it starts, so an interrupted
/// `init` or `keygen` never blocks a retry. A run that fails removes its
/// temporary files.
package struct FileSet {
    package let finals: [String]
    package private(set) var temporaries: [String: String] = [:]

    var marker: String { finals[0] + ".incomplete" }

    /// Plans to create `finals`; throws when any exists. Clears what an
    /// interrupted earlier run placed, as its marker lists.
    package init(_ finals: [String], note: (String) -> Void = { _ in }) throws(LedgerError) {
        precondition(!finals.isEmpty, "a file set names at least one file")
        self.finals = finals
        try clearInterrupted(note: note)
        for path in finals where FileManager.default.fileExists(atPath: path) {
            throw LedgerError(.storeFailure, "\(path) already exists; ledgers and keys are never overwritten")
        }
    }

    private func clearInterrupted(note: (String) -> Void) throws(LedgerError) {
        guard let listed = FileManager.default.contents(atPath: marker) else { return }
        let paths = String(decoding: listed, as: UTF8.self).split(separator: "\n").map(String.init).filter(finals.contains)
        // Every file placed: that run finished but for removing its marker.
        if paths.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) {
            unlink(marker)
            return
        }
        for path in paths where path != finals[0] {
            try? FileManager.default.removeItem(atPath: path)
        }
        guard unlink(marker) == 0 else {
            throw LedgerError(.storeFailure, "cannot remove \(marker): \(String(cString: strerror(errno)))")
        }
        note("removed what an interrupted earlier run left (\(paths.joined(separator: ", ")))")
    }

    /// The temporary path for `final`, in the same folder (so it links).
    package mutating func temporary(for final: String) -> String {
        if let existing = temporaries[final] { return existing }
        let url = URL(fileURLWithPath: final)
        let name = "." + url.lastPathComponent + ".tmp-" + UUID().uuidString.prefix(8)
        let path = url.deletingLastPathComponent().appendingPathComponent(name).path
        temporaries[final] = path
        return path
    }

    /// Writes `contents` to the temporary file for `final` with `mode`,
    /// whatever the umask, and flushes it to disk.
    package mutating func write(_ final: String, contents: Data, mode: mode_t) throws(LedgerError) {
        let path = temporary(for: final)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw LedgerError(.storeFailure, "cannot create \(final): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fchmod(fd, mode) == 0 else { throw LedgerError(.storeFailure, "cannot set the mode of \(final): \(String(cString: strerror(errno)))") }
        let written = contents.withUnsafeBytes { posixWrite(fd, $0.baseAddress, $0.count) }
        guard written == contents.count, fsync(fd) == 0 else {
            throw LedgerError(.storeFailure, "cannot write \(final): \(String(cString: strerror(errno)))")
        }
    }

    /// Links every temporary file into place, then removes the marker.
    package func commit() throws(LedgerError) {
        // A database must be whole in its file: a log beside it would be left behind.
        for (final, temporary) in temporaries {
            let log = (try? FileManager.default.attributesOfItem(atPath: temporary + "-wal")[.size] as? NSNumber)?.intValue ?? 0
            guard log == 0 else { throw LedgerError(.storeFailure, "cannot create \(final): its database still has a write-ahead log") }
        }
        let markerText = Data((finals.joined(separator: "\n") + "\n").utf8)
        let fd = open(marker, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw LedgerError(.storeFailure, "cannot create \(marker): \(String(cString: strerror(errno)))") }
        _ = markerText.withUnsafeBytes { posixWrite(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        var placed: [String] = []
        // The first file (the ledger, the secret key) last: a set cut short
        // has no ledger, so nothing was used before a retry clears it.
        for final in finals.reversed() {
            guard let temporary = temporaries[final] else { continue }
            guard link(temporary, final) == 0 else {
                let reason = errno == EEXIST ? "it appeared meanwhile; nothing is overwritten" : String(cString: strerror(errno))
                for path in placed { unlink(path) }
                unlink(marker)
                throw LedgerError(.storeFailure, "cannot create \(final): \(reason)")
            }
            placed.append(final)
            unlink(temporary)
            unlink(temporary + "-wal")
            unlink(temporary + "-shm")
        }
        syncFolder(of: finals[0])
        unlink(marker)
        syncFolder(of: finals[0])
    }

    /// Removes the temporary files (after a failure).
    package func discard() {
        for path in temporaries.values {
            unlink(path)
            unlink(path + "-wal")
            unlink(path + "-shm")
        }
    }

    private func syncFolder(of path: String) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = open(folder, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Creates the files with `body`, which writes each one's temporary
    /// file, then places them all; on any failure removes the temporary
    /// files and places nothing.
    package static func create<T>(
        _ finals: [String], note: (String) -> Void = { _ in }, _ body: (inout FileSet) async throws -> T
    ) async throws -> T {
        var set = try FileSet(finals, note: note)
        do {
            let result = try await body(&set)
            try set.commit()
            return result
        } catch {
            set.discard()
            throw error
        }
    }
}
