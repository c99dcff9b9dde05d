import Foundation
import Logging

/// What an operator must look into at start (a key file, the audit log): said as plain text on standard error,
/// where it is seen even without the log, and logged as critical. The service keeps running.
enum StartupProblems {
    static func announce(_ problems: [some CustomStringConvertible], heading: String, logger: Logger) {
        for problem in problems {
            FileHandle.standardError.write(Data("switchboard: \(heading): \(problem)\n".utf8))
            logger.critical("\(heading.lowercased())", metadata: ["problem": "\(problem)"])
        }
    }
}
