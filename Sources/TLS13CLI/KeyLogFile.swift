import Glibc
import TLS13

/// `--keylog FILE` / `SSLKEYLOGFILE`: the library's key log lines (``TLSClientConfiguration/keyLog``) appended to a
/// file in the NSS key log format (RFC 9850), one line per secret, as each is derived.
final class KeyLogFile: Sendable {
    private let fd: Int32
    private let lock = Lock()

    /// A writer for `path` (else `$SSLKEYLOGFILE`), or `nil` when neither is given.
    /// - Throws: ``CLIFailure`` (usage) when the file cannot be opened.
    static func writer(path: String?) throws(CLIFailure) -> (@Sendable (String) -> Void)? {
        var target = path
        if target == nil, let env = getenv("SSLKEYLOGFILE"), env.pointee != 0 { target = String(cString: env) }
        guard let target else { return nil }
        let file = try KeyLogFile(path: target)
        return { line in file.append(line) }
    }

    private init(path: String) throws(CLIFailure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CLIFailure(.usage, "cannot open key log file \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
    }

    deinit { _ = close(fd) }

    func append(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        lock.withLock { _ = StandardStreams.write(bytes, to: fd) }
    }
}
