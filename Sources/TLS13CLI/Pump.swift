import Glibc
import TLS13

/// Copies stdin to the connection (on a writer thread) and the connection to stdout (on the calling thread).
///
/// The library allows one reader and one writer at a time, which is exactly this shape. At the end of stdin the
/// writer sends close_notify; the reader goes on until the server closes. The reader's outcome decides the
/// result: the server's close_notify is success (even if stdin is still open: the process then exits without
/// waiting for it), a TCP end without close_notify is ``TLSError/truncated``.
final class Pump: Sendable {
    // `connection` is thread-safe for one reader and one writer.
    private let connection: TLSConnection
    private let writerError = Locked<TLSError?>(nil)

    init(connection: TLSConnection) {
        self.connection = connection
    }

    /// Runs until the server closes.
    /// - Throws: ``CLIFailure`` for a failure of either direction.
    func run() throws(CLIFailure) {
        Posix.detachThread { [self] in copyStdinToConnection() }  // stdin → server
        while true {
            let chunk: [UInt8]
            do {
                chunk = try connection.read()
            } catch {
                // A failed write shuts the connection, so the reader then sees `.closed`: report the cause.
                let cause = writerError.withLock { $0 }
                if case .closed = error, let cause { throw CLIFailure(cause) }
                throw CLIFailure(error)
            }
            if chunk.isEmpty {
                // close_notify: a clean end. Answer with ours before closing (RFC 8446 §6.1), even while stdin is
                // still open: the writer thread stops at its next write.
                connection.close()
                return
            }
            StandardStreams.writeStdout(chunk)
        }
    }

    private func copyStdinToConnection() {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        do throws(TLSError) {
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }  // end of stdin (or stdin unreadable, e.g. closed): stop writing
                try connection.write(Array(buffer[0..<n]))
            }
            try connection.closeWrite()
        } catch {
            writerError.withLock { $0 = error }
        }
    }
}
