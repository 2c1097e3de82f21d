import Glibc
import TLS13

/// The few file, environment, clock and thread helpers the CLI needs, straight from libc: `tls13` loads no
/// Foundation (Docs/Benchmarks.md, "First contact"; `CLIDependencyTests` checks the built binary).
enum Posix {
    /// The environment variable `name`, or `nil`.
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// Whether something exists at `path` (following symbolic links).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Whether `path` is a directory (following symbolic links).
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Whether `path` is a regular file this process may execute.
    static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && access(path, X_OK) == 0
    }

    /// `name` in a folder of `$PATH`, then in `extra`, or `nil`.
    static func executable(named name: String, alsoIn extra: [String] = ["/usr/bin", "/usr/local/bin"]) -> String? {
        let path = environment("PATH") ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":").map(String.init) + extra {
            let candidate = "\(dir)/\(name)"
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    /// The current directory, or `.`.
    static func currentDirectory() -> String {
        guard let cwd = getcwd(nil, 0) else { return "." }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    /// The target of the symbolic link `path`, or `nil`.
    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBufferPointer { raw in raw.baseAddress.map { readlink(path, $0, raw.count) } ?? -1 }
        guard n > 0, n < buffer.count else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The names in the folder `path` (without `.` and `..`), or `nil`.
    static func directoryEntries(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The folder part of `path`: `a/b` for `a/b/c`, `/` for `/c`, `.` for `c` (trailing slashes ignored).
    static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        let folder = trimmed[..<slash]
        return folder.isEmpty ? "/" : String(folder)
    }

    /// `path` made absolute (against the current directory) with `.`, `..` and repeated slashes resolved in the
    /// text (symbolic links are not followed).
    static func normalized(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : currentDirectory() + "/" + path
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Seconds on the monotonic clock (for elapsed times).
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Milliseconds since the Unix epoch on the wall clock.
    static func wallClockMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// `seconds` since the epoch as `2126-11-02T03:05:41Z` (UTC).
    static func isoDate(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return String(seconds) }
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var year = String(parts.tm_year + 1900)
        while year.count < 4 { year = "0" + year }
        return "\(year)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min))"
            + ":\(two(parts.tm_sec))Z"
    }

    /// The text of `strerror(code)`.
    static func errorText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    /// Runs `body` on a new detached thread (a plain pthread: the CLI's blocking I/O stays off the Swift
    /// concurrency pool).
    static func detachThread(_ body: @escaping @Sendable () -> Void) {
        final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
            return nil
        }, context)
        if rc == 0 {
            pthread_detach(thread)
        } else {
            // No thread: run inline rather than not at all (only under resource exhaustion).
            Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
        }
    }
}

/// Base64 (RFC 4648 §4, with padding) for the session file, without Foundation.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `bytes` in base64, in lines of `lineLength` characters joined by `\n` (no final newline); one line when
    /// `lineLength` is `nil`.
    static func encode(_ bytes: [UInt8], lineLength: Int? = nil) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)], alphabet[Int(v >> 6 & 63)],
                    alphabet[Int(v & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let v = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out += [alphabet[Int(v >> 18 & 63)], alphabet[Int(v >> 12 & 63)],
                    rest == 2 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="), UInt8(ascii: "=")]
        }
        guard let lineLength, lineLength > 0, out.count > lineLength else { return String(decoding: out, as: UTF8.self) }
        var lines: [String] = []
        var start = 0
        while start < out.count {
            let end = min(start + lineLength, out.count)
            lines.append(String(decoding: out[start..<end], as: UTF8.self))
            start = end
        }
        return lines.joined(separator: "\n")
    }

    /// The bytes of `text` (padding required, no whitespace), or `nil` if it is not base64.
    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt32? {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(c - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): 62
            case UInt8(ascii: "/"): 63
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var i = 0
        while i < chars.count {
            let last = i + 4 == chars.count
            let padding = last ? (chars[i + 3] == UInt8(ascii: "=") ? (chars[i + 2] == UInt8(ascii: "=") ? 2 : 1) : 0) : 0
            var v: UInt32 = 0
            for k in 0..<4 {
                if k >= 4 - padding {
                    v <<= 6
                    continue
                }
                guard let d = value(chars[i + k]) else { return nil }
                v = v << 6 | d
            }
            out.append(UInt8(v >> 16 & 0xFF))
            if padding < 2 { out.append(UInt8(v >> 8 & 0xFF)) }
            if padding < 1 { out.append(UInt8(v & 0xFF)) }
            i += 4
        }
        return out
    }
}

/// What a child process printed, appended from its pipe's reader thread. (Also the test helpers' server
/// output buffer.)
final class OutputBuffer: Sendable {
    private let bytes = Locked<[UInt8]>([])
    private let ended = Locked(false)

