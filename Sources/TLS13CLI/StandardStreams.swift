import Glibc

/// Unbuffered writes to the standard streams (stdout carries binary data, so no `print`).
enum StandardStreams {
    /// Writes all of `bytes` to `fd`, retrying on EINTR and partial writes.
    /// - Returns: false if the descriptor refused (e.g. EPIPE: the reader went away).
    @discardableResult
    static func write(_ bytes: [UInt8], to fd: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, base + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// Writes `bytes` to stdout; if stdout refuses them, says so and exits with status 1. (A reader that went
    /// away raises SIGPIPE, which ends the process the usual way before that.)
    static func writeStdout(_ bytes: [UInt8]) {
        if !write(bytes, to: STDOUT_FILENO) {
            let reason = String(cString: strerror(errno))
            printError("tls13: cannot write to stdout: \(reason)")
            exit(ExitStatus.tlsFailure.rawValue)
        }
    }

    /// Writes `bytes` to a new (or truncated) file at `path`, mode 0600 by default — a trace or capture may hold
    /// secrets.
    /// - Returns: false if the file could not be opened or written (`errno` says why).
    static func writeFile(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { return false }
        let ok = write(bytes, to: fd)
        return close(fd) == 0 && ok
    }

    /// The whole file at `path`, or nil (`errno` set; `EFBIG` when it holds more than `limit` bytes).
    static func readFile(_ path: String, limit: Int = 1 << 26) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { return result }
            guard result.count + n <= limit else {
                errno = EFBIG
                return nil
            }
            result += buffer[0..<n]
        }
    }

    /// Writes a text line (a newline is added) to stderr.
    static func printError(_ line: String) {
        write(Array((line + "\n").utf8), to: STDERR_FILENO)
    }
}
