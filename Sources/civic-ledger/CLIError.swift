import ArgumentParser
import CivicLedger

/// An error the tool reports and exits on: what went wrong, where, and
/// the exit code (1 when the ledger refused or verification failed, 2 for
/// usage and I/O).
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32

    static func usage(_ message: String) -> CLIError { CLIError(message: message, exitCode: 2) }
    static func io(_ message: String) -> CLIError { CLIError(message: message, exitCode: 2) }
    /// Verification failed: exit 1.
    static func refused(_ message: String) -> CLIError { CLIError(message: message, exitCode: 1) }

    var description: String { message }

    /// Maps any error to the message and exit code the tool prints.
    static func classify(_ error: any Error) -> CLIError {
        switch error {
        case let error as CLIError:
            return error
        case let error as LedgerError:
            let message = error.description + (error.remedy.map { "; " + advice($0) } ?? "")
            switch error.code {
            case .storeFailure, .notInitialised, .alreadyInitialised, .signingFailed, .malformed, .invalidField:
                return CLIError(message: message, exitCode: 2)
            default:
                return CLIError(message: message, exitCode: 1)
            }
        default:
            return CLIError(message: "\(error)", exitCode: 2)
        }
    }

    /// A ledger error's remedy, in the tool's commands.
    static func advice(_ remedy: LedgerError.Remedy) -> String {
        switch remedy {
        case .verify: "run civic-ledger verify"
        case .repair: "run civic-ledger repair"
        case .verifyThenRepair: "run civic-ledger verify, then repair"
        }
    }
}
