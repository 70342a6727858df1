import CivicLedger
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What is at a path the user named, found with `stat(2)` and read with
/// calls that throw: nothing here goes through a Foundation API
/// that traps on an I/O error (a deprecated `FileHandle` read of a folder
/// does).
package enum LocalFile {
    package enum Kind: Equatable {
        case missing
        case regular(size: Int64)
        case directory
        /// A socket, a device, a pipe.
        case other
    }

    /// What is at `path`.
    package static func kind(of path: String) -> Kind {
        var status = stat()
        guard stat(path, &status) == 0 else { return .missing }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .regular(size: Int64(status.st_size))
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// Throws unless `path` is a regular file: `what` names it in the
    /// message (for example "a ledger", "the key vault").
    package static func requireRegular(_ path: String, what: String) throws(LedgerError) {
        switch kind(of: path) {
        case .regular: return
        case .missing: throw LedgerError(.storeFailure, "cannot read \(path), \(what): no such file, or no permission")
        case .directory: throw LedgerError(.storeFailure, "\(path) is a folder, not \(what); nothing was written to it")
        case .other: throw LedgerError(.storeFailure, "\(path) is not a regular file, so not \(what); nothing was written to it")
        }
    }

    /// Up to `count` bytes from the start of the file at `path`.
    package static func prefix(_ path: String, count: Int) throws(LedgerError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw LedgerError(.storeFailure, "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw LedgerError(.storeFailure, "cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            filled += n
        }
        return Array(bytes[..<filled])
    }
}