    func append<S: Sequence>(_ more: S) where S.Element == UInt8 {
        bytes.withLock { $0.append(contentsOf: more) }
    }

    /// Set by the reader at the end of the output.
    var hasEnded: Bool {
        get { ended.withLock { $0 } }
        set { ended.withLock { $0 = newValue } }
    }

    var text: String {
        bytes.withLock { String(decoding: $0, as: UTF8.self) }
    }
}

/// A child process started with `posix_spawn`: its standard input a pipe (or /dev/null), its standard output and
/// error one pipe drained from the start by a reader thread into ``output`` (so it never blocks on a full pipe).
/// The caller stops it by PID (``kill(_:)``) and reaps it (``wait()``).
final class ChildProcess: Sendable {
    let pid: pid_t
    /// Everything the process printed so far, stdout and stderr interleaved.
    let output = OutputBuffer()
    private let stdinFD: Int32
    /// The exit status once reaped (`waitpid`'s status word).
    private let reaped = Locked<Int32?>(nil)

    /// Starts `executable arguments…` with this process's environment, every signal at its default action.
    /// - Parameter stdinPipe: a pipe the caller writes with ``send(_:)``; otherwise /dev/null.
    /// - Returns: `nil` with `errno` set when it cannot be started.
    init?(executable: String, arguments: [String], stdinPipe: Bool = false) {
        var outPipe: [Int32] = [-1, -1]
        var inPipe: [Int32] = [-1, -1]
        guard Self.closeOnExecPipe(&outPipe) else { return nil }
        if stdinPipe, !Self.closeOnExecPipe(&inPipe) {
            let saved = errno
            close(outPipe[0]); close(outPipe[1])
            errno = saved
            return nil
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdinPipe {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var child = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        let rc = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        close(outPipe[1])
        if stdinPipe { close(inPipe[0]) }
        guard rc == 0 else {
            close(outPipe[0])
            if stdinPipe { close(inPipe[1]) }
            errno = rc
            return nil
        }
        pid = child
        stdinFD = stdinPipe ? inPipe[1] : -1
        let readFD = outPipe[0]
        let output = output
        Posix.detachThread {
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                output.append(buffer[0..<n])
            }
            close(readFD)
            output.hasEnded = true
        }
    }

    /// `pipe` with both ends close-on-exec (`pipe2` is not in Swift's Glibc module): only the ends `posix_spawn`
    /// duplicates onto 0, 1 and 2 reach the child.
    private static func closeOnExecPipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// Whether the process has not exited yet (reaps it if it has).
    var isRunning: Bool {
        reaped.withLock { status in
            guard status == nil else { return false }
            var word: Int32 = 0
            let rc = waitpid(pid, &word, WNOHANG)
            if rc == pid || (rc < 0 && errno == ECHILD) {
                status = rc == pid ? word : -1
                return false
            }
            return true
        }
    }

    /// Sends `signal` to the process unless it was already reaped.
    func kill(_ signal: Int32 = SIGKILL) {
        reaped.withLock { status in
            if status == nil { _ = Glibc.kill(pid, signal) }
        }
    }

    /// Waits for the process to exit and returns its exit code (128 + the signal that ended it). Idempotent.
    @discardableResult
    func wait() -> Int32 {
        let word: Int32 = reaped.withLock { status in
            if let status { return status }
            var word: Int32 = 0
            while waitpid(pid, &word, 0) < 0 {
                if errno != EINTR {
                    word = -1
                    break
                }
            }
            status = word
            return word
        }
        if word < 0 { return -1 }
        let signal = word & 0x7F
        return signal == 0 ? (word >> 8) & 0xFF : 128 + signal
    }

    /// Waits up to `timeout` seconds for the end of the output (after the process exited, the reader thread takes
    /// its last words).
    func waitForOutputEnd(timeout: Double) {
        let deadline = Posix.monotonicSeconds() + timeout
        while !output.hasEnded, Posix.monotonicSeconds() < deadline { usleep(2_000) }
    }

    /// Writes `bytes` to the process's standard input (when started with `stdinPipe`); false if it refused.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        guard stdinFD >= 0 else { return false }
        return StandardStreams.write(bytes, to: stdinFD)
    }

    deinit {
        if stdinFD >= 0 { close(stdinFD) }
    }

    /// Runs `executable arguments…` to completion (stdin /dev/null) and returns its exit code and what it printed,
    /// or `nil` when it cannot be started.
    static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String)? {
        guard let child = ChildProcess(executable: executable, arguments: arguments) else { return nil }
        let status = child.wait()
        child.waitForOutputEnd(timeout: 10)
        return (status, child.output.text)
    }
}
