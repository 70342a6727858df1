import CivicLedger
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The append lock of a SQLite ledger: `flock` on the file `PATH-append.lock`
/// beside the database (the ledger's own, empty, mode 0600), so that
/// processes and store instances on one file take turns to append.
///
/// It is advisory and separate from SQLite's own locks on the database
/// (which must never be touched by another descriptor of the file). A
/// process that dies holding it releases it.
final class SQLiteAppendLock: AppendLock {
    let descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    func unlock() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Takes the lock on `path`, waiting up to `timeout` seconds, off the
    /// caller's thread (a blocked task would hold a thread of the
    /// cooperative pool).
    static func acquire(_ path: String, timeout: TimeInterval) async throws -> SQLiteAppendLock {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                // A new descriptor each time: flock excludes other open
                // descriptions, even in this process.
                let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else {
                    continuation.resume(
                        throwing: LedgerError(.storeFailure, "cannot open the append lock \(path): \(String(cString: strerror(errno)))"))
                    return
                }
                let deadline = Date().addingTimeInterval(timeout)
                var pause: useconds_t = 50
                while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                    guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                        let reason = errno == EWOULDBLOCK ? "another writer held it for \(Int(timeout)) s" : String(cString: strerror(errno))
                        close(descriptor)
                        continuation.resume(throwing: LedgerError(.storeConflict, "cannot take the append lock \(path): \(reason)"))
                        return
                    }
                    usleep(pause)
                    pause = min(pause * 2, 2_000)
                }
                continuation.resume(returning: SQLiteAppendLock(descriptor: descriptor))
            }
        }
    }
}
