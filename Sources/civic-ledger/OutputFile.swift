import CivicLedgerSQLite
import Foundation

#if canImport(Glibc)
    import Glibc
    private let posixWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin
    private let posixWrite = Darwin.write
#endif

/// A file the tool writes for the user (`--out`, a tile, a report):
/// written under a new temporary name in the same folder, flushed, then
/// renamed over the target, so a reader sees the old file or the whole new
/// one and a run cut short leaves no half file under the target's name.
/// A target that is a folder or anything but a regular file is refused,
/// never removed or written into.
struct OutputFile {
    let path: String
    private let temporary: String
    private let fd: Int32
    /// Whether ``commit()`` flushes the file to disk before the rename.
    private let durable: Bool

    /// Starts writing `path` (mode `mode`); `durable: false` skips the
    /// flush, for files that are derived and written again when missing
    /// (tiles), where thousands of flushes would cost more than they save.
    init(_ path: String, mode: mode_t = 0o644, durable: Bool = true) throws {
        switch LocalFile.kind(of: path) {
        case .missing, .regular: break
        case .directory: throw CLIError.io("cannot write \(path): it is a folder; give a file name")
        case .other: throw CLIError.io("cannot write \(path): it is not a regular file")
        }
        let url = URL(fileURLWithPath: path)
        let name = "." + url.lastPathComponent + ".tmp-" + UUID().uuidString.prefix(8)
        temporary = url.deletingLastPathComponent().appendingPathComponent(name).path
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw CLIError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
        self.path = path
        self.durable = durable
        _ = fchmod(fd, mode)
    }

    /// Appends `bytes`.
    func write<Bytes: DataProtocol>(_ bytes: Bytes) throws {
        for region in bytes.regions {
            try region.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = posixWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else { throw CLIError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
                    offset += n
                }
            }
        }
    }

    /// Flushes the file and renames it over the target.
    func commit() throws {
        defer { close(fd) }
        guard !durable || fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIError.io("cannot write \(path): \(reason)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIError.io("cannot write \(path): \(reason)")
        }
    }

    /// Abandons the file: the target is left as it was.
    func discard() {
        close(fd)
        unlink(temporary)
    }

    /// Writes the file `path` with what `body` writes, all or nothing.
    static func write<T>(_ path: String, mode: mode_t = 0o644, _ body: (OutputFile) async throws -> T) async throws -> T {
        let file = try OutputFile(path, mode: mode)
        do {
            let result = try await body(file)
            try file.commit()
            return result
        } catch {
            file.discard()
            throw error
        }
    }

    /// Writes `bytes` to the file `path`, all or nothing.
    static func write<Bytes: DataProtocol>(_ path: String, contents bytes: Bytes, mode: mode_t = 0o644, durable: Bool = true) throws {
        let file = try OutputFile(path, mode: mode, durable: durable)
        do {
            try file.write(bytes)
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }
}
