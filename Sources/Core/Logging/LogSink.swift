import Foundation

/// Where log lines go: a file descriptor, written in batches.
///
/// One `write(2)` per request line was a tenth of `GET /api/config`'s throughput (bench/README.md), so
/// lines collect in memory and are written together: every 100 ms, whenever 64 KiB are waiting, at once
/// for warnings and errors, and on `flush()` (at shutdown). A process killed with SIGKILL loses at most
/// the last 100 ms of info lines; nginx's access log records those requests independently.
public final class LogSink: Sendable {
    public let fileDescriptor: Int32
    let batched: Bool
    private let pending = Locked<[UInt8]>([])
    /// Held while writing, so batches reach the file in the order their lines were made.
    private let writing = Locked<Void>(())
    static let threshold = 64 * 1024

    /// Lines written as they come (tools, tests).
    public static let standardErrorUnbuffered = LogSink(fileDescriptor: 2, batched: false)

    public init(fileDescriptor: Int32 = 2, batched: Bool = true, interval: Duration = .milliseconds(100)) {
        self.fileDescriptor = fileDescriptor
        self.batched = batched
        guard batched else { return }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        Thread.detachNewThread { [weak self] in
            while true {
                Thread.sleep(forTimeInterval: seconds)
                guard let sink = self else { return }
                sink.flush()
            }
        }
    }

    package func append(_ line: [UInt8], urgent: Bool) {
        guard batched else { FileDescriptor.writeAll(fileDescriptor, line); return }
        let full = pending.withLock { buffer -> Bool in
            buffer.append(contentsOf: line)
            return buffer.count >= Self.threshold
        }
        if urgent || full { flush() }
    }

    /// Writes everything waiting.
    public func flush() {
        writing.withLock { _ in
            let batch = pending.withLock { buffer -> [UInt8] in
                defer { buffer.removeAll(keepingCapacity: true) }
                return buffer
            }
            if !batch.isEmpty { FileDescriptor.writeAll(fileDescriptor, batch) }
        }
    }
}
