import Foundation
import Glibc

/// Starts a test server process with its stdout and stderr in one pipe, drained from the start by an
/// ``OutputCollector``, and waits until a line of its output names the port it listens on (at most `timeout`
/// seconds). A server that does not say in time, or exits first, is killed and reaped.
///
/// - Parameters:
///   - process: the server, its executable and arguments set.
///   - what: its name, for the error.
///   - timeout: how long to wait for the port line.
///   - port: the port named in one output line, or `nil` for any other line.
/// - Returns: the port and the server's output, still being collected (so the server never blocks on a full pipe).
public func launchServer(
    _ process: Process, what: String, timeout: Double = 10, port: (Substring) -> UInt16?
) throws -> (port: UInt16, output: OutputCollector) {
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    try process.run()
    let collected = OutputCollector(out.fileHandleForReading)
    let deadline = Date().addingTimeInterval(timeout)
    var found: UInt16?
    while found == nil {
        let ended = collected.hasEnded  // read before the text, so the last words are in it
        for line in collected.text.split(separator: "\n") {
            if let p = port(line) { found = p }
        }
        if found != nil || ended || Date() >= deadline { break }
        usleep(5_000)
    }
    guard let found else {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        throw VectorError(description: "\(what) did not start: \(collected.text)")
    }
    return (found, collected)
}

/// A child process's output, read as it arrives (so the child never blocks on a full pipe) by a thread of its own
/// that polls the pipe and stops at the end of file, or within 100 ms of the collector's release.
///
/// Not `FileHandle.readabilityHandler`: on Linux that arms a libdispatch read source per pipe, and setting such
/// sources up and tearing them down from many threads at once corrupts libdispatch's epoll bookkeeping
/// (swift-corelibs-libdispatch#949). The suite starts hundreds of servers in parallel, and one CI run died of it
/// (SIGSEGV in libdispatch's manager thread). A plain thread with `poll`/`read` has no shared state to corrupt.
public final class OutputCollector: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is in `State`, behind its lock.
    private let state: State

    /// What the reader thread shares with the collector.
    private final class State: @unchecked Sendable {
        // @unchecked Sendable: every field is only touched with `lock` held.
        private let lock = NSLock()
        private var data = Data()
        private var ended = false
        private var released = false

        func append(_ bytes: UnsafeRawBufferPointer) { lock.withLock { data.append(contentsOf: bytes) } }
        func withData<R>(_ body: (Data) -> R) -> R { lock.withLock { body(data) } }
        var hasEnded: Bool {
            get { lock.withLock { ended } }
            set { lock.withLock { ended = newValue } }
        }
        var isReleased: Bool {
            get { lock.withLock { released } }
            set { lock.withLock { released = newValue } }
        }
    }

    /// Starts reading `handle` (the read end of a pipe) on a new thread, which keeps the handle, and so its file
    /// descriptor, open until it stops; nothing else may close it.
    public init(_ handle: FileHandle) {
        let state = State()
        self.state = state
        Thread.detachNewThread {
            Self.drain(handle, into: state)
        }
    }

    deinit { state.isReleased = true }

    private static func drain(_ handle: FileHandle, into state: State) {
        withExtendedLifetime(handle) {
            let fd = handle.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while !state.isReleased {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&p, 1, 100)
                if ready < 0, errno != EINTR { break }
                if ready <= 0 { continue }
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    buffer.withUnsafeBytes { state.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    break  // end of file: every writer (the child) has exited; or the pipe failed
                }
            }
        }
        state.hasEnded = true
    }

    /// Whether the reader reached the end of the output (the child and every process it shared the pipe with
    /// exited).
    public var hasEnded: Bool { state.hasEnded }

    /// Runs `body` on everything collected so far.
    public func withData<R>(_ body: (Data) -> R) -> R { state.withData(body) }

    /// Everything collected so far, as text.
    public var text: String { withData { String(decoding: $0, as: UTF8.self) } }
}
